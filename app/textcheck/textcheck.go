// Package textcheck holds the rules for text that people type and others read: names and
// titles, descriptions, replies, reviews and notes. The accounts and the practice shop both
// check their fields with it, so a rule is the same on every form.
package textcheck

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"cunlu/app/errs"
)

// Name checks a name or a title: one line that says who or what something is. It refuses
// invalid UTF-8 and control characters (error.text_invalid), and every invisible format
// character (error.text_invisible): the direction controls (U+202E and the others), which
// show a name in another order than it is stored, and the zero-width spaces and joiners,
// the word joiner, the byte-order mark and the Hangul fillers, with which two names that
// look alike are different.
func Name(field, v string) error {
	if !utf8.ValidString(v) {
		return errs.Field(field, "error.text_invalid")
	}
	for _, r := range v {
		switch {
		case unicode.IsControl(r):
			return errs.Field(field, "error.text_invalid")
		case unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point):
			return errs.Field(field, "error.text_invisible")
		}
	}
	return nil
}

// Text checks free text (a description, a reply, a review, a note). It refuses invalid
// UTF-8 and NUL (error.text_invalid) and the direction controls (error.text_invisible),
// which could show a price or a phone number in another order than it was written. Line
// breaks stay allowed, and so does the zero-width joiner (U+200D) that makes emoji such as
// the farmer (man, joiner, rice) one picture.
func Text(field, v string) error {
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return errs.Field(field, "error.text_invalid")
	}
	if strings.ContainsFunc(v, isBidiControl) {
		return errs.Field(field, "error.text_invisible")
	}
	return nil
}

func isBidiControl(r rune) bool { return unicode.Is(unicode.Bidi_Control, r) }

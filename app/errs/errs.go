// Package errs defines the one error type that domain packages return. Each error carries a
// code that the web layer maps to an HTTP status in one place, and a message key from the
// translation catalogs so the person sees the reason in their own language.
package errs

import (
	"errors"
	"fmt"
)

// Code classifies an error for the caller; web maps each code to one status.
type Code string

const (
	Invalid      Code = "invalid"      // bad input; nothing was changed
	Unauthorized Code = "unauthorized" // not signed in, or wrong credentials
	Forbidden    Code = "forbidden"    // signed in, but not allowed to touch this
	NotFound     Code = "not_found"    // no such object (or not visible to the actor)
	Conflict     Code = "conflict"     // the object's state does not allow it (duplicate, already done)
	TooMany      Code = "too_many"     // throttled; try again later
	Busy         Code = "busy"         // too much work at once; nothing was changed, try again shortly
	Internal     Code = "internal"     // a bug or an outage; logged, never shown in detail
)

// Error is a domain error. Key names a message in the catalogs; Args fill its template.
type Error struct {
	Code  Code
	Key   string
	Field string         // the form field at fault, when there is one
	Args  map[string]any // template data for the message
	Err   error          // the underlying cause, for logs
}

func (e *Error) Error() string {
	msg := string(e.Code) + ": " + e.Key
	if e.Field != "" {
		msg += " (" + e.Field + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and a catalog message key.
func New(code Code, key string) *Error { return &Error{Code: code, Key: key} }

// Field returns an Invalid error about one form field.
func Field(field, key string) *Error { return &Error{Code: Invalid, Key: key, Field: field} }

// With returns a copy of e with one template argument added.
func (e *Error) With(name string, value any) *Error {
	c := *e
	c.Args = make(map[string]any, len(e.Args)+1)
	for k, v := range e.Args {
		c.Args[k] = v
	}
	c.Args[name] = value
	return &c
}

// Wrap returns an Internal error around err, keeping err for the logs.
func Wrap(err error, context string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: Internal, Key: "error.internal", Err: fmt.Errorf("%s: %w", context, err)}
}

// CodeOf reports the code of err: Internal for errors that are not *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err is an *Error with the given code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

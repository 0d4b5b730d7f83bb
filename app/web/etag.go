package web

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Pages get a validator where they are rendered (writePage), so a phone that already has
// a page pays a few hundred bytes (304 Not Modified) instead of the page. Everything a page
// depends on is in its bytes (the person's progress, a one-time flash, the CSRF token), so
// equal bytes mean nothing changed.

// pageTag is the ETag of a page's bytes. It is weak (W/"…") because the gzip middleware
// re-encodes the body: the meaning is the same, the bytes on the wire are not.
func pageTag(body []byte) string {
	sum := sha256.Sum256(body)
	return `W/"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// etagMatches reports whether an If-None-Match header names tag (weak comparison).
func etagMatches(header, tag string) bool {
	want := strings.TrimPrefix(tag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

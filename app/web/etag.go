package web

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// etag gives rendered pages a validator, so a phone that already has a page pays a few
// hundred bytes (304 Not Modified) instead of the page. A GET answered with an HTML page
// that may be kept (render says "private, no-cache", not "no-store") is held back, hashed,
// and sent only when the browser's copy differs. Everything a page depends on is in its
// bytes (the person's progress, a one-time flash, the CSRF token, which stays the same for
// a browser), so equal bytes mean nothing changed.
//
// The tag is weak (W/"…") because the gzip middleware outside re-encodes the body: the
// meaning is the same, the bytes on the wire are not. If-None-Match compares weakly anyway.
func (s *Server) etag(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			return next(c)
		}
		res := c.Response()
		w := &etagWriter{ResponseWriter: res.Writer}
		res.Writer = w
		err := next(c)
		res.Writer = w.ResponseWriter
		if !w.held {
			return err
		}
		tag := pageTag(w.body.Bytes())
		h := w.Header()
		h.Set("ETag", tag)
		if etagMatches(req.Header.Get("If-None-Match"), tag) {
			h.Del(echo.HeaderContentLength)
			h.Del(echo.HeaderContentType)
			w.ResponseWriter.WriteHeader(http.StatusNotModified)
			res.Status = http.StatusNotModified
			return err
		}
		w.ResponseWriter.WriteHeader(w.status)
		if req.Method != http.MethodHead {
			if _, werr := w.ResponseWriter.Write(w.body.Bytes()); werr != nil && err == nil {
				err = werr
			}
		}
		return err
	}
}

// etagWriter holds back a 200 HTML response that may be cached; any other response passes
// straight through.
type etagWriter struct {
	http.ResponseWriter
	decided bool
	held    bool
	status  int
	body    bytes.Buffer
}

func (w *etagWriter) WriteHeader(code int) {
	if w.decided {
		return
	}
	w.decided = true
	h := w.Header()
	if code == http.StatusOK && strings.HasPrefix(h.Get(echo.HeaderContentType), "text/html") &&
		!strings.Contains(h.Get("Cache-Control"), "no-store") && h.Get("ETag") == "" {
		w.held, w.status = true, code
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *etagWriter) Write(b []byte) (int, error) {
	if !w.decided {
		w.WriteHeader(http.StatusOK)
	}
	if w.held {
		return w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes through for streamed responses; a held page is sent whole at the end.
func (w *etagWriter) Flush() {
	if !w.held {
		_ = http.NewResponseController(w.ResponseWriter).Flush()
	}
}

func (w *etagWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// pageTag is the ETag of a page's bytes: its length and two CRC-32s (IEEE and Castagnoli,
// both computed by the processor's own instructions). A tag only has to change when the
// page does, for one person at one address, and nobody chooses what their own page says
// to make two versions collide; for that 64 bits of checksum are plenty, at a fifth of the
// time of SHA-256, which was 3 % of a lesson page under load.
func pageTag(body []byte) string {
	var b [8]byte
	binary.BigEndian.PutUint32(b[:4], crc32.ChecksumIEEE(body))
	binary.BigEndian.PutUint32(b[4:], crc32.Checksum(body, castagnoli))
	return `W/"` + strconv.Itoa(len(body)) + "-" + base64.RawURLEncoding.EncodeToString(b[:]) + `"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

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

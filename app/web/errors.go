package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"cunlu/app/errs"
)

// statusOf maps each domain error code to its HTTP status: the one place this is decided.
var statusOf = map[errs.Code]int{
	errs.Invalid:      http.StatusBadRequest,
	errs.Unauthorized: http.StatusUnauthorized,
	errs.Forbidden:    http.StatusForbidden,
	errs.NotFound:     http.StatusNotFound,
	errs.Conflict:     http.StatusConflict,
	errs.TooMany:      http.StatusTooManyRequests,
	errs.Busy:         http.StatusServiceUnavailable,
	errs.Internal:     http.StatusInternalServerError,
}

// messageOf is the catalog key shown for an HTTP error that did not come from a domain package.
var messageOf = map[int]string{
	http.StatusBadRequest:            "error.bad_request",
	http.StatusUnauthorized:          "error.signed_out",
	http.StatusForbidden:             "error.forbidden",
	http.StatusNotFound:              "error.not_found",
	http.StatusMethodNotAllowed:      "error.method_not_allowed",
	http.StatusRequestEntityTooLarge: "error.too_large",
	http.StatusTooManyRequests:       "error.too_many_attempts",
	http.StatusServiceUnavailable:    "error.unavailable",
}

type errorView struct {
	Status  int
	Heading string // a plain sentence for the kind of trouble, never a code
	Message string
	Back    string // where the person was (a same-site path), or ""
	Home    string // the person's home
}

// headingOf is the catalog key of the error page's heading for a status: what happened,
// in words, so the page never shows a code.
func headingOf(status int) string {
	switch {
	case status == http.StatusForbidden:
		return "error.heading.forbidden"
	case status == http.StatusNotFound:
		return "error.heading.not_found"
	case status == http.StatusTooManyRequests:
		return "error.heading.too_many"
	case status == http.StatusServiceUnavailable:
		return "error.heading.busy"
	case status < 500:
		return "error.heading.not_done"
	}
	return "error.title"
}

// backOf is where the person came from, when the browser said so (Referer, sent only within
// the site by the Referrer-Policy) and it is a page of this site other than the one that
// failed: its path and query only, so the link cannot lead elsewhere.
func backOf(c echo.Context) string {
	req := c.Request()
	ref, err := url.Parse(req.Header.Get("Referer"))
	if err != nil || ref.Host != req.Host || !strings.HasPrefix(ref.Path, "/") || strings.HasPrefix(ref.Path, "//") {
		return ""
	}
	back := ref.RequestURI()
	if req.Method == http.MethodGet && back == req.URL.RequestURI() {
		return ""
	}
	return back
}

// handleError turns any error into a status and a translated page. Only internal errors
// are logged (with their cause); the page never shows a cause.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, key := http.StatusInternalServerError, "error.internal"
	var args map[string]any
	var de *errs.Error
	var he *echo.HTTPError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		status, key = http.StatusServiceUnavailable, "error.unavailable"
	case errors.As(err, &de):
		status, key, args = statusFor(c, de), de.Key, de.Args
		if de.Code == errs.Internal {
			key = "error.internal"
		}
	case errors.As(err, &he):
		status = he.Code
		if k, ok := messageOf[status]; ok {
			key = k
		} else if status < 500 {
			key = "error.bad_request"
		}
	}
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if status == http.StatusServiceUnavailable {
		c.Response().Header().Set("Retry-After", retryAfter)
	}
	// Shed requests are counted (cunlu_http_requests_shed_total), not logged one by one.
	if status >= 500 && !errors.Is(err, errBusy) {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "status", status, "err", err)
	}
	// A script asking for JSON gets the status and the message, never a page or a redirect.
	if wantsJSON(c) {
		msg := s.translatorOf(c).T(key, args)
		if err := c.JSON(status, map[string]string{"error": msg}); err != nil {
			s.log.Error("write error", "err", err)
		}
		return
	}
	// A signed-out person asking for a page is sent to sign in, and brought back afterwards.
	if status == http.StatusUnauthorized && c.Request().Method == http.MethodGet {
		c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		return
	}
	if status == http.StatusUnauthorized {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	p := s.newPage(c, "error", nil)
	home := "/"
	if p.User != nil {
		home = homeFor(p.User)
	}
	p.Data = errorView{Status: status, Heading: p.T(headingOf(status)), Message: p.T(key, args), Back: backOf(c), Home: home}
	if rerr := s.render(c, status, p); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		c.String(status, http.StatusText(status))
	}
}

// statusFor is the status of a domain error. A busy server also says when to try again.
func statusFor(c echo.Context, e *errs.Error) int {
	if e.Code == errs.Busy {
		c.Response().Header().Set("Retry-After", "10")
	}
	return statusOf[e.Code]
}

var errForbidden = errs.New(errs.Forbidden, "error.forbidden")

// wantsJSON reports whether the request comes from a script that asked for JSON
// (static/offline.js), not from a browser navigating.
func wantsJSON(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON)
}

// translatorOf is the request's translator, for messages outside a page.
func (s *Server) translatorOf(c echo.Context) *Translator {
	if tr, ok := c.Get(ctxTranslator).(*Translator); ok && tr != nil {
		return tr
	}
	return s.cat.translator(s.requestLang(c))
}

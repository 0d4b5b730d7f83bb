package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/errs"
	"cunlu/app/records"
	"cunlu/app/report"
	"cunlu/app/sandbox"
)

// views holds one parsed template set per page: the layout, every partial, and the page.
// They are parsed once at start; a page that fails to parse stops the program.
type views struct {
	fsys   fs.FS
	assets *assets
	reload bool
	extra  template.FuncMap // functions that need the server (course titles)

	mu    sync.RWMutex
	pages map[string]*template.Template
}

func newViews(fsys fs.FS, a *assets, reload bool, extra template.FuncMap) (*views, error) {
	v := &views{fsys: fsys, assets: a, reload: reload, extra: extra}
	return v, v.parse()
}

func (v *views) funcs() template.FuncMap {
	return template.FuncMap{
		"static": v.assets.URL,
		"date": func(t any) string {
			switch t := t.(type) {
			case time.Time:
				return t.Local().Format("2006-01-02")
			case *time.Time:
				if t != nil {
					return t.Local().Format("2006-01-02")
				}
			}
			return ""
		},
		"deref": func(p any) any {
			switch p := p.(type) {
			case *string:
				if p != nil {
					return *p
				}
				return ""
			case *uint:
				if p != nil {
					return *p
				}
				return uint(0)
			}
			return p
		},
		"levels": func() []string { return []string{"county", "township", "village"} },
		"roles": func() []string {
			out := make([]string, len(account.Roles))
			for i, r := range account.Roles {
				out[i] = string(r)
			}
			return out
		},
		// bar packs the arguments of the progress-bar partial.
		"bar": func(p *Page, done, total, percent int) map[string]any {
			return map[string]any{"P": p, "Done": done, "Total": total, "Percent": percent}
		},
		"yuan": sandbox.Yuan,
		// maskPhone shows a phone number to someone who needs to recognise it, not use it.
		"maskPhone": maskPhone,
		// simtime shows a time of a learner's simulated clock, to the minute.
		"simtime": func(t time.Time) string { return t.Local().Format("01-02 15:04") },
		"stars": func(n int) string {
			return strings.Repeat("★", max(0, min(n, 5))) + strings.Repeat("☆", 5-max(0, min(n, 5)))
		},
		"mul":   func(a int64, b int) int64 { return a * int64(b) },
		"min":   func(a, b int) int { return min(a, b) },
		"add":   func(a, b int) int { return a + b },
		"sub":   func(a, b int) int { return a - b },
		"times": func(a, b int) int { return a * b },
		"int64": func(n int) int64 { return int64(n) },
		// awayRow packs the arguments of the alerts' away_row template.
		"awayRow": func(p *Page, r report.PartnerRow) map[string]any { return map[string]any{"Page": p, "Row": r} },
		// scale maps v in 0…max onto 0…size, for server-drawn bar charts.
		"scale": func(v, maxV, size int) int {
			if maxV <= 0 || v <= 0 {
				return 0
			}
			return max(1, v*size/maxV)
		},
		"maxOf": func(xs [11]int) int {
			m := 0
			for _, x := range xs {
				m = max(m, x)
			}
			return m
		},
		// pctClass buckets a percentage for the matrix's colours: 0, 1 (some), 2 (half), 3 (all).
		"pctClass": func(p int) int {
			switch {
			case p >= 100:
				return 3
			case p >= 50:
				return 2
			case p > 0:
				return 1
			}
			return 0
		},
		// optionLetters shows a bit set of chosen options as letters: 5 → "a,c".
		"optionLetters": func(mask int) string {
			var out []string
			for i := 0; i < 5; i++ {
				if mask>>i&1 == 1 {
					out = append(out, string(rune('a'+i)))
				}
			}
			if len(out) == 0 {
				return "—"
			}
			return strings.Join(out, ",")
		},
		"pathOnly":    func(uri string) string { p, _, _ := strings.Cut(uri, "?"); return p },
		"withLite":    func(uri string) string { return setQuery(uri, "lite", "1") },
		"withoutLite": func(uri string) string { return setQuery(uri, "lite", "") },
		"seq": func(from, to int) []int {
			var out []int
			for i := from; ; {
				out = append(out, i)
				if i == to {
					return out
				}
				if from < to {
					i++
				} else {
					i--
				}
			}
		},
		// dict builds a map for passing several values to a partial: dict "K1" v1 "K2" v2.
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"indent": func(n int) string { return strings.Repeat("　", max(n, 0)) },
		"list":   func(xs ...string) []string { return xs },
		// when and clock show a real time in China's time zone, where every county is.
		"when":  func(t time.Time) string { return t.In(chinaTime).Format("2006-01-02 15:04") },
		"clock": func(t time.Time) string { return t.In(chinaTime).Format("15:04") },
		// hours shows minutes as hours: 720 → "12", 450 → "7.5".
		"hours": func(minutes int) string { return strconv.FormatFloat(float64(minutes)/60, 'f', -1, 64) },
	}
}

func (v *views) parse() error {
	base, err := template.New("layout").Funcs(v.funcs()).Funcs(v.extra).ParseFS(v.fsys, "layout.html", "partials/*.html")
	if err != nil {
		return fmt.Errorf("parse layout: %w", err)
	}
	names, err := fs.Glob(v.fsys, "pages/*.html")
	if err != nil {
		return err
	}
	pages := make(map[string]*template.Template, len(names))
	for _, n := range names {
		t, err := template.Must(base.Clone()).ParseFS(v.fsys, n)
		if err != nil {
			return fmt.Errorf("parse %s: %w", n, err)
		}
		pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	v.mu.Lock()
	v.pages = pages
	v.mu.Unlock()
	return nil
}

func (v *views) page(name string) (*template.Template, error) {
	if v.reload {
		if err := v.parse(); err != nil {
			return nil, err
		}
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	t := v.pages[name]
	if t == nil {
		return nil, fmt.Errorf("no page template %q", name)
	}
	return t, nil
}

// Page is what every template receives: the translator, the person, the CSRF token and
// the page's own data.
type Page struct {
	*Translator
	Name      string // the template's name, for the body class
	User      *account.User
	CSRF      string
	Path      string // the current URL path and query, for returning after language switch
	Flash     string // a translated one-time notice
	Error     string // a translated error about the form
	ErrField  string // the form field at fault
	Data      any
	Languages []string
	UserID    string // the signed-in person's id, for static/offline.js ("" when signed out)

	Assisting *account.User // the villager a partner is helping on this browser, for the banner on every page
}

// Is reports whether the signed-in person has the role.
func (p *Page) Is(role string) bool { return p.User != nil && string(p.User.Role) == role }

func (s *Server) newPage(c echo.Context, name string, data any) *Page {
	tr, _ := c.Get(ctxTranslator).(*Translator)
	if tr == nil {
		tr = s.cat.translator(s.requestLang(c))
	}
	csrf, _ := c.Get("csrf").(string)
	p := &Page{Translator: tr, Name: name, User: currentUser(c), CSRF: csrf, Path: pageAddress(c), Data: data, Languages: Languages}
	if p.User != nil {
		p.UserID = strconv.FormatUint(uint64(p.User.ID), 10)
		p.Assisting = s.assisting(c, p.User)
	}
	if key := s.takeFlash(c); key != "" {
		p.Flash = tr.T(key)
	}
	return p
}

// pageAddress is the address a page is at, to come back to after switching language. A page
// that answers a POST (a form shown again, the hand-over slip) has no address of its own
// (GET there is "method not allowed"): it is the form's page, which the browser named in
// Referer, or home.
func pageAddress(c echo.Context) string {
	if m := c.Request().Method; m == http.MethodGet || m == http.MethodHead {
		return c.Request().URL.RequestURI()
	}
	if back := backOf(c); back != "" {
		return back
	}
	return "/"
}

// render executes a page into a buffer first, so a template error becomes a clean 500
// rather than half a page, and sends it.
func (s *Server) render(c echo.Context, status int, p *Page) error {
	t, err := s.views.page(p.Name)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("render %s: %w", p.Name, err)
	}
	req, h := c.Request(), c.Response().Header()
	h.Set("Content-Language", p.Lang)
	// Pages are per person: the browser may keep one but must check it is current (a 304
	// when it is). Sign-in pages, errors and answers to a POST (which may show a one-time
	// secret) are never kept.
	if status == http.StatusOK && (req.Method == http.MethodGet || req.Method == http.MethodHead) && !neverStored[p.Name] {
		h.Set("Cache-Control", "private, no-cache")
		tag := pageTag(buf.Bytes())
		h.Set("ETag", tag)
		if etagMatches(req.Header.Get("If-None-Match"), tag) {
			return c.NoContent(http.StatusNotModified)
		}
	} else {
		h.Set("Cache-Control", "no-store")
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// neverStored are the pages browsers must not keep.
var neverStored = map[string]bool{"login": true, "login_pin": true, "error": true}

// show renders a page with status 200.
func (s *Server) show(c echo.Context, name string, data any) error {
	return s.render(c, http.StatusOK, s.newPage(c, name, data))
}

// showFormError re-renders a form page with the error of err when it is a form mistake
// (Invalid or Conflict), or says to try again when the server is busy (Busy), keeping what
// the person typed; other errors go to the error page.
func (s *Server) showFormError(c echo.Context, name string, data any, err error) error {
	e, ok := err.(*errs.Error)
	if !ok || (e.Code != errs.Invalid && e.Code != errs.Conflict && e.Code != errs.Busy) {
		return err
	}
	p := s.newPage(c, name, data)
	p.Error = p.T(e.Key, e.Args)
	p.ErrField = e.Field
	return s.render(c, statusFor(c, e), p)
}

const flashCookie = "flash"

// redirectFlash answers a successful POST with a redirect (POST → redirect → GET) and a
// one-time notice shown on the next page. Only catalog keys travel in the cookie.
func (s *Server) redirectFlash(c echo.Context, to, key string) error {
	if key != "" {
		c.SetCookie(&http.Cookie{Name: flashCookie, Value: key, Path: "/", MaxAge: 60, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	}
	return c.Redirect(http.StatusSeeOther, to)
}

func (s *Server) takeFlash(c echo.Context) string {
	ck, err := c.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	if !strings.HasPrefix(ck.Value, "flash.") {
		return ""
	}
	return ck.Value
}

// setQuery returns uri with one query parameter set (or removed when value is "").
func setQuery(uri, key, value string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return uri
	}
	q := u.Query()
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// chinaTime is the time zone of every county, where the training records' times are shown.
var chinaTime = records.China

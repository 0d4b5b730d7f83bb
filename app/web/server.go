// Package web is Cunlu's HTTP face: routes, middleware, rendering and translations. Handlers
// are thin: they read a small form, call a domain service and render a page or redirect.
// Domain errors are turned into statuses and translated pages in one place (errors.go).
package web

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"cunlu/app/account"
	"cunlu/app/audio"
	"cunlu/app/course"
	"cunlu/app/progress"
	"cunlu/app/records"
	"cunlu/app/report"
	"cunlu/app/sandbox"
)

// Options are what the web server needs from the rest of the program.
type Options struct {
	Accounts       *account.Service
	Courses        *course.Library
	Progress       *progress.Service
	Shop           *sandbox.Service
	Reports        *report.Service
	Audio          *audio.Service // lessons' recorded audio
	Records        *records.Service
	CourseFiles    fs.FS                       // the courses/ folder, for lesson images
	Ping           func(context.Context) error // database liveness, for /healthz
	Templates      fs.FS                       // the templates/ folder
	Static         fs.FS                       // the static/ folder
	Reload         bool                        // re-read templates and static files on each request (editing mode)
	BaseURL        *url.URL
	TrustedProxies []netip.Prefix
	Logger         *slog.Logger
	Registry       *prometheus.Registry // where request metrics go; /metrics serves it
	MaxActive      int                  // requests worked on at once (admit.go); 0: 4 per core, at least 8
	QueueWait      time.Duration        // how long a request waits for its turn before a 503; 0: 1 s
	RequestTimeout time.Duration        // a request still working after this long is answered 503 (default 30 s)
}

// Server holds the routes and everything the handlers share. It has no package-level state,
// so tests can run several at once.
type Server struct {
	e         *echo.Echo
	handler   http.Handler // e behind gzip
	accounts  *account.Service
	courses   *course.Library
	progress  *progress.Service
	shop      *sandbox.Service
	reports   *report.Service
	audio     *audio.Service
	records   *records.Service
	files     fs.FS
	ping      func(context.Context) error
	log       *slog.Logger
	cat       *catalog
	views     *views
	assets    *assets
	baseURL   *url.URL
	secure    bool
	registry  *prometheus.Registry
	metrics   *httpMetrics
	routes    []Route
	slots     chan struct{} // one per request being worked on (admit.go)
	queueWait time.Duration
	timeout   time.Duration
	sizes     sync.Map // compressed sizes of files, for "save for offline" (offline.go)

	csrfCheck echo.MiddlewareFunc
}

// Route describes one registered route and who may use it, for the route-table test.
type Route struct {
	Method string
	Path   string
	Public bool           // no sign-in needed
	Roles  []account.Role // when not public: the roles allowed (empty: any signed-in person)
}

// New builds the server and registers every route. It fails if a template or catalog is
// broken, so a bad deploy stops at start rather than on a visitor's request.
func New(o Options) (*Server, error) {
	cat, err := newCatalog(o.Logger)
	if err != nil {
		return nil, err
	}
	s := &Server{
		e: echo.New(), accounts: o.Accounts, courses: o.Courses, progress: o.Progress, shop: o.Shop, reports: o.Reports, records: o.Records, files: o.CourseFiles, ping: o.Ping, log: o.Logger, cat: cat,
		baseURL: o.BaseURL, secure: o.BaseURL.Scheme == "https", registry: o.Registry,
		timeout: cmp.Or(o.RequestTimeout, 30*time.Second),
	}
	s.audio = o.Audio
	if s.assets, err = newAssets(o.Static, o.Reload); err != nil {
		return nil, err
	}
	extra := template.FuncMap{"courseTitle": s.courseTitle, "lessonTitle": s.lessonTitle}
	if s.views, err = newViews(o.Templates, s.assets, o.Reload, extra); err != nil {
		return nil, err
	}
	s.metrics = newHTTPMetrics(o.Registry)
	s.slots = make(chan struct{}, cmp.Or(o.MaxActive, defaultMaxActive()))
	s.queueWait = cmp.Or(o.QueueWait, defaultQueueWait)
	s.e.HideBanner = true
	s.e.HidePort = true
	s.e.HTTPErrorHandler = s.handleError
	s.e.IPExtractor = ipExtractor(o.TrustedProxies)
	s.middleware()
	s.csrfCheck = s.csrf()
	s.registerRoutes()
	// gzip around everything, from klauspost/compress: at level 1 its writer is about
	// 40 KB where compress/flate's is 650 KB whatever the level, and twice as fast; with 64
	// pages compressed at once, the standard library's writers alone took 38 MB of heap.
	// Pages get their ETag before compression, where they are rendered (render.go).
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(512), gzhttp.CompressionLevel(gzip.BestSpeed))
	if err != nil {
		return nil, err
	}
	s.handler = wrap(s.e)
	return s, nil
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes lists every route with its access rule.
func (s *Server) Routes() []Route { return s.routes }

// EchoRoutes lists what the router really has, to compare with Routes.
func (s *Server) EchoRoutes() []*echo.Route { return s.e.Routes() }

// MissingTranslations lists "lang:id" of catalog messages that pages asked for but lack.
func (s *Server) MissingTranslations() []string { return s.cat.Missing() }

// ipExtractor believes X-Forwarded-For only from the configured proxies; without any, the
// client IP is the connection's address, so a forged header changes nothing.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		_, n, err := net.ParseCIDR(p.String())
		if err == nil {
			opts = append(opts, echo.TrustIPRange(n))
		}
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) middleware() {
	s.e.Use(s.observe)
	s.e.Use(s.admit)
	s.e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic", "err", err, "path", c.Request().URL.Path, "stack", string(stack))
			return err
		},
	}))
	s.e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ContentSecurityPolicy: csp,
		ReferrerPolicy:        "same-origin",
	}))
	if s.secure {
		s.e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				c.Response().Header().Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
				return next(c)
			}
		})
	}
	// Forms are small; only product photo uploads get a larger limit, on their own routes.
	s.e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "1M", Skipper: func(c echo.Context) bool {
		return photoRoutes[c.Request().Method+" "+c.Path()] || audioRoutes[c.Request().Method+" "+c.Path()]
	}}))
	// A request out of time is answered 503 and must have changed nothing: the database
	// refuses to commit on a request's ended context, slow work before it (decoding a
	// photo) stops with it, and what follows a commit does not use it (afterCommit).
	s.e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: s.timeout}))
}

// csrf checks the _csrf field of the form body against this browser's CSRF cookie on every
// state-changing request. Browsers that send Sec-Fetch-Site are also checked by it: a
// cross-site POST is refused even with a token (and Echo lets a same-origin one through on
// that header alone, as OWASP's fetch-metadata defence does).
func (s *Server) csrf() echo.MiddlewareFunc {
	check := middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf",
		CookieName:     s.csrfCookie(),
		CookiePath:     "/",
		CookieMaxAge:   csrfMaxAge,
		CookieHTTPOnly: true,
		CookieSecure:   s.secure,
		CookieSameSite: http.SameSiteLaxMode,
		ContextKey:     "csrf",
		ErrorHandler: func(err error, c echo.Context) error {
			// A body over the limit sent without a Content-Length (chunked) is only found
			// out while the token is read: it is too large, not forbidden.
			if _, rerr := c.Request().Body.Read(make([]byte, 1)); errors.Is(rerr, echo.ErrStatusRequestEntityTooLarge) {
				return echo.ErrStatusRequestEntityTooLarge
			}
			return echo.NewHTTPError(http.StatusForbidden, "csrf").SetInternal(err)
		},
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		h := check(next)
		return func(c echo.Context) error {
			tokenFromBodyOnly(c.Request())
			return h(c)
		}
	}
}

const csrfMaxAge = 24 * 60 * 60

// csrfCookie names the CSRF cookie. With https the __Host- prefix makes browsers refuse it
// unless it is Secure, host-only and for "/", so a neighbouring subdomain cannot plant one.
func (s *Server) csrfCookie() string {
	if s.secure {
		return "__Host-csrf"
	}
	return "_csrf"
}

// tokenFromBodyOnly leaves in the request's form only the _csrf value the body carries.
// Echo's form lookup reads r.Form, where Go mixes in the query string, and a token in an
// address leaks through logs, history and Referer headers.
func tokenFromBodyOnly(r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return
	}
	_ = r.ParseMultipartForm(32 << 20) // as Echo's lookup would; the body limit has run already
	if r.Form == nil {
		return
	}
	if v, ok := r.PostForm["_csrf"]; ok {
		r.Form["_csrf"] = v
	} else {
		delete(r.Form, "_csrf")
	}
}

// rotateCSRF gives the browser a new CSRF token, replacing the one this response would
// set: at sign-in, so a token planted or seen before it is worth nothing afterwards.
func (s *Server) rotateCSRF(c echo.Context) {
	name := s.csrfCookie()
	h := c.Response().Header()
	kept := h.Values(echo.HeaderSetCookie)[:0:0]
	for _, v := range h.Values(echo.HeaderSetCookie) {
		if !strings.HasPrefix(v, name+"=") {
			kept = append(kept, v)
		}
	}
	h.Del(echo.HeaderSetCookie)
	for _, v := range kept {
		h.Add(echo.HeaderSetCookie, v)
	}
	token := rand.Text()
	c.SetCookie(&http.Cookie{Name: name, Value: token, Path: "/", MaxAge: csrfMaxAge, HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode})
	c.Set("csrf", token)
}

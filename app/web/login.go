package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/errs"
)

type loginView struct {
	Login string
	Phone string
	Next  string
}

// loginShow is GET /login: sign-in with a login name and password.
func (s *Server) loginShow(c echo.Context) error {
	if u := currentUser(c); u != nil {
		return c.Redirect(http.StatusSeeOther, homeFor(u))
	}
	return s.show(c, "login", loginView{Next: safeNextOrEmpty(c.QueryParam("next"))})
}

// loginSubmit is POST /login (fields login, password, next).
func (s *Server) loginSubmit(c echo.Context) error {
	v := loginView{Login: c.FormValue("login"), Next: safeNextOrEmpty(c.FormValue("next"))}
	u, err := s.accounts.SignIn(c.Request().Context(), v.Login, c.FormValue("password"), c.RealIP())
	if err != nil {
		return s.signInFailed(c, "login", v, err)
	}
	return s.signedIn(c, u, v.Next)
}

// pinLoginShow is GET /login/pin: villagers sign in with phone number and PIN, typically on
// the centre's shared computer.
func (s *Server) pinLoginShow(c echo.Context) error {
	if u := currentUser(c); u != nil {
		return c.Redirect(http.StatusSeeOther, homeFor(u))
	}
	return s.show(c, "login_pin", loginView{Next: safeNextOrEmpty(c.QueryParam("next"))})
}

// pinLoginSubmit is POST /login/pin (fields phone, pin, next).
func (s *Server) pinLoginSubmit(c echo.Context) error {
	v := loginView{Phone: c.FormValue("phone"), Next: safeNextOrEmpty(c.FormValue("next"))}
	u, err := s.accounts.SignInPIN(c.Request().Context(), v.Phone, c.FormValue("pin"), c.RealIP())
	if err != nil {
		return s.signInFailed(c, "login_pin", v, err)
	}
	return s.signedIn(c, u, v.Next)
}

func (s *Server) signInFailed(c echo.Context, page string, v loginView, err error) error {
	status := http.StatusUnauthorized
	switch errs.CodeOf(err) {
	case errs.Unauthorized:
	case errs.TooMany:
		status = http.StatusTooManyRequests
	default:
		return err
	}
	p := s.newPage(c, page, v)
	e := err.(*errs.Error)
	p.Error = p.T(e.Key)
	if page == "login_pin" {
		p.Error, p.ErrField = pinFailure(p, e), "phone"
	}
	return s.render(c, status, p)
}

// pinFailure says what went wrong with a villager's sign-in in the words of the form (phone
// number and PIN, not user name and password): how many tries this phone number has left,
// and that the centre's partner can set a new PIN.
func pinFailure(p *Page, e *errs.Error) string {
	left, known := e.Args["Left"].(int)
	switch {
	case e.Code == errs.TooMany && e.Args["Scope"] == "ip":
		return p.T("error.pin_locked_place")
	case e.Code == errs.TooMany:
		return p.T("error.pin_locked")
	case !known || left < 0:
		return p.T("error.pin_failed")
	case left == 0:
		return p.T("error.pin_locked")
	}
	return p.T("error.pin_failed_left", "Left", left)
}

// signedIn starts a fresh session (destroying any session this browser had) and sends the
// person on.
func (s *Server) signedIn(c echo.Context, u *account.User, next string) error {
	previous, _ := c.Cookie(s.sessionCookie())
	prev := ""
	if previous != nil {
		prev = previous.Value
	}
	token, err := s.accounts.StartSession(c.Request().Context(), u, prev, c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	s.rotateCSRF(c)
	if u.Lang == "" {
		// Keep the language the person was using before signing in: they are signed in
		// already, so this cannot fail the request (afterCommit).
		ctx, cancel := afterCommit(c)
		defer cancel()
		if err := s.accounts.SetLang(ctx, u.ID, s.requestLang(c)); err != nil {
			s.log.Error("remember language", "user", u.ID, "err", err)
		}
	} else {
		s.setLangCookie(c, u.Lang)
	}
	if next == "" || next == "/" {
		next = homeFor(u)
	}
	if u.MustChangePassword {
		next = "/account"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

func safeNextOrEmpty(next string) string {
	if next == "" {
		return ""
	}
	return safeNext(next)
}

// logout is POST /logout: the session is destroyed in the database, not just forgotten by
// the browser, so a copied cookie stops working too.
func (s *Server) logout(c echo.Context) error {
	if err := s.endSession(c); err != nil {
		return err
	}
	return s.redirectFlash(c, "/login", "flash.signed_out")
}

// switchPerson is POST /switch-person: on a centre's shared computer, ends this villager's
// session and opens the PIN sign-in for the next person.
func (s *Server) switchPerson(c echo.Context) error {
	if err := s.endSession(c); err != nil {
		return err
	}
	return s.redirectFlash(c, "/login/pin", "flash.next_person")
}

func (s *Server) endSession(c echo.Context) error {
	token, _ := c.Get(ctxToken).(string)
	if err := s.accounts.EndSession(c.Request().Context(), token); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	// Pages may sit in the browser's cache (they are revalidated with ETags): on a shared
	// computer the next person must not find the last person's pages there.
	c.Response().Header().Set("Clear-Site-Data", `"cache"`)
	c.Set(ctxUser, nil)
	return nil
}

// langSwitch is POST /lang (fields lang, next): remembered for this browser and, when
// signed in, for the person.
func (s *Server) langSwitch(c echo.Context) error {
	lang := c.FormValue("lang")
	if !supported(lang) {
		return errs.Field("lang", "error.bad_request")
	}
	s.setLangCookie(c, lang)
	if u := currentUser(c); u != nil {
		if err := s.accounts.SetLang(c.Request().Context(), u.ID, lang); err != nil {
			return err
		}
	}
	return c.Redirect(http.StatusSeeOther, safeNext(c.FormValue("next")))
}

// healthz is GET /healthz: 200 when the database answers within two seconds.
func (s *Server) healthz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.ping(ctx); err != nil {
		s.log.Error("health check", "err", err)
		return c.String(http.StatusServiceUnavailable, "database unavailable\n")
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(http.StatusOK, "ok\n")
}

// followUpTimeout bounds the work that follows a committed change.
const followUpTimeout = 5 * time.Second

// afterCommit is the context for what follows a committed change (remembering a
// language): not the request's, which may be out of time already,
// but one with a short deadline of its own. That work is best effort: a failure is logged,
// never answered, since the change itself is done.
func afterCommit(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(c.Request().Context()), followUpTimeout)
}

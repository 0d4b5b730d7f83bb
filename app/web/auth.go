package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/errs"
)

const (
	ctxUser       = "user"
	ctxToken      = "session_token"
	ctxTranslator = "translator"
)

// sessionCookie is the name of the cookie holding the session token. With https the
// __Host- prefix makes browsers refuse it unless it is Secure, host-only and for "/".
func (s *Server) sessionCookie() string {
	if s.secure {
		return "__Host-cunlu_session"
	}
	return "cunlu_session"
}

func currentUser(c echo.Context) *account.User {
	u, _ := c.Get(ctxUser).(*account.User)
	return u
}

// loadSession finds the signed-in person from the session cookie. An unknown, expired or
// deactivated session is cleared and the request goes on as signed out.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ck, err := c.Cookie(s.sessionCookie()); err == nil && ck.Value != "" {
			u, err := s.accounts.SessionUser(c.Request().Context(), ck.Value)
			switch {
			case err == nil:
				c.Set(ctxUser, u)
				c.Set(ctxToken, ck.Value)
			case errs.Is(err, errs.Unauthorized):
				s.clearSessionCookie(c)
			default:
				return err
			}
		}
		c.Set(ctxTranslator, s.cat.translator(s.requestLang(c)))
		return next(c)
	}
}

func (s *Server) setSessionCookie(c echo.Context, token string) {
	c.SetCookie(&http.Cookie{Name: s.sessionCookie(), Value: token, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: s.sessionCookie(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// require lets the request through only for a signed-in person with one of the roles (any
// role when none are given). Signed-out people are sent to sign in and brought back.
func (s *Server) require(roles ...account.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u := currentUser(c)
			if u == nil {
				return errs.New(errs.Unauthorized, "error.signed_out")
			}
			if u.MustChangePassword && !openBeforeOwnPassword[c.Path()] {
				if m := c.Request().Method; m == http.MethodGet || m == http.MethodHead {
					return c.Redirect(http.StatusSeeOther, "/account")
				}
				return errs.New(errs.Forbidden, "error.change_password_first")
			}
			if len(roles) == 0 {
				return next(c)
			}
			for _, r := range roles {
				if u.Role == r {
					return next(c)
				}
			}
			return errs.New(errs.Forbidden, "error.forbidden")
		}
	}
}

// openBeforeOwnPassword are the routes a person whose password someone else chose
// (account.User.MustChangePassword) may use before choosing their own: every other page
// sends them to the account page, and every other change is refused.
var openBeforeOwnPassword = map[string]bool{"/account": true, "/account/password": true, "/logout": true}

// safeNext returns next if it is a path on this site, else "/". It blocks open redirects
// such as "//evil.example" or "/\evil.example".
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	return next
}

// homeFor is where each role lands after signing in.
func homeFor(u *account.User) string {
	switch u.Role {
	case account.RoleAdmin:
		return "/admin"
	case account.RoleCoordinator:
		return "/coord"
	}
	return "/"
}

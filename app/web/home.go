package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/course"
	"cunlu/app/report"
)

type homeView struct {
	Centre      *account.Centre
	Villagers   int
	Continue    *course.Lesson
	Courses     []courseCard
	Assignments []report.Assignment
	Reminders   []reminderNote // a coordinator's, until dismissed
}

// home is GET /: the learner home. Coordinators and admins have homes of their own.
func (s *Server) home(c echo.Context) error {
	u := currentUser(c)
	if !u.Role.Learner() {
		return c.Redirect(http.StatusSeeOther, homeFor(u))
	}
	ctx := c.Request().Context()
	v := homeView{}
	sn, err := s.snapshot(c)
	if err != nil {
		return err
	}
	v.Continue = sn.Continue()
	if u.Role == account.RolePartner {
		if v.Assignments, err = s.reports.ForPartner(ctx, u); err != nil {
			return err
		}
		if v.Reminders, err = s.reminders(c); err != nil {
			return err
		}
	}
	for _, co := range s.courses.Catalog().Courses {
		if co.For(sn.Learner.Audience) {
			v.Courses = append(v.Courses, card(sn, co, s.langOf(c)))
		}
	}
	if u.CentreID != nil {
		centre, err := s.accounts.Centre(ctx, *u.CentreID)
		if err != nil {
			return err
		}
		v.Centre = centre
		if u.Role == account.RolePartner {
			vs, err := s.accounts.VillagersOf(ctx, u, centre.ID)
			if err != nil {
				return err
			}
			v.Villagers = len(vs)
		}
	}
	return s.show(c, "home", v)
}

type accountView struct {
	Centre      *account.Centre
	Region      *account.Region
	HasPassword bool // villagers sign in with a PIN only
}

// accountShow is GET /account: who I am, my language, my password.
func (s *Server) accountShow(c echo.Context) error {
	v, err := s.accountData(c)
	if err != nil {
		return err
	}
	return s.show(c, "account", v)
}

func (s *Server) accountData(c echo.Context) (accountView, error) {
	u := currentUser(c)
	ctx := c.Request().Context()
	var v accountView
	// The signed-in person is read without the password hashes (SessionUser): read them
	// here, on this one page that needs to know.
	full, err := s.accounts.User(ctx, u.ID)
	if err != nil {
		return v, err
	}
	v.HasPassword = full.PasswordHash != ""
	if u.CentreID != nil {
		if v.Centre, err = s.accounts.Centre(ctx, *u.CentreID); err != nil {
			return v, err
		}
	}
	if u.RegionID != nil {
		if v.Region, err = s.accounts.Region(ctx, *u.RegionID); err != nil {
			return v, err
		}
	}
	return v, nil
}

// accountPassword is POST /account/password (fields current, password, confirm).
func (s *Server) accountPassword(c echo.Context) error {
	u := currentUser(c)
	v, err := s.accountData(c)
	if err != nil {
		return err
	}
	next := c.FormValue("password")
	if next != c.FormValue("confirm") {
		p := s.newPage(c, "account", v)
		p.Error, p.ErrField = p.T("error.password_mismatch"), "confirm"
		return s.render(c, http.StatusBadRequest, p)
	}
	token, _ := c.Get(ctxToken).(string)
	if err := s.accounts.ChangePassword(c.Request().Context(), u, c.FormValue("current"), next, token); err != nil {
		return s.showFormError(c, "account", v, err)
	}
	return s.redirectFlash(c, "/account", "flash.password_changed")
}

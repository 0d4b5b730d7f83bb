package web

import (
	"fmt"
	"net/url"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/errs"
)

const accountsPerPage = 50

type accountsView struct {
	Users    []account.User
	Total    int64
	Filter   account.UserFilter
	Page     int
	PrevURL  string
	NextURL  string
	Centres  []account.Centre
	Regions  []account.Region
	Form     account.AccountForm
	Edit     *account.User
	Sessions int64
	Devices  []account.SessionInfo // where the edited person is signed in
}

// CentreName returns the name of centre id, for list rows.
func (v accountsView) CentreName(id *uint) string {
	if id == nil {
		return ""
	}
	for _, c := range v.Centres {
		if c.ID == *id {
			return c.Name
		}
	}
	return ""
}

// RegionName returns the name of region id, for list rows.
func (v accountsView) RegionName(id *uint) string {
	if id == nil {
		return ""
	}
	for _, r := range v.Regions {
		if r.ID == *id {
			return r.Name
		}
	}
	return ""
}

func (s *Server) accountsData(c echo.Context) (accountsView, error) {
	ctx := c.Request().Context()
	var v accountsView
	var err error
	if v.Centres, err = s.accounts.Centres(ctx); err != nil {
		return v, err
	}
	v.Regions, err = s.accounts.Regions(ctx)
	return v, err
}

func accountForm(c echo.Context) account.AccountForm {
	return account.AccountForm{
		Login: c.FormValue("login"), Name: c.FormValue("name"), Phone: c.FormValue("phone"),
		Role: account.Role(c.FormValue("role")), RegionID: formUint(c, "region_id"), CentreID: formUint(c, "centre_id"),
		Password: c.FormValue("password"), PIN: c.FormValue("pin"),
	}
}

// accountList is GET /admin/accounts?role=&q=&page=: accounts, filtered and paged.
func (s *Server) accountList(c echo.Context) error {
	v, err := s.accountsData(c)
	if err != nil {
		return err
	}
	v.Filter = account.UserFilter{Role: account.Role(c.QueryParam("role")), Query: c.QueryParam("q"), Limit: accountsPerPage}
	if !v.Filter.Role.Valid() {
		v.Filter.Role = ""
	}
	v.Page = max(int(queryUint(c, "page")), 1)
	v.Filter.Offset = (v.Page - 1) * accountsPerPage
	if v.Users, v.Total, err = s.accounts.Users(c.Request().Context(), currentUser(c), v.Filter); err != nil {
		return err
	}
	link := func(page int) string {
		q := url.Values{}
		if v.Filter.Role != "" {
			q.Set("role", string(v.Filter.Role))
		}
		if v.Filter.Query != "" {
			q.Set("q", v.Filter.Query)
		}
		q.Set("page", fmt.Sprint(page))
		return "/admin/accounts?" + q.Encode()
	}
	if v.Page > 1 {
		v.PrevURL = link(v.Page - 1)
	}
	if int64(v.Page*accountsPerPage) < v.Total {
		v.NextURL = link(v.Page + 1)
	}
	return s.show(c, "admin_accounts", v)
}

// accountNew is GET /admin/accounts/new.
func (s *Server) accountNew(c echo.Context) error {
	v, err := s.accountsData(c)
	if err != nil {
		return err
	}
	v.Form.Role = account.Role(c.QueryParam("role"))
	if !v.Form.Role.Valid() {
		v.Form.Role = account.RolePartner
	}
	return s.show(c, "admin_account_new", v)
}

// accountCreate is POST /admin/accounts (fields login, name, phone, role, region_id,
// centre_id, password, pin).
func (s *Server) accountCreate(c echo.Context) error {
	f := accountForm(c)
	if _, err := s.accounts.CreateAccount(c.Request().Context(), currentUser(c), f); err != nil {
		v, lerr := s.accountsData(c)
		if lerr != nil {
			return lerr
		}
		f.Password, f.PIN = "", ""
		v.Form = f
		return s.showFormError(c, "admin_account_new", v, err)
	}
	return s.redirectFlash(c, "/admin/accounts", "flash.account_created")
}

func (s *Server) accountEditData(c echo.Context, id uint) (accountsView, error) {
	v, err := s.accountsData(c)
	if err != nil {
		return v, err
	}
	if v.Edit, err = s.accounts.User(c.Request().Context(), id); err != nil {
		return v, err
	}
	if v.Devices, err = s.accounts.Sessions(c.Request().Context(), currentUser(c), id); err != nil {
		return v, err
	}
	v.Sessions = int64(len(v.Devices))
	return v, nil
}

// accountEdit is GET /admin/accounts/:id: edit, reset password or PIN, deactivate.
func (s *Server) accountEdit(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	v, err := s.accountEditData(c, id)
	if err != nil {
		return err
	}
	u := v.Edit
	v.Form = account.AccountForm{Login: u.Login, Name: u.Name, Phone: u.PhoneNumber(), Role: u.Role}
	if u.RegionID != nil {
		v.Form.RegionID = *u.RegionID
	}
	if u.CentreID != nil {
		v.Form.CentreID = *u.CentreID
	}
	return s.show(c, "admin_account_edit", v)
}

// accountUpdate is POST /admin/accounts/:id (same fields as create; role is fixed; an empty
// password or PIN leaves it unchanged, a new one ends the person's sessions).
func (s *Server) accountUpdate(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	f := accountForm(c)
	if err := s.accounts.UpdateAccount(c.Request().Context(), currentUser(c), id, f); err != nil {
		v, lerr := s.accountEditData(c, id)
		if lerr != nil {
			return lerr
		}
		f.Password, f.PIN, f.Role = "", "", v.Edit.Role
		v.Form = f
		return s.showFormError(c, "admin_account_edit", v, err)
	}
	return s.redirectFlash(c, fmt.Sprintf("/admin/accounts/%d", id), "flash.saved")
}

// accountSetActive is POST /admin/accounts/:id/active (field active = "1" or "0").
func (s *Server) accountSetActive(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	var active bool
	switch c.FormValue("active") {
	case "1":
		active = true
	case "0":
	default:
		return errs.Field("active", "error.bad_request")
	}
	if err := s.accounts.SetActive(c.Request().Context(), currentUser(c), id, active); err != nil {
		return err
	}
	key := "flash.account_deactivated"
	if active {
		key = "flash.account_activated"
	}
	return s.redirectFlash(c, fmt.Sprintf("/admin/accounts/%d", id), key)
}

// accountSessionsEnd is POST /admin/accounts/:id/sessions/end: the person is signed out on
// every device (a lost phone, a shared computer left signed in); the account stays active.
func (s *Server) accountSessionsEnd(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if _, err := s.accounts.EndSessions(c.Request().Context(), currentUser(c), id); err != nil {
		return err
	}
	return s.redirectFlash(c, fmt.Sprintf("/admin/accounts/%d", id), "flash.sessions_ended")
}

package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/errs"
)

// enrolView is the enrolment page: the form, the centres of the area (their exact names
// and numbers are what the file must use) and, after a dry run, its plan and the list as
// text, posted again unchanged to confirm.
type enrolView struct {
	Centres []account.Centre
	Text    string
	Plan    *account.EnrolPlan
}

// MaxCreate and MaxRows are the limits of one import and of one file, for the help text.
func (enrolView) MaxCreate() int { return account.MaxEnrolCreate }
func (enrolView) MaxRows() int   { return account.MaxEnrolRows }

func (s *Server) enrolData(c echo.Context, sc *coordScope) (*enrolView, error) {
	cs, err := s.accounts.CentresWithin(c.Request().Context(), sc.Region)
	return &enrolView{Centres: cs}, err
}

// coordEnrolShow is GET /coord/enrol?region=: upload or paste a list of partners.
func (s *Server) coordEnrolShow(c echo.Context) error {
	sc, err := s.coordScope(c)
	if err != nil {
		return err
	}
	v, err := s.enrolData(c, sc)
	if err != nil {
		return err
	}
	return s.showCoord(c, "coord_enrol", sc, v)
}

// coordEnrolCheckAgain is GET /coord/enrol/check: the dry run is a POST, so a reload, a
// language switch or a breadcrumb link there lands on the form.
func (s *Server) coordEnrolCheckAgain(c echo.Context) error {
	to := "/coord/enrol"
	if region := queryUint(c, "region"); region != 0 {
		to += "?region=" + itoa(int(region))
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// coordEnrolCheck is POST /coord/enrol/check?region= (multipart: file csv or text): the
// dry run. It shows the partners the list would create and every bad row with its line
// and reasons, and writes nothing; when every row is good it offers the confirm button.
func (s *Server) coordEnrolCheck(c echo.Context) error {
	sc, err := s.coordScope(c)
	if err != nil {
		return err
	}
	v, err := s.enrolData(c, sc)
	if err != nil {
		return err
	}
	rows, err := readEnrolment(c, v)
	if err != nil {
		return s.showFormError(c, "coord_enrol", coordView{Scope: sc, Data: v}, err)
	}
	if v.Plan, err = s.accounts.PlanEnrolment(c.Request().Context(), currentUser(c), sc.Region, rows); err != nil {
		return err
	}
	return s.showCoord(c, "coord_enrol", sc, v)
}

// coordEnrol is POST /coord/enrol?region= (the text of a checked list): creates every
// partner of the list or none, then shows their one-time passwords. The page is rendered
// from the POST, not redirected to, because the passwords exist only in this response.
func (s *Server) coordEnrol(c echo.Context) error {
	sc, err := s.coordScope(c)
	if err != nil {
		return err
	}
	v, err := s.enrolData(c, sc)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rows, err := readEnrolment(c, v)
	if err != nil {
		return s.showFormError(c, "coord_enrol", coordView{Scope: sc, Data: v}, err)
	}
	res, err := s.accounts.Enrol(ctx, currentUser(c), sc.Region, rows)
	if errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict) {
		// Something changed since the dry run (or the button was pressed twice): show
		// the check again, with what is wrong now.
		var perr error
		if v.Plan, perr = s.accounts.PlanEnrolment(ctx, currentUser(c), sc.Region, rows); perr != nil {
			return perr
		}
		return s.showFormError(c, "coord_enrol", coordView{Scope: sc, Data: v}, err)
	}
	if err != nil {
		return err
	}
	return s.showCoord(c, "coord_enrol_result", sc, res)
}

// readEnrolment parses the uploaded file csv or, when no file was chosen, the pasted text.
// Pasted text (and a readable file) is kept in v.Text for the form.
func readEnrolment(c echo.Context, v *enrolView) ([]account.EnrolRow, error) {
	var b []byte
	fh, err := c.FormFile("csv")
	switch {
	case err == nil:
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if b, err = io.ReadAll(io.LimitReader(f, account.MaxEnrolBytes+1)); err != nil {
			return nil, err
		}
	case errors.Is(err, http.ErrMissingFile), errors.Is(err, http.ErrNotMultipart):
		text := c.FormValue("text")
		if strings.TrimSpace(text) == "" {
			return nil, errs.Field("csv", "enrol.error.no_input")
		}
		b = []byte(text)
		v.Text = strings.ToValidUTF8(text, "\uFFFD")
	default:
		return nil, err
	}
	rows, err := account.ParseEnrolment(bytes.NewReader(b))
	if err == nil {
		v.Text = strings.TrimPrefix(string(b), "\ufeff")
	}
	return rows, err
}

// coordEnrolTemplate is GET /coord/enrol/template.csv: an empty list with the Chinese
// headers, as UTF-8 with a byte-order mark so that Excel opens and saves it correctly.
func (s *Server) coordEnrolTemplate(c echo.Context) error {
	c.Response().Header().Set("Content-Disposition", `attachment; filename="cunlu-partners.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", []byte("\ufeff姓名,手机号,服务站\r\n"))
}

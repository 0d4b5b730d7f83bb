package web

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/course"
	"cunlu/app/report"
)

// coordScope is the region a coordinator page is about (?region=ID, by default their own)
// and the trail from their own region down to it. Regions outside their own are "not found".
type coordScope struct {
	Region *account.Region
	Trail  []account.Region
}

func (s *Server) coordScope(c echo.Context) (*coordScope, error) {
	u := currentUser(c)
	ctx := c.Request().Context()
	if u.RegionID == nil {
		return nil, errForbidden
	}
	id := queryUint(c, "region")
	if id == 0 {
		id = *u.RegionID
	}
	region, err := s.accounts.RegionInScope(ctx, u, id)
	if err != nil {
		return nil, err
	}
	home, err := s.accounts.Region(ctx, *u.RegionID)
	if err != nil {
		return nil, err
	}
	sc := &coordScope{Region: region}
	if sc.Trail, err = s.accounts.Trail(ctx, home, region); err != nil {
		return nil, err
	}
	return sc, nil
}

// coordView wraps every coordinator page: the scope, the data-saver choice and the data.
type coordView struct {
	Scope *coordScope
	Lite  bool // data-saver: no charts, no pictures
	Data  any
}

func (s *Server) showCoord(c echo.Context, name string, sc *coordScope, data any) error {
	return s.show(c, name, coordView{Scope: sc, Lite: c.QueryParam("lite") == "1", Data: data})
}

// coordHome is GET /coord?region=ID: the region's roll-up by the level below it, with
// drill-down, and charts drawn on the server.
func (s *Server) coordHome(c echo.Context) error {
	sc, err := s.coordScope(c)
	if err != nil {
		return err
	}
	ov, err := s.reports.Overview(c.Request().Context(), sc.Region)
	if err != nil {
		return err
	}
	v := coordHomeView{Overview: ov, PartnerTotal: int64(ov.Total.Partners)}
	// A township or village's partners fit on the page; a county's are in the matrix.
	if ov.Total.Partners <= homePartners {
		if v.Partners, _, err = s.reports.Matrix(c.Request().Context(), sc.Region, 1); err != nil {
			return err
		}
	}
	return s.showCoord(c, "coord_home", sc, v)
}

// homePartners is the most partners the overview lists; above it, it links to the matrix.
const homePartners = report.PartnersPerPage

// coordHomeView is the overview and the first page of the region's partners.
type coordHomeView struct {
	*report.Overview
	Partners     []report.PartnerRow
	PartnerTotal int64
}

type matrixView struct {
	Rows    []report.PartnerRow
	Total   int64
	Courses []*course.Course
	Page    int
	Prev    string
	Next    string
}

// coordMatrix is GET /coord/matrix?region=&page=: partners × courses.
func (s *Server) coordMatrix(c echo.Context) error {
	sc, err := s.coordScope(c)
	if err != nil {
		return err
	}
	v := matrixView{Courses: s.courses.Catalog().Courses, Page: max(int(queryUint(c, "page")), 1)}
	if v.Rows, v.Total, err = s.reports.Matrix(c.Request().Context(), sc.Region, v.Page); err != nil {
		return err
	}
	link := func(p int) string {
		u := *c.Request().URL
		q := u.Query()
		q.Set("page", itoa(p))
		u.RawQuery = q.Encode()
		return u.RequestURI()
	}
	if v.Page > 1 {
		v.Prev = link(v.Page - 1)
	}
	if int64(v.Page*report.PartnersPerPage) < v.Total {
		v.Next = link(v.Page + 1)
	}
	return s.showCoord(c, "coord_matrix", sc, v)
}

// coordAlerts is GET /coord/alerts?region=: who needs help.
func (s *Server) coordAlerts(c echo.Context) error {
	sc, err := s.coordScope(c)
	if err != nil {
		return err
	}
	a, err := s.reports.Alerts(c.Request().Context(), sc.Region)
	if err != nil {
		return err
	}
	return s.showCoord(c, "coord_alerts", sc, a)
}

type questionsView struct {
	Course    string
	Courses   []*course.Course
	Questions []report.Difficult
}

// coordQuestions is GET /coord/questions?region=&course=: the most often missed questions.
func (s *Server) coordQuestions(c echo.Context) error {
	sc, err := s.coordScope(c)
	if err != nil {
		return err
	}
	v := questionsView{Course: c.QueryParam("course"), Courses: s.courses.Catalog().Courses}
	if v.Course != "" && s.courses.Catalog().Course(v.Course) == nil {
		return errNotFound
	}
	if v.Questions, err = s.reports.DifficultQuestions(c.Request().Context(), sc.Region, v.Course, 50); err != nil {
		return err
	}
	return s.showCoord(c, "coord_questions", sc, v)
}

// coordPartner is GET /coord/partners/:id: one partner's lessons, answers, tasks,
// certificates, villagers and assist log.
func (s *Server) coordPartner(c echo.Context) error {
	sc, err := s.coordScope(c)
	if err != nil {
		return err
	}
	id, err := paramID(c)
	if err != nil {
		return err
	}
	d, err := s.reports.Partner(c.Request().Context(), sc.Region, id)
	if err != nil {
		return err
	}
	return s.showCoord(c, "coord_partner", sc, d)
}

type assignmentsView struct {
	Assignments []report.AssignmentStatus
	Courses     []*course.Course
	Regions     []account.Region
	Centres     []account.Centre
	Form        report.AssignmentForm
}

func (s *Server) assignmentsData(c echo.Context, sc *coordScope) (*assignmentsView, error) {
	ctx := c.Request().Context()
	v := &assignmentsView{Courses: s.courses.Catalog().Courses}
	var err error
	if v.Assignments, err = s.reports.Assignments(ctx, sc.Region); err != nil {
		return nil, err
	}
	if v.Regions, err = s.accounts.RegionsWithin(ctx, sc.Region); err != nil {
		return nil, err
	}
	v.Centres, err = s.accounts.CentresWithin(ctx, sc.Region)
	return v, err
}

// coordAssignments is GET /coord/assignments?region=: assignments and who is on time.
func (s *Server) coordAssignments(c echo.Context) error {
	sc, err := s.coordScope(c)
	if err != nil {
		return err
	}
	v, err := s.assignmentsData(c, sc)
	if err != nil {
		return err
	}
	return s.showCoord(c, "coord_assignments", sc, v)
}

// coordAssign is POST /coord/assignments (fields course, target = region:ID, centre:ID or
// partner:ID, due).
func (s *Server) coordAssign(c echo.Context) error {
	sc, err := s.coordScope(c)
	if err != nil {
		return err
	}
	f := report.AssignmentForm{Course: c.FormValue("course"), Due: c.FormValue("due")}
	kind, id := splitTarget(c.FormValue("target"))
	switch kind {
	case "region":
		f.RegionID = id
	case "centre":
		f.CentreID = id
	case "partner":
		f.PartnerID = id
	}
	if _, err := s.reports.CreateAssignment(c.Request().Context(), currentUser(c), sc.Region, f); err != nil {
		v, verr := s.assignmentsData(c, sc)
		if verr != nil {
			return verr
		}
		v.Form = f
		return s.showFormError(c, "coord_assignments", coordView{Scope: sc, Data: v}, err)
	}
	return s.redirectFlash(c, "/coord/assignments?region="+itoa(int(sc.Region.ID)), "flash.assigned")
}

func itoa(n int) string { return strconv.Itoa(n) }

// splitTarget reads "kind:id" from the assignment form.
func splitTarget(v string) (string, uint) {
	kind, id, _ := strings.Cut(v, ":")
	n, err := strconv.ParseUint(id, 10, 32)
	if err != nil {
		return "", 0
	}
	return kind, uint(n)
}

package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/errs"
	"cunlu/app/records"
)

// Training classes (培训班): coordinators and partners run them; learners check in to their
// sessions with the code the trainer's screen shows.

type classesView struct {
	Classes   []records.ClassRow
	FollowUps []records.FollowUpSummary
}

// classesList is GET /classes: the classes the person manages; for a coordinator also what
// came of the training, per township.
func (s *Server) classesList(c echo.Context) error {
	ctx, u := c.Request().Context(), currentUser(c)
	cs, err := s.records.Classes(ctx, u)
	if err != nil {
		return err
	}
	v := classesView{Classes: cs}
	if u.Role == account.RoleCoordinator {
		if v.FollowUps, err = s.records.FollowUpsByTownship(ctx, u); err != nil {
			return err
		}
	}
	return s.show(c, "classes", v)
}

type followUpsView struct {
	Rows  []records.FollowUpRow
	Bands []string
	Form  records.FollowUpForm // the form that failed, shown again
}

// followUps is GET /followups: the partner's trainees and what came of their training.
func (s *Server) followUps(c echo.Context) error {
	rows, err := s.records.FollowUps(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return s.show(c, "followups", followUpsView{Rows: rows, Bands: records.SalesBands})
}

// followUpRecord is POST /followups.
func (s *Server) followUpRecord(c echo.Context) error {
	month, _ := strconv.Atoi(c.FormValue("month"))
	f := records.FollowUpForm{UserID: formUint(c, "learner"), Month: month, ShopOpened: c.FormValue("shop") == "yes",
		ShopAddress: c.FormValue("shop_address"), SalesBand: c.FormValue("sales_band"), FoundWork: c.FormValue("work") == "yes",
		UsesServices: c.FormValue("online") == "yes"}
	ctx := c.Request().Context()
	if err := s.records.RecordFollowUp(ctx, currentUser(c), f); err != nil {
		rows, rerr := s.records.FollowUps(ctx, currentUser(c))
		if rerr != nil {
			return rerr
		}
		return s.showFormError(c, "followups", followUpsView{Rows: rows, Bands: records.SalesBands, Form: f}, err)
	}
	return s.redirectFlash(c, "/followups", "flash.followup")
}

type classNewView struct {
	Form    records.ClassForm
	Regions []account.Region // a coordinator's region and those below it
}

func (s *Server) classNewData(c echo.Context, f records.ClassForm) (*classNewView, error) {
	v := &classNewView{Form: f}
	u := currentUser(c)
	if u.Role == account.RoleCoordinator && u.RegionID != nil {
		ctx := c.Request().Context()
		root, err := s.accounts.Region(ctx, *u.RegionID)
		if err != nil {
			return nil, err
		}
		rs, err := s.accounts.RegionsWithin(ctx, root)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if r.Level != account.LevelVillage { // classes are held in a county or a township; villages have centres
				v.Regions = append(v.Regions, r)
			}
		}
	}
	return v, nil
}

// classNew is GET /classes/new: the form for a new class.
func (s *Server) classNew(c echo.Context) error {
	v, err := s.classNewData(c, records.ClassForm{Audience: records.ForBoth})
	if err != nil {
		return err
	}
	return s.show(c, "class_new", v)
}

// classCreate is POST /classes.
func (s *Server) classCreate(c echo.Context) error {
	f := records.ClassForm{Title: c.FormValue("title"), Audience: c.FormValue("audience"), Plan: c.FormValue("plan"),
		TargetHours: c.FormValue("target_hours"), Trainer: c.FormValue("trainer"), TrainerProfile: c.FormValue("trainer_profile"),
		RegionID: formUint(c, "region")}
	cl, err := s.records.CreateClass(c.Request().Context(), currentUser(c), f)
	if err != nil {
		v, verr := s.classNewData(c, f)
		if verr != nil {
			return verr
		}
		return s.showFormError(c, "class_new", v, err)
	}
	return s.redirectFlash(c, classPath(cl.ID), "flash.class_created")
}

func classPath(id uint) string { return "/classes/" + strconv.FormatUint(uint64(id), 10) }

type classView struct {
	Class      *records.Class
	Sessions   []records.Session
	Roster     []records.RosterRow
	Centres    []account.Centre // a region's class: where learners may come from
	CentreID   uint             // the centre whose learners are listed for enrolling
	Candidates []account.User
	Session    records.SessionForm
	Unenrol    uint // the learner whose removal failed, to show the reason field again
	Reason     string
	Exams      []records.Exam
	Exam       records.ExamForm
	Tasks      []string // the practice tasks an exam may include
}

func (s *Server) classData(c echo.Context, id uint) (*classView, error) {
	ctx := c.Request().Context()
	cl, err := s.records.Class(ctx, currentUser(c), id)
	if err != nil {
		return nil, err
	}
	v := &classView{Class: cl, CentreID: queryUint(c, "centre"), Exam: newExamForm, Tasks: records.PracticeTasks(s.courses.Catalog())}
	if v.Sessions, err = s.records.Sessions(ctx, cl.ID); err != nil {
		return nil, err
	}
	if v.Exams, err = s.records.Exams(ctx, cl.ID); err != nil {
		return nil, err
	}
	if v.Roster, err = s.records.Roster(ctx, cl.ID); err != nil {
		return nil, err
	}
	if cl.CentreID == nil {
		region, err := s.accounts.Region(ctx, cl.RegionID)
		if err != nil {
			return nil, err
		}
		if v.Centres, err = s.accounts.CentresWithin(ctx, region); err != nil {
			return nil, err
		}
	} else {
		v.CentreID = *cl.CentreID
	}
	if v.CentreID != 0 {
		if v.Candidates, err = s.records.Candidates(ctx, cl, v.CentreID); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// classShow is GET /classes/:id?centre=: plan, sessions, roster, and the forms to add to them.
func (s *Server) classShow(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	v, err := s.classData(c, id)
	if err != nil {
		return err
	}
	return s.show(c, "class", v)
}

// classFormError shows the class page again with a form's error, keeping what was typed.
func (s *Server) classFormError(c echo.Context, id uint, err error, keep func(*classView)) error {
	v, verr := s.classData(c, id)
	if verr != nil {
		return verr
	}
	if keep != nil {
		keep(v)
	}
	return s.showFormError(c, "class", v, err)
}

// classAddSession is POST /classes/:id/sessions.
func (s *Server) classAddSession(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	f := records.SessionForm{Date: c.FormValue("date"), Start: c.FormValue("start"), End: c.FormValue("end"),
		Kind: c.FormValue("kind"), Place: c.FormValue("place"), Trainer: c.FormValue("trainer")}
	if _, err := s.records.AddSession(c.Request().Context(), currentUser(c), id, f); err != nil {
		return s.classFormError(c, id, err, func(v *classView) { v.Session = f })
	}
	return s.redirectFlash(c, classPath(id)+"#sessions", "flash.session_added")
}

// classEnrol is POST /classes/:id/enrol (learner = the ids ticked).
func (s *Server) classEnrol(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return errs.Field("learner", "error.bad_request")
	}
	var ids []uint
	for _, v := range form["learner"] {
		if n, err := strconv.ParseUint(v, 10, 32); err == nil {
			ids = append(ids, uint(n))
		}
	}
	if len(ids) == 0 {
		err = errs.Field("learner", "error.choose_learners")
	} else {
		_, err = s.records.Enrol(c.Request().Context(), currentUser(c), id, ids)
	}
	if err != nil {
		return s.classFormError(c, id, err, nil)
	}
	return s.redirectFlash(c, classPath(id)+"#roster", "flash.enrolled")
}

// classUnenrol is POST /classes/:id/unenrol (learner, reason).
func (s *Server) classUnenrol(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	learner, reason := formUint(c, "learner"), c.FormValue("reason")
	if err := s.records.Unenrol(c.Request().Context(), currentUser(c), id, learner, reason); err != nil {
		return s.classFormError(c, id, err, func(v *classView) { v.Unenrol, v.Reason = learner, reason })
	}
	return s.redirectFlash(c, classPath(id)+"#roster", "flash.unenrolled")
}

type sessionView struct {
	Class    *records.Class
	Session  *records.Session
	Register []records.Presence
	Roster   []records.RosterRow
	Code     string
	QR       template.HTML
	Hand     records.HandForm
}

func (s *Server) sessionData(c echo.Context) (*sessionView, error) {
	id, err := paramID(c)
	if err != nil {
		return nil, err
	}
	sid, err := strconv.ParseUint(c.Param("sid"), 10, 32)
	if err != nil {
		return nil, errs.New(errs.NotFound, "error.not_found")
	}
	ctx := c.Request().Context()
	ses, cl, err := s.records.ManagedSession(ctx, currentUser(c), id, uint(sid))
	if err != nil {
		return nil, err
	}
	v := &sessionView{Class: cl, Session: ses, Code: s.records.SessionCode(ses.ID, time.Now())}
	if v.Register, err = s.records.Register(ctx, ses.ID); err != nil {
		return nil, err
	}
	if v.Roster, err = s.records.Roster(ctx, cl.ID); err != nil {
		return nil, err
	}
	if v.QR, err = qrSVG(s.attendURL(ses.ID, v.Code)); err != nil {
		return nil, err
	}
	return v, nil
}

// attendURL is the address a session's QR code holds: it opens the check-in page in
// whatever scanned it (WeChat's scanner opens it in WeChat's browser), with the code filled in.
func (s *Server) attendURL(sessionID uint, code string) string {
	u := *s.baseURL
	u.Path = "/attend/" + strconv.FormatUint(uint64(sessionID), 10)
	u.RawQuery = url.Values{"c": {code}}.Encode()
	return u.String()
}

// sessionShow is GET /classes/:id/sessions/:sid: the check-in screen (QR code and the code
// in large digits, new every 30 seconds: the page reloads itself, no script needed) and the
// register.
func (s *Server) sessionShow(c echo.Context) error {
	v, err := s.sessionData(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.show(c, "class_session", v)
}

// sessionMark is POST /classes/:id/sessions/:sid/hand: a trainer marks a learner present.
func (s *Server) sessionMark(c echo.Context) error {
	v, err := s.sessionData(c)
	if err != nil {
		return err
	}
	f := records.HandForm{UserID: formUint(c, "learner"), In: c.FormValue("in"), Out: c.FormValue("out"), Reason: c.FormValue("reason")}
	if err := s.records.MarkByHand(c.Request().Context(), currentUser(c), v.Session.ID, f); err != nil {
		v.Hand = f
		return s.showFormError(c, "class_session", v, err)
	}
	return s.redirectFlash(c, fmt.Sprintf("%s/sessions/%d", classPath(v.Class.ID), v.Session.ID), "flash.marked")
}

// attendList is GET /attend: the learner's sessions open for checking in now, each with a
// field for the code on the trainer's screen (for those who type rather than scan).
func (s *Server) attendList(c echo.Context) error {
	ls, err := s.records.OpenSessions(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return s.show(c, "attend_list", ls)
}

type attendView struct {
	Session *records.LearnerSession
	Code    string
}

func sessionParam(c echo.Context) (uint, error) {
	n, err := strconv.ParseUint(c.Param("sid"), 10, 32)
	if err != nil || n == 0 {
		return 0, errs.New(errs.NotFound, "error.not_found")
	}
	return uint(n), nil
}

// attendShow is GET /attend/:sid?c=CODE, where a scanned QR code leads: a signed-in learner
// sees the session and one button to check in (or out), the code filled in. Opening it
// changes nothing.
func (s *Server) attendShow(c echo.Context) error {
	sid, err := sessionParam(c)
	if err != nil {
		return err
	}
	ls, err := s.records.ForLearner(c.Request().Context(), currentUser(c), sid)
	if err != nil {
		return err
	}
	return s.show(c, "attend", attendView{Session: ls, Code: strings.TrimSpace(c.QueryParam("c"))})
}

// attendSubmit is POST /attend/:sid (code, action in|out).
func (s *Server) attendSubmit(c echo.Context) error {
	sid, err := sessionParam(c)
	if err != nil {
		return err
	}
	ctx, u, code := c.Request().Context(), currentUser(c), c.FormValue("code")
	if c.FormValue("action") == "out" {
		_, err = s.records.CheckOut(ctx, u, sid, code)
	} else {
		_, err = s.records.CheckIn(ctx, u, sid, code, deviceOf(c))
	}
	if err != nil {
		ls, lerr := s.records.ForLearner(ctx, u, sid)
		if lerr != nil {
			return lerr
		}
		return s.showFormError(c, "attend", attendView{Session: ls, Code: code}, err)
	}
	flash := "flash.checked_in"
	if c.FormValue("action") == "out" {
		flash = "flash.checked_out"
	}
	return s.redirectFlash(c, "/attend/"+strconv.FormatUint(uint64(sid), 10), flash)
}

// deviceOf names the browser a check-in came from without keeping its address: many
// check-ins from one device within seconds are how signing for others (代签) shows.
func deviceOf(c echo.Context) string {
	sum := sha256.Sum256([]byte(c.RealIP() + "\n" + c.Request().UserAgent()))
	return hex.EncodeToString(sum[:8])
}

// studyBeat is POST /courses/:course/:lesson/study: the lesson page's beat of active study
// (static/study.js). It answers 204: nothing for the page to show.
func (s *Server) studyBeat(c echo.Context) error {
	co := s.courses.Catalog().Course(c.Param("course"))
	if co == nil {
		return errNotFound
	}
	l := co.Lesson(c.Param("lesson"))
	u := currentUser(c)
	if l == nil || !l.For(string(u.Role)) {
		return errNotFound
	}
	if _, err := s.records.Beat(c.Request().Context(), u.ID, co.Slug, l.Slug, l.Minutes); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// hoursShow is GET /hours: a learner's training hours (学时), per class, online and per month.
func (s *Server) hoursShow(c echo.Context) error {
	h, err := s.records.HoursOf(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	return s.show(c, "hours", h)
}

type packView struct {
	Regions  []account.Region
	RegionID uint
	From, To string
	Seed     string
	Sample   string
}

// packForm is GET /classes/pack: the form for an evidence pack (coordinators).
func (s *Server) packForm(c echo.Context) error {
	v, err := s.packData(c)
	if err != nil {
		return err
	}
	return s.show(c, "class_pack", v)
}

func (s *Server) packData(c echo.Context) (*packView, error) {
	u := currentUser(c)
	ctx := c.Request().Context()
	root, err := s.accounts.Region(ctx, *u.RegionID)
	if err != nil {
		return nil, err
	}
	rs, err := s.accounts.RegionsWithin(ctx, root)
	if err != nil {
		return nil, err
	}
	now := time.Now().In(chinaTime)
	v := &packView{RegionID: root.ID, From: now.AddDate(0, -1, 0).Format(time.DateOnly), To: now.Format(time.DateOnly),
		Seed: strconv.FormatInt(now.UnixNano()%1_000_000, 10)}
	for _, r := range rs {
		if r.Level != account.LevelVillage {
			v.Regions = append(v.Regions, r)
		}
	}
	return v, nil
}

// packDownload is GET /classes/pack.zip?region=&from=&to=&seed=&sample=: the evidence pack
// as one zip (workbook, printable report, signed manifest). Making it changes nothing.
func (s *Server) packDownload(c echo.Context) error {
	ctx := c.Request().Context()
	if c.QueryParam("region") == "" {
		return c.Redirect(http.StatusSeeOther, "/classes/pack") // opened without the form
	}
	fail := func(err error) error {
		v, verr := s.packData(c)
		if verr != nil {
			return verr
		}
		v.RegionID, v.From, v.To, v.Seed, v.Sample = queryUint(c, "region"), c.QueryParam("from"), c.QueryParam("to"), c.QueryParam("seed"), c.QueryParam("sample")
		return s.showFormError(c, "class_pack", v, err)
	}
	region, err := s.accounts.Region(ctx, queryUint(c, "region"))
	if err != nil {
		return fail(errs.Field("region", "error.not_found"))
	}
	from, err := time.ParseInLocation(time.DateOnly, c.QueryParam("from"), chinaTime)
	if err != nil {
		return fail(errs.Field("from", "error.date"))
	}
	to, err := time.ParseInLocation(time.DateOnly, c.QueryParam("to"), chinaTime)
	if err != nil {
		return fail(errs.Field("to", "error.date"))
	}
	seed, err := strconv.ParseUint(strings.TrimSpace(c.QueryParam("seed")), 10, 64)
	if err != nil {
		return fail(errs.Field("seed", "error.number"))
	}
	sample, _ := strconv.Atoi(strings.TrimSpace(c.QueryParam("sample")))
	p, err := s.records.BuildPack(ctx, currentUser(c), records.PackRequest{Region: region, From: from, To: to, Seed: seed, Sample: max(sample, 0)})
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return fail(errs.Field("region", "error.not_found"))
		}
		return fail(err)
	}
	name := fmt.Sprintf("%s-培训档案-%s-%s.zip", region.Name, from.Format(time.DateOnly), to.Format(time.DateOnly))
	ascii := fmt.Sprintf("cunlu-records-%d-%s-%s.zip", region.ID, from.Format(time.DateOnly), to.Format(time.DateOnly))
	h := c.Response().Header()
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, url.PathEscape(name)))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/zip")
	c.Response().WriteHeader(http.StatusOK)
	return p.WriteZip(c.Response(), s.records.Key())
}

// RecordsKey is the key evidence packs are signed with, for tests that verify a download.
func (s *Server) RecordsKey() []byte { return s.records.Key() }

type classLogView struct {
	Class   *records.Class
	Entries []records.AuditEntry
}

// classLog is GET /classes/:id/log: every change to the class, oldest first.
func (s *Server) classLog(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cl, err := s.records.Class(ctx, currentUser(c), id)
	if err != nil {
		return err
	}
	es, err := s.records.Log(ctx, cl.ID)
	if err != nil {
		return err
	}
	return s.show(c, "class_log", classLogView{Class: cl, Entries: es})
}

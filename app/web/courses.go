package web

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/course"
	"cunlu/app/errs"
	"cunlu/app/progress"
)

var errNotFound = errs.New(errs.NotFound, "error.not_found")

// audienceOf is whose courses a person sees: villagers theirs, everyone else all.
func audienceOf(u *account.User) string {
	if u.Role == account.RoleVillager {
		return course.AudienceVillager
	}
	return course.AudiencePartner
}

// learnerOf describes the signed-in person for the progress service. The centre's name is
// looked up only when a certificate is printed with it.
func learnerOf(u *account.User) progress.Learner {
	l := progress.Learner{ID: u.ID, Name: u.Name, Audience: audienceOf(u)}
	if u.CentreID != nil {
		l.CentreID = *u.CentreID
	}
	return l
}

func (s *Server) snapshot(c echo.Context) (*progress.Snapshot, error) {
	return s.progress.Snapshot(c.Request().Context(), learnerOf(currentUser(c)))
}

type courseCard struct {
	Course   *course.Course
	Text     *course.CourseText
	Mastered int
	Total    int
	Percent  int
	Next     *course.Lesson
	Cert     *progress.Certificate
}

func card(sn *progress.Snapshot, c *course.Course, lang string) courseCard {
	m, t := sn.CourseProgress(c)
	cc := courseCard{Course: c, Text: c.In(lang), Mastered: m, Total: t, Next: sn.Next(c)}
	if t > 0 {
		cc.Percent = m * 100 / t
	}
	if cert, ok := sn.Certificates[c.Slug]; ok {
		cc.Cert = &cert
	}
	return cc
}

// catalogue is GET /courses: every course the person sees, with progress and what is next.
func (s *Server) catalogue(c echo.Context) error {
	sn, err := s.snapshot(c)
	if err != nil {
		return err
	}
	lang := s.langOf(c)
	var cards []courseCard
	for _, co := range s.courses.Catalog().Courses {
		if co.For(sn.Learner.Audience) {
			cards = append(cards, card(sn, co, lang))
		}
	}
	return s.show(c, "catalogue", cards)
}

func (s *Server) langOf(c echo.Context) string {
	if tr, ok := c.Get(ctxTranslator).(*Translator); ok {
		return tr.Lang
	}
	return s.requestLang(c)
}

type lessonRow struct {
	Lesson   *course.Lesson
	Text     *course.LessonText
	Passed   bool
	Mastered bool
	Locked   bool
}

type courseView struct {
	courseCard
	Lessons   []lessonRow
	OfflineKB int // about how much saving the course for offline downloads
	AudioKB   int // how much the lessons' recordings add to it, when the learner chooses them
}

// courseShow is GET /courses/:course: the introduction and the lessons with their status.
func (s *Server) courseShow(c echo.Context) error {
	co := s.courses.Catalog().Course(c.Param("course"))
	sn, err := s.snapshot(c)
	if err != nil {
		return err
	}
	if co == nil || !co.For(sn.Learner.Audience) {
		return errNotFound
	}
	lang := s.langOf(c)
	v := courseView{courseCard: card(sn, co, lang)}
	for _, l := range co.LessonsFor(sn.Learner.Audience) {
		v.Lessons = append(v.Lessons, lessonRow{Lesson: l, Text: l.In(lang), Passed: sn.Passed(l), Mastered: sn.Mastered(l), Locked: len(sn.Locked(l)) > 0})
	}
	if v.OfflineKB, err = s.offlineKB(co, sn.Learner.Audience, lang); err != nil {
		return err
	}
	if _, n, err := s.offlineAudio(c, co, sn.Learner.Audience, lang); err != nil {
		return err
	} else if n > 0 {
		v.AudioKB = (n + 1023) / 1024
	}
	return s.show(c, "course", v)
}

// courseImage is GET /courses/:course/images/*: a lesson illustration.
func (s *Server) courseImage(c echo.Context) error {
	co := s.courses.Catalog().Course(c.Param("course"))
	name := path.Clean("/" + c.Param("*"))[1:]
	if co == nil || name == "" || strings.Contains(name, "..") {
		return errNotFound
	}
	b, err := fs.ReadFile(s.files, path.Join(co.Slug, "images", name))
	if err != nil {
		return errNotFound
	}
	ctype := "application/octet-stream"
	switch path.Ext(name) {
	case ".svg":
		ctype = "image/svg+xml"
	case ".png":
		ctype = "image/png"
	case ".jpg", ".jpeg":
		ctype = "image/jpeg"
	case ".webp":
		ctype = "image/webp"
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=86400")
	// An SVG opened on its own must not run script.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	return c.Blob(http.StatusOK, ctype, b)
}

package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"cunlu/app/course"
	"cunlu/app/errs"
	"cunlu/app/progress"
)

// quizSubmit is POST /courses/:course/:lesson/quiz (fields key, and q1, q2, … with option
// ids; learner, when present, must be the signed-in person). The server grades; the learner
// is sent to the lesson page showing the feedback. The same key sent twice (a double tap, a
// resend after a lost connection, answers queued offline and sent again) is one attempt.
// A script that asks for JSON (static/offline.js sending answers given offline) gets the
// server's grade as JSON instead of the redirect.
func (s *Server) quizSubmit(c echo.Context) error {
	u := currentUser(c)
	ctx := c.Request().Context()
	l := s.courses.Catalog().Lesson(c.Param("course"), c.Param("lesson"))
	if l == nil || !l.For(audienceOf(u)) {
		return errNotFound
	}
	form, err := c.FormParams()
	if err != nil {
		return errs.New(errs.Invalid, "error.bad_request")
	}
	answers := course.Answers{}
	for name, values := range form {
		if strings.HasPrefix(name, "q") {
			answers[name] = values
		}
	}
	lang := s.langOf(c)
	key := c.FormValue("key")
	sub := progress.Submission{Key: key, Lang: lang, Answers: optionIDs(l, key, answers)}
	if err := everyQuestionAnswered(l, answers); err != nil {
		return s.quizFormError(c, sub, err)
	}
	who := learnerOf(u)
	if by := c.FormValue("learner"); by != "" && by != strconv.FormatUint(uint64(who.ID), 10) {
		// The form was opened by someone else on this device (another person signed in since).
		return s.quizFormError(c, sub, errs.New(errs.Conflict, "error.quiz_other_person"))
	}
	a, err := s.progress.RecordAttempt(ctx, who, l, sub)
	if err != nil {
		return s.quizFormError(c, sub, err)
	}
	to := fmt.Sprintf("%s?attempt=%d#result", l.URL(), a.ID)
	if wantsJSON(c) {
		tr := s.translatorOf(c)
		verdict := tr.T("quiz.passed")
		if !a.Passed {
			verdict = tr.T("quiz.not_passed", "Need", l.PassMark())
		}
		return c.JSON(http.StatusOK, map[string]any{"attempt": a.ID, "right": a.Right, "total": a.Total, "passed": a.Passed,
			"url": to, "text": tr.T("quiz.score", "Right", a.Right, "Total", a.Total) + " " + verdict})
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// everyQuestionAnswered names the first question without an answer (by its number on the
// page), so the page can say which and take the learner to it.
func everyQuestionAnswered(l *course.Lesson, a course.Answers) error {
	for i, q := range l.In(course.Langs[0]).Quiz.Questions {
		if len(a[q.ID]) == 0 {
			return errs.Field(q.ID, "error.quiz_unanswered").With("N", i+1)
		}
	}
	return nil
}

// quizFormError shows the lesson again with the answers kept and the reason; nothing was
// recorded.
func (s *Server) quizFormError(c echo.Context, sub progress.Submission, err error) error {
	e, ok := err.(*errs.Error)
	if !ok || (e.Code != errs.Invalid && e.Code != errs.Conflict) || wantsJSON(c) {
		return err
	}
	v, lerr := s.lessonData(c, 0)
	if lerr != nil {
		return lerr
	}
	if len(sub.Key) >= 16 && len(sub.Key) <= 64 {
		v.Key = sub.Key
	}
	v.Questions = shuffled(v.Text.Quiz.Questions, v.Key)
	for i := range v.Questions {
		q := &v.Questions[i]
		for j := range q.Options {
			for _, id := range sub.Answers[q.ID] {
				if id == q.Options[j].ID {
					q.Options[j].Chosen = true
				}
			}
		}
	}
	p := s.newPage(c, "lesson", v)
	p.Error = p.T(e.Key, e.Args)
	p.ErrField = e.Field
	status := http.StatusBadRequest
	if e.Code == errs.Conflict {
		status = http.StatusConflict
	}
	return s.render(c, status, p)
}

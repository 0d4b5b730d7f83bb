package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"html"
	"html/template"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"cunlu/app/course"
	"cunlu/app/progress"
)

type taskRow struct {
	ID       string
	Done     bool
	Evidence template.HTML // what the learner did, escaped
	Practice string        // the link that starts the task's practice (practiceURL)
}

type optionRow struct {
	*course.Option
	Chosen bool
	Pos    int // its place in this attempt's order, from 1: what the form sends (optionValue)
}

type questionRow struct {
	*course.Question
	Options  []optionRow
	Answered bool
	Correct  bool
}

type lessonView struct {
	Course     *course.Course
	CourseText *course.CourseText
	Lesson     *course.Lesson
	Text       *course.LessonText
	Prev, Next *course.Lesson
	PrevText   *course.LessonText
	NextText   *course.LessonText
	Locked     []*course.Lesson
	Tasks      []taskRow
	Passed     bool
	Mastered   bool
	Key        string
	Questions  []questionRow // in the attempt's order, with the learner's choices
	Attempt    *progress.Attempt
	CanSubmit  bool
	Cert       *progress.Certificate
	Audio      *lessonAudio
	PassMark   int
	Lang       string
	Learner    string // whose quiz form this is (an id), so answers go to the person who gave them
}

// KB is the lesson's size, for people who pay for their data.
func (v *lessonView) KB() int { return (v.Text.Bytes + 1023) / 1024 }

// LockedTitle is the title of a prerequisite, in the page's language.
func (v lessonView) LockedTitle(l *course.Lesson) string { return l.In(v.Lang).Title }

// lessonShow is GET /courses/:course/:lesson (and ?attempt=ID after submitting the quiz):
// the lesson, its practice tasks, and either the quiz or the feedback on an attempt.
func (s *Server) lessonShow(c echo.Context) error {
	v, err := s.lessonData(c, queryUint(c, "attempt"))
	if err != nil {
		return err
	}
	return s.show(c, "lesson", v)
}

func (s *Server) lessonData(c echo.Context, attemptID uint) (*lessonView, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	l := s.courses.Catalog().Lesson(c.Param("course"), c.Param("lesson"))
	if l == nil || !l.For(audienceOf(u)) {
		return nil, errNotFound
	}
	sn, err := s.progress.Snapshot(ctx, learnerOf(u))
	if err != nil {
		return nil, err
	}
	tr := s.translatorOf(c)
	lang := tr.Lang
	v := &lessonView{Course: l.Course, CourseText: l.Course.In(lang), Lesson: l, Text: l.In(lang), Lang: lang,
		Locked: sn.Locked(l), Passed: sn.Passed(l), Mastered: sn.Mastered(l), CanSubmit: u.Role.Learner(), PassMark: l.PassMark()}
	visible := l.Course.LessonsFor(sn.Learner.Audience)
	for i, x := range visible {
		if x == l {
			if i > 0 {
				v.Prev, v.PrevText = visible[i-1], visible[i-1].In(lang)
			}
			if i+1 < len(visible) {
				v.Next, v.NextText = visible[i+1], visible[i+1].In(lang)
			}
		}
	}
	for _, t := range l.Tasks {
		tc, done := sn.Tasks[t]
		v.Tasks = append(v.Tasks, taskRow{ID: t, Done: done, Evidence: template.HTML(html.EscapeString(evidenceText(s.translatorOf(c), tc.Evidence))), Practice: practiceURL(t, l.URL())})
	}
	if cert, ok := sn.Certificates[l.Course.Slug]; ok {
		v.Cert = &cert
	}
	if v.Audio, err = s.lessonAudio(c, l, lang); err != nil {
		return nil, err
	}
	// A lesson downloaded to be saved for offline ("Purpose: prefetch"), or only asked
	// about (HEAD), is not one opened.
	if u.Role.Learner() && c.Request().Header.Get("Purpose") != "prefetch" && c.Request().Method == http.MethodGet {
		if err := s.progress.Opened(ctx, sn, l); err != nil {
			return nil, err
		}
	}
	if attemptID != 0 {
		a, err := s.progress.Attempt(ctx, u.ID, attemptID)
		if err != nil {
			return nil, err
		}
		if a.Course != l.Course.Slug || a.Lesson != l.Slug {
			return nil, errNotFound
		}
		v.Attempt, v.Key = a, a.AttemptKey
	} else {
		var attempts int
		if p := sn.Lessons[l.Key()]; p != nil {
			attempts = p.Attempts
		}
		session, _ := c.Get(ctxToken).(string)
		v.Key = quizKey(session, sn.Learner.ID, l, attempts)
		v.Learner = strconv.FormatUint(uint64(sn.Learner.ID), 10)
	}
	v.Questions = shuffled(v.Text.Quiz.Questions, v.Key)
	if v.Attempt != nil {
		for i := range v.Questions {
			q := &v.Questions[i]
			for _, ans := range v.Attempt.Answers {
				if ans.Question == q.ID {
					q.Answered, q.Correct = true, ans.Correct
					for j := range q.Options {
						q.Options[j].Chosen = ans.Chose(q.Options[j].ID)
					}
				}
			}
		}
	}
	return v, nil
}

// quizKey is the idempotency key of a learner's next attempt at a lesson's quiz. It is
// derived, not random, so an unchanged lesson page has the same bytes on every reload (and
// costs a 304). It changes with each recorded attempt and with the sign-in (an HMAC keyed
// by the session token, which it does not reveal), so a double tap is one attempt while
// another phone's attempt is its own. Answers queued offline get a fresh key in the page
// instead (static/offline.js): the page's key, "-" and random digits.
func quizKey(session string, learner uint, l *course.Lesson, attempts int) string {
	h := hmac.New(sha256.New, []byte(session))
	fmt.Fprintf(h, "quiz key\x00%d\x00%s\x00%d", learner, l.Key(), attempts)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// shuffled returns the questions with their options in the order of one attempt, which
// follows from its key (the part before any "-", so answers queued offline keep the order
// of the page they were given on): each attempt has its own order, so the right answer is
// not always in the same place and a second try does not look like the first, and the
// feedback shows the options in the order they were answered in. True/false keep 对
// before 错.
func shuffled(qs []course.Question, key string) []questionRow {
	seed, _, _ := strings.Cut(key, "-")
	h := fnv.New64a()
	h.Write([]byte(seed))
	r := mrand.New(mrand.NewPCG(h.Sum64(), 0))
	out := make([]questionRow, len(qs))
	for i := range qs {
		q := &qs[i]
		row := questionRow{Question: q}
		for j := range q.Options {
			row.Options = append(row.Options, optionRow{Option: &q.Options[j]})
		}
		if q.Kind != course.TrueFalse {
			r.Shuffle(len(row.Options), func(a, b int) { row.Options[a], row.Options[b] = row.Options[b], row.Options[a] })
		}
		for j := range row.Options {
			row.Options[j].Pos = j + 1
		}
		out[i] = row
	}
	return out
}

// optionIDs turns the answers a quiz form sent into option ids. The form names each option by
// its place in the attempt's order ("1", "2", …), not by its id: ids follow the order the
// author wrote the options in, and authors often write the right one first, so an id in the
// page's source would give the answer away. The attempt's key sets the order (shuffled).
// An option id ("a", "b", …: answers queued by an older page, scripts) is taken as it is.
func optionIDs(l *course.Lesson, key string, a course.Answers) course.Answers {
	out := make(course.Answers, len(a))
	rows := shuffled(l.In(course.Langs[0]).Quiz.Questions, key)
	byID := make(map[string]*questionRow, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	for qid, values := range a {
		q := byID[qid]
		for _, v := range values {
			if n, err := strconv.Atoi(v); err == nil && q != nil && n >= 1 && n <= len(q.Options) {
				v = q.Options[n-1].ID
			}
			out[qid] = append(out[qid], v)
		}
	}
	return out
}

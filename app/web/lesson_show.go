package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html"
	"html/template"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/course"
	"cunlu/app/progress"
)

type taskRow struct {
	ID       string
	Done     bool
	Evidence template.HTML // what the learner did, escaped
}

type optionRow struct {
	*course.Option // the lesson's own (also a fragment key that stays the same)
	Chosen         bool
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
	Questions  []questionRow
	Attempt    *progress.Attempt
	CanSubmit  bool
	Cert       *progress.Certificate
	PassMark   int
	Lang       string
	Learner    string // whose quiz form this is (an id), so answers go to the person who gave them
	tr         *Translator
	views      *views // the fragments of the quiz form (QuizForm, QuizHTML)
	form       int    // the quiz form of Key (a stencil's markers stand in for Key, not for this)
}

// The parts of a lesson page that are the same for everyone who sees the lesson in one
// language are rendered once and kept (views.fragment): the title and size, the quiz form's
// opening tag, each question and option, the pager. They are what a page is rendered from
// when it has no stencil yet (stencil.go); without them the quiz alone was more than a
// hundred template actions per page.

// lessonFrag is what the lesson's title block and quiz form depend on.
type lessonFrag struct {
	*Translator
	Lesson   *course.Lesson
	Mastered bool
}

func (f lessonFrag) Text() *course.LessonText { return f.Lesson.In(f.Lang) }
func (f lessonFrag) KB() int                  { return (f.Text().Bytes + 1023) / 1024 }

// Grade is what the page needs to grade the quiz offline (offlineGrade).
func (f lessonFrag) Grade() (string, error) { return offlineGrade(f.Lesson, f.Lesson.PassMark()) }

// quizPartFrag is one question (O nil) or one of its options, ticked or not (the form
// shown again after a mistake keeps what the learner chose).
type quizPartFrag struct {
	*Translator
	Q       *course.Question
	O       *course.Option
	Checked bool
}

// pagerFrag is the links to the lessons before and after, as this learner sees the course.
type pagerFrag struct {
	*Translator
	Prev, Next *course.Lesson
}

// HeadFrag is the key of the lesson's title block.
func (v *lessonView) HeadFrag() lessonFrag {
	return lessonFrag{Translator: v.tr, Lesson: v.Lesson, Mastered: v.Mastered}
}

// PagerFrag is the key of the pager.
func (v *lessonView) PagerFrag() pagerFrag {
	return pagerFrag{Translator: v.tr, Prev: v.Prev, Next: v.Next}
}

// QuizForm is the quiz form's opening tag.
func (v *lessonView) QuizForm() (template.HTML, error) {
	return v.views.fragment("quiz_form", lessonFrag{Translator: v.tr, Lesson: v.Lesson})
}

// QuizHTML is the quiz form's questions in the order of the attempt's form, as one piece
// of HTML made of fragments. Only the template asks for it: a page filled into its stencil
// has it already.
func (v *lessonView) QuizHTML() (template.HTML, error) {
	qs := v.Questions // with the learner's ticks when shown again after a mistake
	if qs == nil {
		qs = shuffled(v.Lesson, v.Text.Quiz.Questions, v.form)
	}
	var b strings.Builder
	for _, q := range qs {
		h, err := v.views.fragment("quiz_question", quizPartFrag{Translator: v.tr, Q: q.Question})
		if err != nil {
			return "", err
		}
		b.WriteString(string(h))
		for _, o := range q.Options {
			if h, err = v.views.fragment("quiz_option", quizPartFrag{Translator: v.tr, Q: q.Question, O: o.Option, Checked: o.Chosen}); err != nil {
				return "", err
			}
			b.WriteString(string(h))
		}
		b.WriteString("    </fieldset>\n")
	}
	return template.HTML(b.String()), nil // safe: whole fragments rendered by html/template
}

// LockedTitle is the title of a prerequisite, in the page's language.
func (v lessonView) LockedTitle(l *course.Lesson) string { return l.In(v.Lang).Title }

// lessonShow is GET /courses/:course/:lesson (and ?attempt=ID after submitting the quiz):
// the lesson, its practice tasks, and either the quiz or the feedback on an attempt.
func (s *Server) lessonShow(c echo.Context) error {
	v, err := s.lessonData(c, queryUint(c, "attempt"))
	if err != nil {
		return err
	}
	p := s.newPage(c, "lesson", v)
	key, h, ok := lessonStencil(p, v)
	if !ok {
		return s.render(c, http.StatusOK, p)
	}
	return s.showStencil(c, p, key, h, func(m holes) *Page { return lessonWith(p, v, m) })
}

// lessonStencilKey is everything the shape of a lesson page with its quiz form depends
// on (stencil.go); what is left are the holes of lessonStencil.
type lessonStencilKey struct {
	tr                                *Translator
	role                              account.Role
	path                              string
	lesson                            *course.Lesson
	mastered, passed, cert, canSubmit bool
	locked                            string // the prerequisites not yet passed
	tasks                             uint64 // bit 2i: task i done; bit 2i+1: it has evidence
	form                              int    // the quiz form of the attempt key
}

// lessonStencil returns the stencil key and the person's own values of a lesson page, or
// false for a page that is rendered by its template every time (the feedback on an
// attempt, a page with a one-time notice).
func lessonStencil(p *Page, v *lessonView) (lessonStencilKey, holes, bool) {
	// A query string (other than ?attempt=) changes nothing on the page but its "next"
	// field; rendered by the template, it cannot fill the cache with kinds of page.
	if v.Attempt != nil || p.Flash != "" || p.Error != "" || p.User == nil || len(v.Tasks) > 32 || strings.Contains(p.Path, "?") {
		return lessonStencilKey{}, holes{}, false
	}
	k := lessonStencilKey{tr: p.Translator, role: p.User.Role, path: p.Path, lesson: v.Lesson,
		mastered: v.Mastered, passed: v.Passed, cert: v.Cert != nil, canSubmit: v.CanSubmit, form: v.form}
	for _, l := range v.Locked {
		k.locked += l.Slug + " "
	}
	h := holes{Words: []string{p.CSRF, p.UserID, v.Key, v.Learner, ""}}
	if v.Cert != nil {
		h.Words[4] = v.Cert.Code
	}
	for i, t := range v.Tasks {
		if t.Done {
			k.tasks |= 1 << (2 * i)
		}
		if t.Evidence != "" {
			k.tasks |= 1 << (2*i + 1)
		}
		h.HTML = append(h.HTML, []template.HTML{t.Evidence})
	}
	return k, h, true
}

// lessonWith is the lesson page p with the values h in place of the person's own.
func lessonWith(p *Page, v *lessonView, h holes) *Page {
	q, w := *p, *v
	q.CSRF, q.UserID, w.Key, w.Learner = h.Words[0], h.Words[1], h.Words[2], h.Words[3]
	if v.Cert != nil {
		cert := *v.Cert
		cert.Code = h.Words[4]
		w.Cert = &cert
	}
	w.Tasks = slices.Clone(v.Tasks)
	for i := range w.Tasks {
		if w.Tasks[i].Evidence != "" {
			w.Tasks[i].Evidence = h.HTML[i][0]
		}
	}
	q.Data = &w
	return &q
}

func (s *Server) lessonData(c echo.Context, attemptID uint) (*lessonView, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	l := s.courses.Catalog().Lesson(c.Param("course"), c.Param("lesson"))
	if l == nil || !l.For(audienceOf(u)) {
		return nil, errNotFound
	}
	sn, err := s.progress.LessonSnapshot(ctx, learnerOf(u), l)
	if err != nil {
		return nil, err
	}
	tr := s.translatorOf(c)
	lang := tr.Lang
	v := &lessonView{Course: l.Course, CourseText: l.Course.In(lang), Lesson: l, Text: l.In(lang), Lang: lang, tr: tr,
		Locked: sn.Locked(l), Passed: sn.Passed(l), Mastered: sn.Mastered(l), CanSubmit: u.Role.Learner(), PassMark: l.PassMark(), views: s.views}
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
		v.Tasks = append(v.Tasks, taskRow{ID: t, Done: done, Evidence: template.HTML(html.EscapeString(tc.Evidence))})
	}
	if cert, ok := sn.Certificates[l.Course.Slug]; ok {
		v.Cert = &cert
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
	v.form = quizFormOf(v.Key)
	// The questions in the form's order are for the feedback on an attempt here, and for
	// the quiz form only when the page is rendered by its template (QuizHTML): a page
	// filled into its stencil has them already.
	if v.Attempt != nil {
		v.Questions = shuffled(l, v.Text.Quiz.Questions, v.form)
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
// another phone's attempt is its own. Answers queued offline get a fresh random key in the
// page instead (static/offline.js).
//
// Its last character names the attempt's form (quizFormOf): the next one in turn after the
// learner's previous attempt, starting from one set by the learner, so two neighbours on
// their first attempt are unlikely to have the same.
func quizKey(session string, learner uint, l *course.Lesson, attempts int) string {
	h := hmac.New(sha256.New, []byte(session))
	fmt.Fprintf(h, "quiz key\x00%d\x00%s\x00%d", learner, l.Key(), attempts)
	key := []byte(hex.EncodeToString(h.Sum(nil)[:16]))
	key[len(key)-1] = '0' + byte((int(learner%quizForms)+attempts)%quizForms)
	return string(key)
}

// quizForms is how many orders of its options a quiz has, like the forms A, B, C and D of
// a paper exam. Each attempt is given one (the next after the previous attempt's), so the
// right answer is not always in the same place and a second try does not look like the
// first; and everyone on the same form of a lesson sees the same page, which is what lets
// it be served from a stencil (stencil.go) instead of being rendered for every person.
const quizForms = 4

// quizFormOf is the form of an attempt key: its last byte, modulo quizForms (any key has
// one, also the random ones of answers queued offline).
func quizFormOf(key string) int {
	if key == "" {
		return 0
	}
	return int(key[len(key)-1]) % quizForms
}

// offlineGrade is what the page needs to grade the quiz without a connection: the pass mark
// and the right option ids of each question. Only static/offline.js reads it; the server
// grades every attempt again when it arrives, and its grade is the one that counts.
func offlineGrade(l *course.Lesson, pass int) (string, error) {
	g := struct {
		Pass    int                 `json:"pass"`
		Answers map[string][]string `json:"answers"`
	}{Pass: pass, Answers: map[string][]string{}}
	for _, q := range l.In(course.Langs[0]).Quiz.Questions {
		right := []string{}
		for _, o := range q.Options {
			if o.Correct {
				right = append(right, o.ID)
			}
		}
		g.Answers[q.ID] = right
	}
	b, err := json.Marshal(g)
	return string(b), err
}

// shuffled returns the questions with their options in the order of a quiz form
// (quizForms, quizFormOf an attempt key): the same for everyone on that form of the
// lesson, and shown again with the attempt's feedback. True/false keep 对 before 错.
func shuffled(l *course.Lesson, qs []course.Question, form int) []questionRow {
	h := fnv.New64a()
	h.Write([]byte(l.Key()))
	r := mrand.New(mrand.NewPCG(h.Sum64(), uint64(form)))
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
		out[i] = row
	}
	return out
}

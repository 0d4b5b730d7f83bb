package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cunlu/app/apptest"
	"cunlu/app/course"
)

// correctOption is the first right option of a question of a lesson, in Chinese.
func correctOption(l *course.Lesson, qid string) *course.Option {
	for _, q := range l.In("zh-CN").Quiz.Questions {
		if q.ID == qid {
			for i := range q.Options {
				if q.Options[i].Correct {
					return &q.Options[i]
				}
			}
		}
	}
	return nil
}

var optionRe = regexp.MustCompile(`<label class="option"><input type="(?:radio|checkbox)" name="(q\d+)" value="([^"]*)"[^>]*> <span>(.*?)</span></label>`)

// answersAsShown answers a quiz form the way a person does: by ticking the options whose
// text is right, whatever the form sends for them.
func answersAsShown(t *testing.T, l *course.Lesson, page string) url.Values {
	t.Helper()
	m := keyRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no quiz form")
	}
	f := url.Values{"key": {m[1]}}
	right := map[string]bool{}
	for _, q := range l.In("zh-CN").Quiz.Questions {
		for _, o := range q.Options {
			if o.Correct {
				right[q.ID+"\x00"+string(o.Text)] = true
			}
		}
	}
	for _, o := range optionRe.FindAllStringSubmatch(page, -1) {
		if right[o[1]+"\x00"+o[3]] {
			f.Add(o[1], o[2])
		}
	}
	return f
}

// TestQuizPageHidesTheAnswers: a lesson page with its quiz, for every lesson of a course,
// holds no mark of the right options: no grading data, no class or word for "correct", and
// options named by their place on the page, not by the ids that follow the author's order
// (where the right one is most often first). Answers ticked by their text still pass.
func TestQuizPageHidesTheAnswers(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	co := env.App.Courses.Catalog().Course("buying-online")
	for i, l := range co.Lessons {
		page := c.Get(l.URL())
		if page.Status != http.StatusOK {
			t.Fatalf("%s: %d", l.URL(), page.Status)
		}
		form := page.Body[strings.Index(page.Body, `<section id="quiz"`):]
		form = form[:strings.Index(form, "</section>")]
		for _, mark := range []string{"data-grade", "correct", "is-correct", "answers", "正确答案", "pass"} {
			if strings.Contains(strings.ToLower(form), strings.ToLower(mark)) {
				t.Errorf("%s: the quiz form holds %q", l.Slug, mark)
			}
		}
		for _, q := range l.In("zh-CN").Quiz.Questions {
			for _, o := range q.Options {
				if why := string(o.Explanation); why != "" && strings.Contains(page.Body, why) {
					t.Errorf("%s: the page shows the explanation of %s's option %s before any answer", l.Slug, q.ID, o.ID)
				}
			}
		}
		opts := optionRe.FindAllStringSubmatch(form, -1)
		if len(opts) == 0 {
			t.Fatalf("%s: no options found", l.Slug)
		}
		for _, o := range opts {
			if !regexp.MustCompile(`^[1-5]$`).MatchString(o[2]) {
				t.Errorf("%s: option %s of %s is sent as %q, not by its place", l.Slug, html.UnescapeString(o[3]), o[1], o[2])
			}
		}
		// A pass, in prerequisite order, from the page as a person sees it.
		if i < 3 {
			r := c.Post(l.URL()+"/quiz", answersAsShown(t, l, page.Body))
			if r.Status != http.StatusSeeOther {
				t.Fatalf("%s: submit %d", l.Slug, r.Status)
			}
			if fb := c.Get(strings.Split(r.Location, "#")[0]); !strings.Contains(fb.Body, "通过了") {
				t.Errorf("%s: the right answers, ticked as shown, did not pass", l.Slug)
			}
		}
	}
}

// TestQuizUnansweredNamesTheQuestion: a question left unanswered comes back named, with the
// message next to it and its first option focused (no script needed); what was ticked is kept.
func TestQuizUnansweredNamesTheQuestion(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	page := c.Get(l.URL())
	if !strings.Contains(page.Body, ` required>`) {
		t.Error("one-answer questions are not required")
	}
	f := answersAsShown(t, l, page.Body)
	f.Del("q2")
	r := c.Post(l.URL()+"/quiz", f)
	if r.Status != http.StatusBadRequest {
		t.Fatalf("status %d", r.Status)
	}
	near := regexp.MustCompile(`(?s)<fieldset class="question q-missing" id="question-q2" aria-describedby="q2-error">\s*<legend>.*?</legend>\s*<p class="field-error" id="q2-error">第 2 题还没有选答案`)
	if !near.MatchString(r.Body) {
		t.Errorf("the message is not next to question 2:\n%s", r.Body)
	}
	if !regexp.MustCompile(`name="q2" value="\d"[^>]* autofocus>`).MatchString(r.Body) || strings.Count(r.Body, "autofocus") != 1 {
		t.Error("question 2 is not focused")
	}
	if !regexp.MustCompile(`name="q1" value="` + regexp.QuoteMeta(f.Get("q1")) + `" checked`).MatchString(r.Body) {
		t.Error("the answer to question 1 was not kept")
	}
}

// TestQuizFeedbackAfterPass: after a pass the next lesson is the main button; right answers
// are marked q-right (not "right", the utility class that aligns text to the right).
func TestQuizFeedbackAfterPass(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	r := c.Post(l.URL()+"/quiz", answersAsShown(t, l, c.Get(l.URL()).Body))
	fb := c.Get(strings.Split(r.Location, "#")[0])
	if !strings.Contains(fb.Body, "通过了") {
		t.Fatal("not passed")
	}
	if regexp.MustCompile(`class="question right`).MatchString(fb.Body) || !strings.Contains(fb.Body, `class="question q-right"`) {
		t.Error("right answers are not marked q-right")
	}
	next := regexp.MustCompile(`<a class="btn" href="(/courses/buying-online/[^"#]+)">下一课`).FindStringSubmatch(fb.Body)
	if next == nil || next[1] == l.URL() {
		t.Errorf("the next lesson is not the main button")
	}
	if regexp.MustCompile(`<a class="btn" href="[^"]*#quiz">再做一次`).MatchString(fb.Body) {
		t.Error("after a pass, trying again is still the main button")
	}
}

// TestQuizPassedLastLessonLeadsToTheCourse: after passing a course's last lesson there is no
// next lesson: the main button leads back to the course, not to trying again.
func TestQuizPassedLastLessonLeadsToTheCourse(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	co := env.App.Courses.Catalog().Course("buying-online")
	var last *course.Lesson
	for _, l := range co.Lessons {
		r := c.Post(l.URL()+"/quiz", answersAsShown(t, l, c.Get(l.URL()).Body))
		if r.Status != http.StatusSeeOther {
			t.Fatalf("%s: %d", l.Slug, r.Status)
		}
		last = l
		if l == co.Lessons[len(co.Lessons)-1] {
			fb := c.Get(strings.Split(r.Location, "#")[0])
			if !strings.Contains(fb.Body, `<a class="btn" href="/courses/buying-online">回到课程`) {
				t.Errorf("after passing the last lesson %s, the main button does not lead to the course", last.Slug)
			}
		}
	}
}

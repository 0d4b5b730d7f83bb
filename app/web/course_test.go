package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cunlu/app/apptest"
	"cunlu/app/course"
	"cunlu/app/progress"
)

var keyRe = regexp.MustCompile(`name="key" value="([^"]+)"`)

// quizKey opens a lesson page and returns the attempt key of its quiz form.
func quizKey(t *testing.T, c *apptest.Client, l *course.Lesson) string {
	t.Helper()
	r := c.Get(l.URL())
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d", l.URL(), r.Status)
	}
	m := keyRe.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("%s has no quiz form", l.URL())
	}
	return m[1]
}

// answers returns a form answering every question right (or the first question wrong).
func answers(l *course.Lesson, key string, firstWrong bool) url.Values {
	f := url.Values{"key": {key}}
	for i, q := range l.In("zh-CN").Quiz.Questions {
		for _, o := range q.Options {
			if o.Correct != (firstWrong && i == 0) {
				f.Add(q.ID, o.ID)
				if firstWrong && i == 0 {
					break
				}
			}
		}
	}
	return f
}

func TestQuizGradingFeedbackAndIdempotency(t *testing.T) {
	env := apptest.New(t)
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")

	key := quizKey(t, c, l)
	r := c.Post(l.URL()+"/quiz", answers(l, key, true))
	if r.Status != http.StatusSeeOther || !strings.Contains(r.Location, "?attempt=") {
		t.Fatalf("submit: %d %q\n%s", r.Status, r.Location, r.Body)
	}
	first := r.Location
	// A double tap, or a resend after a lost connection: same key, same attempt.
	if again := c.Post(l.URL()+"/quiz", answers(l, key, false)); again.Location != first {
		t.Fatalf("resubmitting the same attempt gave %q, want %q", again.Location, first)
	}
	uid := mustUserID(t, env, "partner")
	if n := countRows(t, env, "quiz_attempts", "user_id = ?", uid); n != 1 {
		t.Fatalf("%d attempts stored, want 1", n)
	}
	qs := l.In("zh-CN").Quiz.Questions
	if n := countRows(t, env, "quiz_answers", "user_id = ?", uid); n != int64(len(qs)) {
		t.Fatalf("%d answers stored, want %d", n, len(qs))
	}
	fb := c.Get(strings.Split(first, "#")[0])
	if fb.Status != http.StatusOK {
		t.Fatalf("feedback page: %d", fb.Status)
	}
	for _, want := range []string{"还没通过", "没答对", "答对了", "再做一次", string(qs[0].Options[0].Explanation)[:20]} {
		if !strings.Contains(fb.Body, want) {
			t.Errorf("feedback lacks %q", want)
		}
	}
	// Retry with a fresh key: all right, passed.
	key2 := quizKey(t, c, l)
	if key2 == key {
		t.Fatal("the retry got the same attempt key")
	}
	r = c.Post(l.URL()+"/quiz", answers(l, key2, false))
	pass := c.Get(strings.Split(r.Location, "#")[0])
	if !strings.Contains(pass.Body, "通过了") {
		t.Fatalf("all-right attempt not passed")
	}
	if n := countRows(t, env, "lesson_progress", "user_id = ? AND lesson = ? AND passed_at IS NOT NULL AND attempts = 2", uid, l.Slug); n != 1 {
		t.Fatal("lesson progress does not show two attempts and a pass")
	}
	// The lesson is passed but not mastered until its practice task is done.
	if body := c.Get("/courses/buying-online").Body; !strings.Contains(body, "测验已通过，还差练习") {
		t.Error("course page does not say the practice task is left")
	}
}

func TestQuizBadInputChangesNothing(t *testing.T) {
	env := apptest.New(t)
	cat := env.App.Courses.Catalog()
	l := cat.Lesson("buying-online", "how-online-shopping-works")
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	key := quizKey(t, c, l)
	full := answers(l, key, false)
	cases := map[string]struct {
		form   url.Values
		status int
		msg    string
	}{
		"unanswered question": {url.Values{"key": {key}, "q1": full["q1"]}, 400, "第 2 题还没有选答案"},
		"unknown option":      {with(full, "q1", "z"), 400, "对不上"},
		"unknown question":    {with(full, "q99", "a"), 400, "对不上"},
		"stale key":           {with(full, "key", "short"), 400, "过期"},
		"two answers to one":  {with(full, "q1", "a", "b"), 400, "对不上"},
	}
	for name, tc := range cases {
		r := c.Post(l.URL()+"/quiz", tc.form)
		if r.Status != tc.status || !strings.Contains(r.Body, tc.msg) {
			t.Errorf("%s: status %d, want %d with %q", name, r.Status, tc.status, tc.msg)
		}
	}
	// The form comes back with what was chosen still ticked, so nothing is answered twice.
	r := c.Post(l.URL()+"/quiz", url.Values{"key": {key}, "q1": full["q1"]})
	ticked := regexp.MustCompile(`name="q1" value="\d" checked required> <span>` + regexp.QuoteMeta(string(correctOption(l, "q1").Text)) + `<`)
	if !ticked.MatchString(r.Body) || strings.Count(r.Body, " checked") != 1 {
		t.Errorf("the form shown again does not keep q1=%s ticked (and only it)", full.Get("q1"))
	}
	if n := countRows(t, env, "quiz_attempts", "1 = 1"); n != 0 {
		t.Fatalf("bad submissions stored %d attempts", n)
	}
	// A lesson whose prerequisite is not passed yet refuses the quiz, kindly.
	l2 := cat.Lesson("buying-online", "search-and-browse")
	r = c.Post(l2.URL()+"/quiz", answers(l2, quizKey(t, c, l2), false))
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, l.In("zh-CN").Title) {
		t.Fatalf("locked lesson: %d, want 409 naming the prerequisite", r.Status)
	}
}

func with(f url.Values, k string, v ...string) url.Values {
	out := url.Values{}
	for kk, vv := range f {
		out[kk] = vv
	}
	out[k] = v
	return out
}

func TestLearnersSeeOnlyTheirOwnProgress(t *testing.T) {
	env := apptest.New(t)
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	a := env.Client(t)
	a.SignIn("partner", "demo-partner-pass")
	r := a.Post(l.URL()+"/quiz", answers(l, quizKey(t, a, l), true))
	b := env.Client(t)
	b.SignIn("partner02", "demo-partner-pass")
	if got := b.Get(strings.Split(r.Location, "#")[0]); got.Status != http.StatusNotFound {
		t.Fatalf("another learner's attempt: status %d, want 404", got.Status)
	}
	// A user_id slipped into the form is ignored: the attempt is the signer's own.
	form := answers(l, quizKey(t, b, l), false)
	form.Set("user_id", "1")
	b.Post(l.URL()+"/quiz", form)
	if n := countRows(t, env, "quiz_attempts", "user_id = ?", mustUserID(t, env, "partner02")); n != 1 {
		t.Fatalf("partner02 has %d attempts, want 1", n)
	}
	if n := countRows(t, env, "quiz_attempts", "user_id = ?", mustUserID(t, env, "partner")); n != 1 {
		t.Fatalf("partner has %d attempts, want 1 (mass assignment?)", n)
	}
}

func TestUnknownCoursesAndLessonsAre404(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	for _, p := range []string{"/courses/no-such-course", "/courses/buying-online/no-such-lesson", "/courses/no/such",
		"/courses/running-a-centre", "/courses/running-a-centre/a-day-at-the-centre"} { // partner-only courses
		if r := c.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, r.Status)
		}
	}
	if r := c.Post("/courses/buying-online/no-such-lesson/quiz", url.Values{"key": {"0123456789abcdef0"}}); r.Status != http.StatusNotFound {
		t.Errorf("quiz of unknown lesson: %d", r.Status)
	}
	body := c.Get("/courses").Body
	if strings.Contains(body, "服务站日常") || !strings.Contains(body, "网上购物入门") {
		t.Error("villager catalogue should show villager courses only")
	}
}

func TestCertificateIssueAndVerification(t *testing.T) {
	env := apptest.New(t)
	co := env.App.Courses.Catalog().Course("teaching-villagers")
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	uid := mustUserID(t, env, "partner")
	who := progress.Learner{ID: uid, Name: "李娜", Centre: "桃园村服务站", Audience: course.AudiencePartner}
	for i, l := range co.Lessons {
		for _, task := range l.Tasks { // the practice shop would record these
			if err := env.App.Progress.CompleteTask(context.Background(), who, task, "test"); err != nil {
				t.Fatal(err)
			}
		}
		if n := countRows(t, env, "certificates", "user_id = ?", uid); n != 0 {
			t.Fatalf("certificate issued after %d of %d lessons", i, len(co.Lessons))
		}
		c.Post(l.URL()+"/quiz", answers(l, quizKey(t, c, l), false))
	}
	var cert progress.Certificate
	if err := env.App.Accounts.DB().Where("user_id = ? AND course = ?", uid, co.Slug).Take(&cert).Error; err != nil {
		t.Fatalf("no certificate after mastering every lesson: %v", err)
	}
	if len(cert.Code) < 26 {
		t.Fatalf("certificate code %q is too short to be unguessable", cert.Code)
	}
	page := c.Get("/certificates/" + cert.Code)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "李娜") || !strings.Contains(page.Body, "<svg") ||
		!strings.Contains(page.Body, "/verify/"+cert.Code) || !strings.Contains(page.Body, "桃园村服务站") {
		t.Fatalf("certificate page: %d", page.Status)
	}
	other := env.Client(t)
	other.SignIn("partner02", "demo-partner-pass")
	if r := other.Get("/certificates/" + cert.Code); r.Status != http.StatusNotFound {
		t.Errorf("someone else's certificate page: %d, want 404", r.Status)
	}
	public := env.Client(t)
	v := public.Get("/verify/" + strings.ToUpper(cert.Code))
	if v.Status != http.StatusOK || !strings.Contains(v.Body, "李娜") || !strings.Contains(v.Body, co.In("zh-CN").Title) || !strings.Contains(v.Body, "真实有效") {
		t.Fatalf("verify %s: %d\n%s", cert.Code, v.Status, v.Body)
	}
	for _, private := range []string{"桃园村服务站", "13800000500", "partner"} {
		if strings.Contains(v.Body, private) {
			t.Errorf("verify page shows %q", private)
		}
	}
	if r := public.Get("/verify/aaaaaaaaaaaaaaaaaaaaaaaaaa"); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "没有找到这张证书") {
		t.Errorf("unknown code: %d", r.Status)
	}
	if body := c.Get("/courses/" + co.Slug).Body; !strings.Contains(body, "/certificates/"+cert.Code) {
		t.Error("course page does not link the certificate")
	}
}

func TestHomeContinuesWhereYouLeftOff(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	first := env.App.Courses.Catalog().Courses[0].Lessons[0]
	if body := c.Get("/").Body; !strings.Contains(body, first.URL()) {
		t.Fatalf("a new learner's home does not offer the first lesson %s", first.URL())
	}
	l := env.App.Courses.Catalog().Lesson("spotting-scams", "fake-refund-calls")
	c.Get(l.URL())
	if body := c.Get("/").Body; !strings.Contains(body, l.URL()) || !strings.Contains(body, l.In("zh-CN").Title) {
		t.Fatal("home does not continue with the lesson opened last")
	}
}

// Under the lesson body, a small line names the lesson's sources and when its facts were last
// checked, in the reader's language.
func TestLessonShowsItsSources(t *testing.T) {
	env := apptest.New(t)
	l := env.App.Courses.Catalog().Lesson("running-a-centre", "parcels-and-pickup-codes")
	if l == nil || l.Reviewed == "" || len(l.In("en").Sources) == 0 {
		t.Fatal("the lesson has no reviewed date or sources to show")
	}
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	line := regexp.MustCompile(`(?s)<p class="muted small" id="lesson-sources">(.*?)</p>`)
	for _, tt := range []struct{ lang, label, reviewed string }{
		{"zh-CN", "依据：", l.Reviewed + " 核对"},
		{"en", "Sources:", "facts checked on " + l.Reviewed},
	} {
		if tt.lang != "zh-CN" {
			c.Post("/lang", url.Values{"lang": {tt.lang}})
		}
		r := c.Get(l.URL())
		m := line.FindStringSubmatch(r.Body)
		if r.Status != http.StatusOK || m == nil {
			t.Fatalf("%s: %d, no sources line under the lesson", tt.lang, r.Status)
		}
		if !strings.HasPrefix(m[1], tt.label) || !strings.HasSuffix(m[1], tt.reviewed) {
			t.Errorf("%s: sources line %q, want it to start with %q and end with %q", tt.lang, m[1], tt.label, tt.reviewed)
		}
		for _, s := range l.In(tt.lang).Sources {
			if !strings.Contains(m[1], html.EscapeString(s)) {
				t.Errorf("%s: sources line %q lacks %q", tt.lang, m[1], s)
			}
		}
	}
}

package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"cunlu/app/apptest"
)

var (
	examLink    = regexp.MustCompile(`^/classes/1/exams/([0-9]+)$`)
	attemptID   = regexp.MustCompile(`name="attempt" value="([0-9]+)"`)
	firstOption = regexp.MustCompile(`name="a0" value="([a-z])"`)
)

// TestExamRoundTrip: the partner sets an exam on the class page (a bad window is refused with
// the message and what was typed); the demo villager finds the demo exam from the check-in
// page, is refused with a wrong exam code, starts with the right one, gets five questions
// with no answers or explanations on the page, hands in once (a second time is refused and
// no score shows before the window closes); the partner sees the results, and excuses a
// candidate only with a reason, which the class's log keeps; another centre's partner gets 404.
func TestExamRoundTrip(t *testing.T) {
	env := apptest.New(t)
	p := env.Client(t)
	p.SignIn("partner", "demo-partner-pass")
	if r := p.Get("/classes/1"); r.Status != http.StatusOK || !strings.Contains(r.Body, `href="/classes/1/exams/1"`) || !strings.Contains(r.Body, `name="proctor"`) ||
		!strings.Contains(r.Body, `name="tasks" value="buy-pickup-parcel"> 凭取件码取件`) {
		t.Fatalf("class page: %d, no exam or exam form with its practice tasks", r.Status)
	}
	exams := countRows(t, env, "training_exams", "1 = 1")
	cst := time.FixedZone("CST", 8*3600)
	opens := time.Now().In(cst).Add(time.Hour)
	form := url.Values{"title": {"第二次考核"}, "opens": {opens.Format("2006-01-02T15:04")}, "closes": {opens.Add(-time.Hour).Format("2006-01-02T15:04")},
		"minutes": {"20"}, "questions": {"3"}, "lessons": {"网上购物入门"}, "tasks": {"buy-pickup-parcel", "buy-cart-several"}, "attempts": {"1"}, "pass": {"60"}}
	if r := p.Post("/classes/1/exams", form); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "结束必须晚于开始") && !strings.Contains(r.Body, "晚于") || !strings.Contains(r.Body, `value="第二次考核"`) ||
		!strings.Contains(r.Body, `value="buy-cart-several" checked`) {
		t.Errorf("closes before it opens: %d\n%s", r.Status, r.Body)
	}
	if n := countRows(t, env, "training_exams", "1 = 1"); n != exams {
		t.Errorf("a refused exam was stored")
	}
	form.Set("closes", opens.Add(2*time.Hour).Format("2006-01-02T15:04"))
	r := p.Post("/classes/1/exams", form)
	if r.Status != http.StatusSeeOther || examLink.FindStringSubmatch(r.Location) == nil {
		t.Fatalf("create: %d %q\n%s", r.Status, r.Location, r.Body)
	}

	v := env.Client(t)
	v.SignIn("villager", "demo-villager-pass")
	if r := v.Get("/attend"); !strings.Contains(r.Body, `href="/exams"`) {
		t.Errorf("the check-in page does not lead to exams")
	}
	if r := v.Get("/exams"); r.Status != http.StatusOK || !strings.Contains(r.Body, `href="/exams/1"`) || !strings.Contains(r.Body, "第二次考核") {
		t.Errorf("exams list: %d\n%s", r.Status, r.Body)
	}
	if r := v.Get("/exams/1"); r.Status != http.StatusOK || !strings.Contains(r.Body, `action="/exams/1/start"`) || !strings.Contains(r.Body, `name="proctor"`) {
		t.Fatalf("exam page: %d\n%s", r.Status, r.Body)
	}
	attempts := countRows(t, env, "training_exam_attempts", "1 = 1")
	if r := v.Post("/exams/1/start", url.Values{"proctor": {"1111"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "考场口令不对") {
		t.Errorf("a wrong exam code: %d", r.Status)
	}
	if n := countRows(t, env, "training_exam_attempts", "1 = 1"); n != attempts {
		t.Errorf("a wrong exam code started an attempt")
	}
	if r := v.Post("/exams/1/start", url.Values{"proctor": {"2468"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("start: %d\n%s", r.Status, r.Body)
	}
	page := v.Get("/exams/1")
	am, om := attemptID.FindStringSubmatch(page.Body), firstOption.FindStringSubmatch(page.Body)
	if am == nil || om == nil || !strings.Contains(page.Body, `name="a4"`) || strings.Contains(page.Body, `name="a5"`) {
		t.Fatalf("the attempt's questions: %d\n%s", page.Status, page.Body)
	}
	for _, leak := range []string{`class="mark"`, `class="verdict"`, "答对了", "✓"} {
		if strings.Contains(page.Body, leak) {
			t.Errorf("the exam page gives away %q", leak)
		}
	}
	answers := url.Values{"attempt": {am[1]}, "a0": {om[1]}}
	if r := v.Post("/exams/1/submit", answers); r.Status != http.StatusSeeOther {
		t.Fatalf("submit: %d\n%s", r.Status, r.Body)
	}
	if r := v.Post("/exams/1/submit", answers); r.Status != http.StatusConflict || !strings.Contains(r.Body, "已经交过") {
		t.Errorf("a second submission: %d", r.Status)
	}
	if r := v.Get("/exams/1"); !strings.Contains(r.Body, "以后可以看成绩") || strings.Contains(r.Body, "答对") || !strings.Contains(r.Body, "已考 1 次，共可考 2 次") {
		t.Errorf("before the window closes the page shows a score or no wait message:\n%s", r.Body)
	}

	// Once the window has closed, the score and which questions were right.
	if err := env.App.Accounts.DB().Exec("UPDATE training_exams SET closes_at = ? WHERE id = 1", time.Now().Add(-time.Minute).UTC()).Error; err != nil {
		t.Fatal(err)
	}
	if r := v.Get("/exams/1"); !strings.Contains(r.Body, "你的成绩") || !strings.Contains(r.Body, "共 5 题") || strings.Count(r.Body, "<li>") < 5 || !strings.Contains(r.Body, "✗ 没答对") {
		t.Errorf("after the window closes the page shows no result:\n%s", r.Body)
	}
	if r := v.Post("/exams/1/start", url.Values{"proctor": {"2468"}}); r.Status != http.StatusConflict {
		t.Errorf("starting after the window closed: %d", r.Status)
	}
	villager := mustUserID(t, env, "villager")
	res := p.Get("/classes/1/exams/1")
	if res.Status != http.StatusOK || !strings.Contains(res.Body, "1 人交卷") || !strings.Contains(res.Body, "现场口令：2468") {
		t.Errorf("results: %d\n%s", res.Status, res.Body)
	}
	if r := p.Post("/classes/1/exams/1/candidate", url.Values{"learner": {fmt.Sprint(villager)}, "action": {"excuse"}}); r.Status != http.StatusBadRequest {
		t.Errorf("excused without a reason: %d", r.Status)
	}
	if r := p.Post("/classes/1/exams/1/candidate", url.Values{"learner": {fmt.Sprint(villager)}, "action": {"excuse"}, "reason": {"家里有急事"}}); r.Status != http.StatusSeeOther {
		t.Errorf("excuse: %d\n%s", r.Status, r.Body)
	}
	if log := p.Get("/classes/1/log"); !strings.Contains(log.Body, "准予免考") || !strings.Contains(log.Body, "家里有急事") || !strings.Contains(log.Body, "安排考核") {
		t.Errorf("the class log lacks the exam entries")
	}
	other := env.Client(t)
	other.SignIn("partner02", "demo-partner-pass")
	if r := other.Get("/classes/1/exams/1"); r.Status != http.StatusNotFound {
		t.Errorf("another centre's partner opened the results: %d", r.Status)
	}
	if r := other.Post("/exams/1/start", url.Values{"proctor": {"2468"}}); r.Status != http.StatusNotFound {
		t.Errorf("a partner not on the roster started the exam: %d", r.Status)
	}
}

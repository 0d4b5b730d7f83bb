package e2e

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"cunlu/app/apptest"
	"cunlu/app/course"
)

// lessonText is the first words of a lesson as the page shows them.
func lessonText(l *course.Lesson) string {
	plain := strings.Join(strings.Fields(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(string(l.In("zh-CN").Body), " ")), " ")
	r := []rune(plain)
	return string(r[:min(len(r), 12)])
}

// saveCourse saves a course for offline use from its page, the way a learner does.
func saveCourse(t *testing.T, ctx context.Context, base, slug string) {
	t.Helper()
	do(t, ctx, "open the course", chromedp.Navigate(base+"/courses/"+slug), chromedp.WaitVisible(css("#offline-save-button")))
	label := get(t, ctx, "read the save button", chromedp.Text(css("#offline-save-button")))
	if !regexp.MustCompile(`约 \d+ KB`).MatchString(label) {
		t.Fatalf("the save button does not show the size first: %q", label)
	}
	do(t, ctx, "save the course", chromedp.Click(css("#offline-save-button")))
	waitFor(t, ctx, "the course saved", `document.getElementById("offline-save-status").textContent.includes("已保存")`)
}

// TestSavedLessonOpensOffline: a villager saves a course while online, loses the
// connection, and still opens its lessons; a page that was not saved says so and lists
// what is saved.
func TestSavedLessonOpensOffline(t *testing.T) {
	env := apptest.New(t)
	w := newWire(t, env.App.Handler())
	ctx := Browser(t, 360, 800)
	signIn(t, ctx, w.URL, "villager", "demo-villager-pass")
	waitServiceWorker(t, ctx)
	saveCourse(t, ctx, w.URL, "paying-safely")

	co := env.App.Courses.Catalog().Course("paying-safely")
	lessons := co.LessonsFor(course.AudienceVillager)
	n := get(t, ctx, "count what was saved", chromedp.Evaluate[int](
		`caches.open("cunlu-course-paying-safely").then(c => c.keys()).then(ks => ks.length)`, chromedp.EvalAwaitPromise))
	// The course page, its lessons, one picture, four shell files and the list itself.
	if want := 1 + len(lessons) + 1 + 4 + 1; n != want {
		t.Errorf("%d files saved, want %d", n, want)
	}
	do(t, ctx, "open the catalogue", chromedp.Navigate(w.URL+"/courses"), chromedp.WaitVisible(css(`#offline-saved a[href="/courses/paying-safely"]`)))

	setNetwork(t, ctx, w, true, 0, -1)
	before := w.reqs.Load()
	for _, l := range []*course.Lesson{lessons[1], lessons[len(lessons)-1]} {
		do(t, ctx, "open "+l.Slug+" offline", chromedp.Navigate(w.URL+l.URL()), chromedp.WaitVisible(css("#lesson-body")))
		body := get(t, ctx, "read the lesson", chromedp.Text(css("#lesson-body")))
		if want := lessonText(l); !strings.Contains(strings.Join(strings.Fields(body), " "), want) {
			t.Errorf("%s offline shows %q…, want the lesson %q…", l.Slug, body[:min(len(body), 80)], want)
		}
		if styled := get(t, ctx, "styles", chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".top")).backgroundColor`)); styled != "rgb(31, 111, 67)" {
			t.Errorf("%s offline has no stylesheet (header colour %s)", l.Slug, styled)
		}
	}
	do(t, ctx, "open a page that was not saved", chromedp.Navigate(w.URL+"/shop"), chromedp.WaitVisible(css(`#offline-saved a[href="/courses/paying-safely"]`)))
	if h := get(t, ctx, "read the heading", chromedp.Text(css("h1"))); h != "没有联网" {
		t.Errorf("an unsaved page offline shows %q, want the offline page", h)
	}
	if got := w.reqs.Load() - before; got != 0 {
		t.Errorf("the server answered %d requests while the phone was offline", got)
	}
	setNetwork(t, ctx, w, false, 0, -1)
}

// TestQuizAnsweredOfflineSyncsOnce: a villager answers a saved lesson's quiz with no
// connection. The page keeps the answers (it holds no right answers to grade them with) and
// shows they wait to be sent; back online they are sent by themselves, graded by the server
// and recorded exactly once, even when sent twice.
func TestQuizAnsweredOfflineSyncsOnce(t *testing.T) {
	env := apptest.New(t)
	w := newWire(t, env.App.Handler())
	ctx := Browser(t, 360, 800)
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	db := env.App.Accounts.DB()
	signIn(t, ctx, w.URL, "villager", "demo-villager-pass")
	waitServiceWorker(t, ctx)
	saveCourse(t, ctx, w.URL, "buying-online")

	setNetwork(t, ctx, w, true, 0, -1)
	do(t, ctx, "open the lesson offline", chromedp.Navigate(w.URL+l.URL()), chromedp.WaitVisible(css("form.quiz")))
	setNetwork(t, ctx, w, true, 0, -1) // navigator.onLine is set for each document
	// Answer every question with its first option, as shown (options are shuffled).
	do(t, ctx, "answer", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("form.quiz fieldset").forEach(f => f.querySelector("input").click())`),
		chromedp.Click(css(`form.quiz button[type=submit]`)))
	waitFor(t, ctx, "the answers kept in the page", `!!document.getElementById("offline-result") && !document.getElementById("offline-result").hidden`)
	result := get(t, ctx, "read what the page says", chromedp.Text(css("#offline-result")))
	if !strings.Contains(result, "没有联网") || strings.Contains(result, "评分") {
		t.Errorf("the page does not say the answers wait, or gives a grade it cannot know: %q", result)
	}
	waiting := get(t, ctx, "read what waits", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#sync-queue ul.waiting li")].map(li => li.textContent)`))
	if len(waiting) != 1 || !strings.Contains(waiting[0], l.In("zh-CN").Title) || !strings.Contains(waiting[0], "等待发送") {
		t.Fatalf("waiting to be sent: %q", waiting)
	}
	key := get(t, ctx, "read the queued key", chromedp.Evaluate[string](`JSON.parse(localStorage.getItem("cunlu-quiz-queue"))[0].id`))
	// The queued answers have a key of their own that starts with the page's key (which sets
	// the options' order), so their feedback shows the options in the order they were answered.
	pageKey := get(t, ctx, "read the page's next key", chromedp.Value(css(`form.quiz input[name=key]`)))
	order, _, _ := strings.Cut(key, "-")
	pageOrder, _, _ := strings.Cut(pageKey, "-")
	if len(order) != 32 || key == pageKey || order != pageOrder {
		t.Errorf("queued key %q, the page's key now %q: want a new key in the page's order", key, pageKey)
	}
	count := func() int64 {
		var n int64
		if err := db.Table("quiz_attempts").Where("attempt_key = ?", key).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("%d attempts recorded while offline", n)
	}
	// As if the answers had been sent before and the reply lost: the same attempt twice.
	do(t, ctx, "queue the attempt twice", chromedp.Evaluate[chromedp.Void](`(() => {
		const q = JSON.parse(localStorage.getItem("cunlu-quiz-queue"));
		q.push(Object.assign({}, q[0], {id: "resend-of-the-same-attempt"}));
		localStorage.setItem("cunlu-quiz-queue", JSON.stringify(q));
	})()`))

	setNetwork(t, ctx, w, false, 0, -1) // the page hears "online" and sends
	waitFor(t, ctx, "the answers sent", `document.querySelectorAll("#sync-queue ul.waiting li").length === 0 &&
		document.querySelectorAll("#sync-queue ul.sent li").length > 0`)
	if n := count(); n != 1 {
		t.Fatalf("%d attempts recorded for one attempt sent twice, want 1", n)
	}
	var a struct{ Right, Total int }
	db.Table("quiz_attempts").Where("attempt_key = ?", key).Select("right, total").Scan(&a)
	if a.Total != len(l.In("zh-CN").Quiz.Questions) {
		t.Errorf("the server graded %d/%d", a.Right, a.Total)
	}
	sent := get(t, ctx, "read what was sent", chromedp.Text(css("#sync-queue ul.sent")))
	if !strings.Contains(sent, "服务器评分") {
		t.Errorf("the page does not show the server's grade: %q", sent)
	}
	if left := get(t, ctx, "read the queue", chromedp.Evaluate[int](`JSON.parse(localStorage.getItem("cunlu-quiz-queue")).length`)); left != 0 {
		t.Errorf("%d answers still queued after sending", left)
	}
	do(t, ctx, "reload", chromedp.Reload())
	if n := count(); n != 1 {
		t.Errorf("%d attempts after a reload, want 1", n)
	}

	// Online, the quiz goes straight to the server and shows its feedback.
	do(t, ctx, "answer online", chromedp.Navigate(w.URL+l.URL()), chromedp.WaitVisible(css("form.quiz")),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("form.quiz fieldset").forEach(f => f.querySelector("input").click())`),
		chromedp.Click(css(`form.quiz button[type=submit]`)))
	waitFor(t, ctx, "the server's feedback", `location.search.startsWith("?attempt=") && !!document.getElementById("result")`)
	var all int64
	db.Table("quiz_attempts").Where("lesson = ?", l.Slug).Count(&all)
	if all != 2 {
		t.Errorf("%d attempts at the lesson, want 2 (one sent later, one online)", all)
	}
}

// TestQuizWithoutJavaScript: with scripts off, the quiz is a plain form and works as before.
func TestQuizWithoutJavaScript(t *testing.T) {
	env := apptest.New(t)
	ctx := Browser(t, 360, 800)
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	signIn(t, ctx, env.URL, "villager", "demo-villager-pass")
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turn scripts off: %v", err)
	}
	do(t, ctx, "open the lesson", chromedp.Navigate(env.URL+l.URL()), chromedp.WaitVisible(css("form.quiz")))
	for _, q := range l.In("zh-CN").Quiz.Questions {
		do(t, ctx, "answer "+q.ID, chromedp.Click(css(`form.quiz input[name="`+q.ID+`"]`)))
	}
	do(t, ctx, "submit", chromedp.Click(css(`form.quiz button[type=submit]`)), chromedp.WaitVisible(css("#result")))
	var n int64
	env.App.Accounts.DB().Table("quiz_attempts").Where("lesson = ?", l.Slug).Count(&n)
	if n != 1 {
		t.Errorf("%d attempts recorded, want 1", n)
	}
}

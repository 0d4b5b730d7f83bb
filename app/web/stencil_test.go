package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"cunlu/app/apptest"
	"cunlu/app/progress"
)

// stencilCount reads how many pages were answered from a stencil, made one, or were
// rendered by the template instead.
func stencilCount(t *testing.T, env *apptest.Env, result string) int {
	t.Helper()
	body := env.Client(t).Get("/metrics").Body
	m := regexp.MustCompile(`cunlu_page_stencils_total\{result="` + result + `"\} (\d+)`).FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestLessonStencilIsTheTemplatesPage: lesson pages filled into a stencil (stencil.go) are
// the very bytes the template makes, in every state a learner's lesson page can be in. The
// template's page comes from a second instance on the same database in editing mode (-dev),
// which renders every page by its template; the two share sessions, so one browser's
// cookies are good on both.
func TestLessonStencilIsTheTemplatesPage(t *testing.T) {
	env := apptest.New(t)
	oracle := apptest.New(t, apptest.DatabaseURL(env.DBURL), apptest.NoDemo(), apptest.Args("-dev", apptest.ModuleRoot(t)))
	cat := env.App.Courses.Catalog()
	first := cat.Lesson("buying-online", "how-online-shopping-works")
	second := cat.Lesson("buying-online", "search-and-browse") // locked until first is passed
	partner := env.Client(t)
	partner.SignIn("partner", "demo-partner-pass")
	villager := env.Client(t)
	villager.SignIn("villager", "demo-villager-pass")

	same := func(name string, c *apptest.Client, path string) string {
		t.Helper()
		filled := stencilCount(t, env, "filled")
		c.Get(path) // makes the stencil if this is the first page of its kind
		got := c.Get(path)
		req, _ := http.NewRequest(http.MethodGet, oracle.URL+path, nil)
		want := c.Do(req)
		if got.Status != http.StatusOK || want.Status != http.StatusOK {
			t.Fatalf("%s: status %d, template's %d", name, got.Status, want.Status)
		}
		if n := stencilCount(t, env, "filled"); n < filled+1 {
			t.Errorf("%s: %d pages filled from a stencil, want %d or more", name, n, filled+1)
		}
		if got.Body != want.Body {
			t.Errorf("%s: the page from the stencil differs from the template's:\n%s", name, firstDiff(want.Body, got.Body))
		}
		return got.Body
	}

	same("partner, fresh", partner, first.URL())
	if body := same("partner, locked lesson", partner, second.URL()); !strings.Contains(body, " disabled>") {
		t.Error("the locked lesson's quiz can be submitted")
	}
	same("villager, fresh", villager, first.URL())
	// A failed attempt changes the quiz key and the order of the options (and the page
	// comes from the stencil made before: nothing else changed).
	oldKey := quizKey(t, partner, first)
	partner.Post(first.URL()+"/quiz", answers(first, oldKey, true))
	if body := same("partner, after an attempt", partner, first.URL()); strings.Contains(body, oldKey) || !strings.Contains(body, quizKey(t, partner, first)) {
		t.Error("the page after an attempt does not carry the new quiz key")
	}
	// Practice-task evidence is the learner's own text: it must come out escaped.
	uid := mustUserID(t, env, "partner")
	who := progress.Learner{ID: uid, Name: "王芳", Audience: "partner"}
	if err := env.App.Progress.CompleteTask(context.Background(), who, first.Tasks[0], `订单 <b>"7"</b> & 送达`); err != nil {
		t.Fatal(err)
	}
	body := same("partner, task done", partner, first.URL())
	if !strings.Contains(body, `订单 &lt;b&gt;&#34;7&#34;&lt;/b&gt; &amp; 送达`) {
		t.Error("the task's evidence is not on the page, escaped")
	}
	partner.Post(first.URL()+"/quiz", answers(first, quizKey(t, partner, first), false))
	same("partner, passed and mastered", partner, first.URL())
	same("partner, unlocked", partner, second.URL())
	partner.Post("/lang", url.Values{"lang": {"en"}, "next": {"/"}})
	if body := same("partner, in English", partner, first.URL()); !strings.Contains(body, `lang="en"`) {
		t.Error("the page is not in English after switching")
	}
	// Another person in the same state gets the same stencil with their own values.
	other := env.Client(t)
	other.SignIn("partner02", "demo-partner-pass")
	before := stencilCount(t, env, "filled")
	page := other.Get(second.URL()).Body
	if got := stencilCount(t, env, "filled"); got != before+1 {
		t.Errorf("another partner in the same state: %d filled, want %d", got, before+1)
	}
	if !strings.Contains(page, `name="_csrf" value="`+other.CSRF()+`"`) || strings.Contains(page, partner.CSRF()) {
		t.Error("another partner's page does not carry their own CSRF token (or carries the first's)")
	}
}

// TestStencilRefusesOddValues: a value with a character that would need escaping (here a
// CSRF cookie a browser was given by someone else) is never filled in: the page is rendered
// by the template, which escapes it.
func TestStencilRefusesOddValues(t *testing.T) {
	env := apptest.New(t)
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	c.Get(l.URL()) // makes the stencil
	odd := `abc"><script>x</script>`
	c.SetCookie(&http.Cookie{Name: "_csrf", Value: url.QueryEscape(odd)})
	before := stencilCount(t, env, "template")
	r := c.Get(l.URL())
	if r.Status != http.StatusOK || strings.Contains(r.Body, "<script>x</script>") {
		t.Fatalf("status %d; the odd value is on the page unescaped", r.Status)
	}
	if got := stencilCount(t, env, "template"); got != before+1 {
		t.Errorf("%d pages rendered by the template instead of the stencil, want %d", got, before+1)
	}
}

// TestStencilsIgnoreQueryStrings: a lesson address with a made-up query string is
// rendered by the template; it makes no stencil, so such addresses cannot crowd out the
// stencils of real pages.
func TestStencilsIgnoreQueryStrings(t *testing.T) {
	env := apptest.New(t)
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	made, filled := stencilCount(t, env, "made"), stencilCount(t, env, "filled")
	for i := range 3 {
		if r := c.Get(l.URL() + "?utm=" + strconv.Itoa(i)); r.Status != http.StatusOK {
			t.Fatalf("status %d", r.Status)
		}
	}
	if m, f := stencilCount(t, env, "made"), stencilCount(t, env, "filled"); m != made || f != filled {
		t.Errorf("pages with a query string: %d stencils made, %d filled; want none", m-made, f-filled)
	}
}

// firstDiff shows where two pages part.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return "template: …" + a[from:min(len(a), i+80)] + "…\nstencil:  …" + b[from:min(len(b), i+80)] + "…"
}

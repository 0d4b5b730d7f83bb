package web_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"cunlu/app/apptest"
	"cunlu/app/course"
	"cunlu/app/progress"
)

// stencilCount reads how many pages were answered from a stencil, made one, or were
// rendered by the template instead.
func stencilCount(t *testing.T, env *apptest.Env, result string) int {
	t.Helper()
	body := env.Client(t).Get("/metrics").Body
	re := `cunlu_page_stencils_total\{result="` + result + `"\} (\d+)`
	if result == "gzip" {
		re = `cunlu_page_stencils_gzip_total (\d+)`
	}
	m := regexp.MustCompile(re).FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// partnerOnLesson is a new instance with the demo partner signed in, and the first lesson.
func partnerOnLesson(t *testing.T) (*apptest.Env, *course.Lesson, *apptest.Client) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	return env, env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works"), c
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
	locked := same("partner, locked lesson", partner, second.URL())
	if !strings.Contains(locked, " disabled>") {
		t.Error("the locked lesson's quiz can be submitted")
	}
	lockedKey := regexp.MustCompile(`name="key" value="([0-9a-f]+)"`).FindStringSubmatch(locked)[1]
	same("villager, fresh", villager, first.URL())
	// A failed attempt changes the quiz key and the quiz form (the order of the options).
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
	// Another person in the same state (the second lesson still locked, in Chinese) and on
	// the same quiz form gets the same stencil with their own values; one on another form
	// does not.
	form := lockedKey[len(lockedKey)-1]
	var other *apptest.Client
	var page string
	for i := 2; i <= 20 && other == nil; i++ {
		c := env.Client(t)
		c.SignIn(fmt.Sprintf("partner%02d", i), "demo-partner-pass")
		before := stencilCount(t, env, "filled")
		body := c.Get(second.URL()).Body
		filled := stencilCount(t, env, "filled") == before+1
		key := regexp.MustCompile(`name="key" value="([0-9a-f]+)"`).FindStringSubmatch(body)
		if key == nil {
			t.Fatal("no quiz key on the locked lesson's page")
		}
		if sameForm := key[1][len(key[1])-1] == form; sameForm != filled {
			t.Errorf("partner%02d: same quiz form %v, but filled from a stencil %v", i, sameForm, filled)
		} else if sameForm {
			other, page = c, body
		}
	}
	if other == nil {
		t.Fatal("no other demo partner on the same quiz form")
	}
	if !strings.Contains(page, `name="_csrf" value="`+other.CSRF()+`"`) || strings.Contains(page, partner.CSRF()) {
		t.Error("another partner's page does not carry their own CSRF token (or carries the first's)")
	}
}

// TestStencilRefusesOddValues: a value with a character that would need escaping (here a
// CSRF cookie a browser was given by someone else) is never filled in: the page is rendered
// by the template, which escapes it.
func TestStencilRefusesOddValues(t *testing.T) {
	env, l, c := partnerOnLesson(t)
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
	env, l, c := partnerOnLesson(t)
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

// TestStencilPagesGzipFromReadyBlocks: a page filled into a stencil goes out as gzip made
// from the stencil's parts compressed beforehand (stencil_gzip.go), and decompresses to
// the very page sent to a browser that takes no gzip; with values of other lengths it is
// still right, and past the lengths a stencil keeps blocks for, it is compressed whole.
func TestStencilPagesGzipFromReadyBlocks(t *testing.T) {
	env, l, c := partnerOnLesson(t)
	c.Get(l.URL()) // makes the stencil
	get := func(encoding string) *apptest.Resp {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, env.URL+l.URL(), nil)
		req.Header.Set("Accept-Encoding", encoding) // set by hand: the client leaves the body as sent
		r := c.Do(req)
		if r.Status != http.StatusOK {
			t.Fatalf("status %d", r.Status)
		}
		return r
	}
	// CSRF tokens of six lengths: the stencil keeps blocks for four combinations of lengths.
	for i, token := range []string{"", "abcdefghij", "abcdefghijk", "abcdefghijkl", "abcdefghijklm", "abcdefghijklmn"} {
		if token != "" {
			c.SetCookie(&http.Cookie{Name: "_csrf", Value: token})
		}
		plain := get("identity")
		if plain.Header.Get("Content-Encoding") != "" {
			t.Fatalf("sent %q to a browser that takes none", plain.Header.Get("Content-Encoding"))
		}
		before := stencilCount(t, env, "gzip")
		zipped := get("gzip, deflate, br")
		ready := stencilCount(t, env, "gzip") == before+1
		if zipped.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(zipped.Header.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("Content-Encoding %q, Vary %q", zipped.Header.Get("Content-Encoding"), zipped.Header.Get("Vary"))
		}
		if n, _ := strconv.Atoi(zipped.Header.Get("Content-Length")); ready && n != len(zipped.Body) {
			t.Errorf("Content-Length %d, body %d bytes", n, len(zipped.Body))
		}
		zr, err := gzip.NewReader(strings.NewReader(zipped.Body))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		if string(body) != plain.Body || zipped.Header.Get("ETag") != plain.Header.Get("ETag") {
			t.Errorf("page %d: the gzip page (ready blocks: %v) is not the plain one:\n%s", i, ready, firstDiff(plain.Body, string(body)))
		}
		if token != "" && !strings.Contains(string(body), `value="`+token+`"`) {
			t.Errorf("page %d lacks its CSRF token", i)
		}
		// The first page and the next three lengths have blocks; the last two are compressed whole.
		if want := i < 4; ready != want {
			t.Errorf("page %d: from ready blocks %v, want %v", i, ready, want)
		}
	}
	if r := get("gzip;q=0, identity"); r.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip refused with q=0, but the page came as %q", r.Header.Get("Content-Encoding"))
	}
}

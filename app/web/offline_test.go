package web_test

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"cunlu/app/apptest"
)

// get fetches path with extra request headers (name, value, name, value…).
func get(t *testing.T, env *apptest.Env, c *apptest.Client, path string, header ...string) *apptest.Resp {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, env.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.Do(req)
}

// post sends a form (with the client's CSRF token unless the form has one) asking for JSON.
func postJSON(t *testing.T, env *apptest.Env, c *apptest.Client, path string, form url.Values) *apptest.Resp {
	t.Helper()
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.CSRF())
	}
	req, err := http.NewRequest(http.MethodPost, env.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	return c.Do(req)
}

// TestUnchangedPagesCostA304: pages carry a validator, so a reload of an unchanged page
// sends no body; a change (a flash, a new attempt) sends the page again. Sign-in pages are
// never kept.
func TestUnchangedPagesCostA304(t *testing.T) {
	env := apptest.New(t)
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	c := env.Client(t)
	if r := c.Get("/login"); r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("ETag") != "" {
		t.Errorf("sign-in page: Cache-Control %q, ETag %q; want no-store and no validator", r.Header.Get("Cache-Control"), r.Header.Get("ETag"))
	}
	c.SignIn("villager", "demo-villager-pass")

	first := c.Get(l.URL())
	tag := first.Header.Get("ETag")
	if first.Status != http.StatusOK || !strings.HasPrefix(tag, `W/"`) || first.Header.Get("Cache-Control") != "private, no-cache" {
		t.Fatalf("lesson: %d, ETag %q, Cache-Control %q", first.Status, tag, first.Header.Get("Cache-Control"))
	}
	again := get(t, env, c, l.URL(), "If-None-Match", tag)
	if again.Status != http.StatusNotModified || again.Body != "" || again.Header.Get("ETag") != tag {
		t.Fatalf("unchanged lesson reloaded: %d, %d bytes, ETag %q; want 304 with no body", again.Status, len(again.Body), again.Header.Get("ETag"))
	}
	if r := get(t, env, c, "/courses", "If-None-Match", tag); r.Status != http.StatusOK {
		t.Errorf("another page with the lesson's tag: %d, want 200", r.Status)
	}

	// A one-time notice changes the page: sent in full, and its tag is not the plain page's.
	c.SetCookie(&http.Cookie{Name: "flash", Value: "flash.saved", Path: "/"})
	flashed := get(t, env, c, l.URL(), "If-None-Match", tag)
	if flashed.Status != http.StatusOK || !strings.Contains(flashed.Body, `class="flash"`) || flashed.Header.Get("ETag") == tag {
		t.Fatalf("page with a flash: %d, ETag %q (plain %q)", flashed.Status, flashed.Header.Get("ETag"), tag)
	}
	if r := get(t, env, c, l.URL(), "If-None-Match", flashed.Header.Get("ETag")); r.Status != http.StatusOK || strings.Contains(r.Body, `class="flash"`) {
		t.Fatalf("after the flash was shown the page must be sent again without it: %d", r.Status)
	}

	// An attempt changes the lesson (a new attempt key): the old copy is not current.
	key := quizKey(t, c, l)
	if key2 := quizKey(t, c, l); key2 != key {
		t.Fatalf("an unchanged lesson gave a new attempt key (%s, %s): its page can never be a 304", key, key2)
	}
	c.Post(l.URL()+"/quiz", answers(l, key, false))
	if r := get(t, env, c, l.URL(), "If-None-Match", tag); r.Status != http.StatusOK || quizKey(t, c, l) == key {
		t.Fatalf("after an attempt: %d; the lesson must come with a new attempt key", r.Status)
	}
	// Another browser of the same person gets its own key, so its attempt is its own.
	other := env.Client(t)
	other.SignIn("villager", "demo-villager-pass")
	if quizKey(t, other, l) == quizKey(t, c, l) {
		t.Error("two browsers got the same attempt key")
	}
}

func TestServiceWorkerAndManifest(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	page := c.Get("/login").Body
	css := regexp.MustCompile(`/static/app\.[0-9a-f]+\.css`).FindString(page)
	if css == "" || !strings.Contains(page, `<link rel="manifest" href="/manifest.webmanifest">`) ||
		!regexp.MustCompile(`<script src="/static/offline\.[0-9a-f]+\.js" defer>`).MatchString(page) {
		t.Fatalf("layout lacks the stylesheet, manifest or offline script:\n%s", page)
	}

	sw := c.Get("/sw.js")
	if sw.Status != http.StatusOK || !strings.HasPrefix(sw.Header.Get("Content-Type"), "text/javascript") || sw.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("/sw.js: %d %q %q", sw.Status, sw.Header.Get("Content-Type"), sw.Header.Get("Cache-Control"))
	}
	if !strings.Contains(sw.Body, `"`+css+`"`) || strings.Contains(sw.Body, "/*ASSETS*/") || strings.Contains(sw.Body, `"dev"`) {
		t.Errorf("/sw.js does not list the hashed shell files:\n%s", sw.Body[:min(len(sw.Body), 1200)])
	}
	if r := get(t, env, c, "/sw.js", "If-None-Match", sw.Header.Get("ETag")); r.Status != http.StatusNotModified {
		t.Errorf("/sw.js revalidated: %d, want 304", r.Status)
	}

	m := c.Get("/manifest.webmanifest")
	var man struct {
		Name, Display, Lang string
		StartURL            string `json:"start_url"`
		ThemeColor          string `json:"theme_color"`
		Icons               []struct{ Src, Sizes, Type string }
	}
	if err := json.Unmarshal([]byte(m.Body), &man); err != nil {
		t.Fatalf("manifest: %v\n%s", err, m.Body)
	}
	if m.Header.Get("Content-Type") != "application/manifest+json" || man.Name != "村路" || man.StartURL != "/" || man.Display != "standalone" ||
		man.ThemeColor != "#1f6f43" || man.Lang != "zh-CN" {
		t.Errorf("manifest: %q %+v", m.Header.Get("Content-Type"), man)
	}
	sizes := map[string]bool{}
	for _, i := range man.Icons {
		r := c.Get(i.Src)
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != i.Type {
			t.Errorf("icon %s: %d %q", i.Src, r.Status, r.Header.Get("Content-Type"))
			continue
		}
		if i.Type == "image/png" {
			cfg, err := png.DecodeConfig(bytes.NewReader([]byte(r.Body)))
			if err != nil || i.Sizes != strconv.Itoa(cfg.Width)+"x"+strconv.Itoa(cfg.Height) {
				t.Errorf("icon %s says %s, is %dx%d (%v)", i.Src, i.Sizes, cfg.Width, cfg.Height, err)
			}
		}
		sizes[i.Sizes] = true
	}
	if !sizes["192x192"] || !sizes["512x512"] {
		t.Errorf("manifest icons %v lack 192 and 512 px PNGs", sizes)
	}

	off := c.Get("/offline")
	if off.Status != http.StatusOK || !strings.Contains(off.Body, `id="offline-saved"`) {
		t.Errorf("/offline: %d", off.Status)
	}
}

// TestOfflinePackIsTheLearnersCourse: saving a course downloads its page, the learner's
// lessons with their quizzes and images, and the shell files; the size shown first is
// about what that costs; and downloading is not "opening" the lessons.
func TestOfflinePackIsTheLearnersCourse(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	co := env.App.Courses.Catalog().Course("paying-safely")
	r := get(t, env, c, "/courses/paying-safely/offline.json", "Accept", "application/json")
	var p struct {
		Course, Title         string
		Pages, Images, Assets []string
		Bytes                 int
	}
	if err := json.Unmarshal([]byte(r.Body), &p); err != nil || r.Status != http.StatusOK {
		t.Fatalf("offline.json: %d %v\n%s", r.Status, err, r.Body)
	}
	want := []string{"/courses/paying-safely"}
	for _, l := range co.LessonsFor("villager") {
		want = append(want, l.URL())
	}
	if strings.Join(p.Pages, " ") != strings.Join(want, " ") || p.Title != co.In("zh-CN").Title {
		t.Errorf("pages %v, want %v", p.Pages, want)
	}
	if strings.Join(p.Images, " ") != "/courses/paying-safely/images/pay-page-zh.svg" || len(p.Assets) != 4 {
		t.Errorf("images %v, assets %v", p.Images, p.Assets)
	}
	uid := mustUserID(t, env, "villager")
	opened := countRows(t, env, "lesson_progress", "user_id = ?", uid)
	total := 0
	for _, u := range append(append(p.Pages, p.Images...), p.Assets...) {
		res := get(t, env, c, u, "Purpose", "prefetch", "Accept-Encoding", "gzip")
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d", u, res.Status)
		}
		total += len(res.Body) + 700 // the body as sent, and about the headers
	}
	if p.Bytes < total*8/10 || p.Bytes > total*12/10 {
		t.Errorf("saving says %d bytes, downloading took about %d", p.Bytes, total)
	}
	if n := countRows(t, env, "lesson_progress", "user_id = ?", uid); n != opened {
		t.Errorf("saving the course marked %d lessons as opened", n-opened)
	}
	kb := (p.Bytes + 1023) / 1024
	if body := c.Get("/courses/paying-safely").Body; !strings.Contains(body, "保存本课程（约 "+strconv.Itoa(kb)+" KB）") {
		t.Errorf("course page does not show the size (%d KB) before saving", kb)
	}
	if r := get(t, env, c, "/courses/no-such-course/offline.json", "Accept", "application/json"); r.Status != http.StatusNotFound || !strings.Contains(r.Body, `"error"`) {
		t.Errorf("unknown course: %d %s", r.Status, r.Body)
	}
}

// TestQuizSentLaterIsGradedByTheServerOnce: answers queued offline arrive as a script's
// POST asking for JSON; the server grades them, and sending them again changes nothing.
func TestQuizSentLaterIsGradedByTheServerOnce(t *testing.T) {
	env := apptest.New(t)
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	uid := mustUserID(t, env, "villager")
	form := func(key string) url.Values {
		f := answers(l, key, true)
		f.Set("learner", strconv.Itoa(int(uid)))
		return f
	}
	const key = "0123456789abcdef0123456789abcdef"
	var first map[string]any
	for i := 0; i < 2; i++ {
		r := postJSON(t, env, c, l.URL()+"/quiz", form(key))
		var got map[string]any
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil || r.Status != http.StatusOK {
			t.Fatalf("send %d: %d %v\n%s", i+1, r.Status, err, r.Body)
		}
		if i == 0 {
			first = got
			total := len(l.In("zh-CN").Quiz.Questions)
			if got["right"] != float64(total-1) || got["total"] != float64(total) || got["passed"] != false ||
				!strings.Contains(got["url"].(string), "?attempt=") || !strings.Contains(got["text"].(string), "还没通过") {
				t.Errorf("server grade: %v", got)
			}
		} else if got["attempt"] != first["attempt"] {
			t.Errorf("sent again: attempt %v, first %v", got["attempt"], first["attempt"])
		}
	}
	if n := countRows(t, env, "quiz_attempts", "user_id = ? AND attempt_key = ?", uid, key); n != 1 {
		t.Fatalf("%d attempts for one key, want 1", n)
	}

	for _, tt := range []struct {
		name   string
		client *apptest.Client
		form   url.Values
		status int
	}{
		{"answers another person gave on this device", c, func() url.Values { f := form("another-person-key-000000"); f.Set("learner", "999999"); return f }(), http.StatusConflict},
		{"a stale CSRF token", c, func() url.Values { f := form("stale-token-key-00000000"); f.Set("_csrf", "stale"); return f }(), http.StatusForbidden},
		{"an unanswered question", c, url.Values{"key": {"unanswered-key-000000000"}}, http.StatusBadRequest},
		{"signed out", env.Client(t), form("signed-out-key-000000000"), http.StatusUnauthorized},
	} {
		r := postJSON(t, env, tt.client, l.URL()+"/quiz", tt.form)
		var got map[string]string
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil || r.Status != tt.status || got["error"] == "" {
			t.Errorf("%s: %d %q, want %d with a JSON error", tt.name, r.Status, r.Body, tt.status)
		}
	}
	if n := countRows(t, env, "quiz_attempts", "user_id = ?", uid); n != 1 {
		t.Errorf("%d attempts after refused sends, want 1", n)
	}
}

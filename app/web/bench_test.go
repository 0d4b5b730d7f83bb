package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cunlu/app/apptest"
)

// The hot paths, in process through the whole handler stack (middleware, session, page,
// gzip): CPU time and allocations per request, without the network. The load tests with
// real connections are in bench/speed.sh; these say where the time goes between them.
//
//	go test -run '^$' -bench . -benchmem ./app/web/

const benchLesson = "/courses/buying-online/how-online-shopping-works"

// benchSession signs the demo partner in and returns the cookies a browser would send.
func benchSession(b *testing.B) (*apptest.Env, string) {
	env := apptest.New(b)
	c := env.Client(b)
	if r := c.SignIn("partner", "demo-partner-pass"); r.Status != http.StatusSeeOther {
		b.Fatalf("sign-in: %d", r.Status)
	}
	var parts []string
	for _, name := range []string{"cunlu_session", "_csrf"} {
		if ck := c.Cookie(name); ck != nil {
			parts = append(parts, ck.Name+"="+ck.Value)
		}
	}
	return env, strings.Join(parts, "; ")
}

func BenchmarkLessonPage(b *testing.B) {
	env, cookie := benchSession(b)
	h := env.App.Handler()
	for b.Loop() {
		benchGet(b, h, benchLesson, cookie)
	}
}

func BenchmarkQuizSubmit(b *testing.B) {
	env, cookie := benchSession(b)
	h := env.App.Handler()
	page := env.Client(b)
	page.Header.Set("Cookie", cookie)
	body := page.Get(benchLesson).Body
	form := url.Values{}
	for _, m := range regexp.MustCompile(`type="(?:radio|checkbox)" name="(q[^"]*)" value="([^"]*)"`).FindAllStringSubmatch(body, -1) {
		if form.Get(m[1]) == "" {
			form.Set(m[1], m[2])
		}
	}
	csrf := regexp.MustCompile(`_csrf=([^;]+)`).FindStringSubmatch(cookie)[1]
	form.Set("_csrf", csrf)
	n := 0
	for b.Loop() {
		n++
		form.Set("key", fmt.Sprintf("bench-quiz-key-%08d", n))
		req := httptest.NewRequest(http.MethodPost, benchLesson+"/quiz", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", cookie)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusSeeOther {
			b.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
	}
}

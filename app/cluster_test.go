package app_test

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"cunlu/app/apptest"
	"cunlu/app/db/dbtest"
)

// TestTwoInstancesOneDatabase: a province runs several Cunlu instances on one PostgreSQL
// behind a round-robin balancer with no sticky sessions. Every request of one person goes
// to the other instance than the one before: signing in, pages, a quiz submission, its
// result, signing out. Each must behave as if there were one server. (bench/speed.sh
// does the same through nginx.)
func TestTwoInstancesOneDatabase(t *testing.T) {
	kinds := dbtest.Kinds()
	if len(kinds) < 2 {
		t.Skipf("needs PostgreSQL (%s)", dbtest.PostgresEnv)
	}
	dbURL := dbtest.URL(t, "postgres")
	a := apptest.New(t, apptest.DatabaseURL(dbURL))
	b := apptest.New(t, apptest.DatabaseURL(dbURL))

	var next atomic.Int64
	var mu sync.Mutex
	served := map[string]int{}
	backends := []*url.URL{mustURL(t, a.URL), mustURL(t, b.URL)}
	balancer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(next.Add(1)) % len(backends)
		mu.Lock()
		served[backends[i].Host]++
		mu.Unlock()
		httputil.NewSingleHostReverseProxy(backends[i]).ServeHTTP(w, r)
	}))
	defer balancer.Close()
	c := (&apptest.Env{URL: balancer.URL}).Client(t)

	c.SignIn("partner", "demo-partner-pass") // the CSRF cookie came from one instance, the sign-in goes to the other
	lesson := "/courses/buying-online/how-online-shopping-works"
	var page string
	for i := range 6 {
		r := c.Get(lesson)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `action="/logout"`) {
			t.Fatalf("request %d after signing in: status %d, signed in %v", i, r.Status, strings.Contains(r.Body, `action="/logout"`))
		}
		page = r.Body
	}
	form := url.Values{}
	for _, m := range regexp.MustCompile(`type="(?:radio|checkbox)" name="(q[^"]*)" value="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if form.Get(m[1]) == "" {
			form.Set(m[1], m[2])
		}
	}
	form.Set("key", regexp.MustCompile(`name="key" value="([^"]+)"`).FindStringSubmatch(page)[1])
	r := c.Post(lesson+"/quiz", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("quiz submission through the balancer: %d", r.Status)
	}
	result := c.Get(r.Location[strings.Index(r.Location, "/courses"):])
	if result.Status != http.StatusOK || !strings.Contains(result.Body, `id="result"`) {
		t.Fatalf("the result, on the other instance: %d\n%s", result.Status, result.Body)
	}
	if r := c.Post("/logout", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", r.Status)
	}
	for i := range 2 {
		if r := c.Get(lesson); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
			t.Fatalf("request %d after signing out, on instance %d: status %d to %q", i, i%2, r.Status, r.Location)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, u := range backends {
		if served[u.Host] < 5 {
			t.Errorf("instance %s served %d requests: the balancer did not alternate", u.Host, served[u.Host])
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

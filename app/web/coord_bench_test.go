package web_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"cunlu/app/apptest"
	"cunlu/app/demo"
)

// coordPages are the coordinator's overview and drill-downs the budget is about.
var coordPages = []string{"/coord", "/coord?region=2", "/coord/matrix", "/coord/alerts", "/coord/questions",
	"/coord/partners/100", "/coord/export.csv?table=overview", "/coord/export.csv?table=alerts",
	"/coord/export.csv?table=matrix"}

// BenchmarkCoordPages requests each coordinator page in process, one at a time, on a
// county made by "cunlu loadgen" (CUNLU_COUNTY_DB: a copy of the SQLite file, which is
// migrated, or a postgres:// URL), as its county coordinator: the server's CPU time per
// page, without the network (cpu-ms/op; ns/op is the wall clock, which other jobs on the
// machine stretch). The pages under 4 coordinators at once are measured over HTTP by
// bench/coord_pages.sh.
//
//	CUNLU_COUNTY_DB=/tmp/copy.db GOMAXPROCS=1 go test -run '^$' -bench CoordPages ./app/web/
func BenchmarkCoordPages(b *testing.B) {
	url := os.Getenv("CUNLU_COUNTY_DB")
	if url == "" {
		b.Skip("CUNLU_COUNTY_DB is not set")
	}
	env := apptest.New(b, apptest.NoDemo(), apptest.DatabaseURL(url))
	c := env.Client(b)
	if r := c.SignIn("loadcoord", demo.LoadPassword); r.Status != http.StatusSeeOther {
		b.Fatalf("sign-in: %d", r.Status)
	}
	cookie := "cunlu_session=" + c.Cookie("cunlu_session").Value
	h := env.App.Handler()
	for _, page := range coordPages {
		b.Run(strings.ReplaceAll(strings.TrimPrefix(page, "/"), "/", "_"), func(b *testing.B) {
			cpu := cpuTime()
			for b.Loop() {
				benchGet(b, h, page, cookie)
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

// benchGet sends one signed-in GET through the handler, as a browser would, and fails the
// benchmark on any answer but 200.
func benchGet(b *testing.B, h http.Handler, path, cookie string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Cookie", cookie)
	req.Header.Set("Accept-Encoding", "gzip")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("%s: status %d", path, w.Code)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

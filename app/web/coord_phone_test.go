package web_test

import (
	"fmt"
	"mime"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"cunlu/app/apptest"
)

// TestCoordExportFileNames: each export is named after its place, its table and the day,
// in the reader's language (RFC 5987 filename*), with a plain ASCII name for browsers
// that read only filename.
func TestCoordExportFileNames(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("coordinator", "demo-coord-pass")
	day := time.Now().Format(time.DateOnly)
	town := regionID(t, env, "青山镇")
	for _, tc := range []struct {
		lang, path, name, ascii string
	}{
		{"zh-CN", "/coord/export.csv?table=matrix", "示范县-学习进度表-" + day + ".csv", "cunlu-matrix-1-" + day + ".csv"},
		{"zh-CN", "/coord/export.csv?table=overview", "示范县-概览-" + day + ".csv", "cunlu-overview-1-" + day + ".csv"},
		{"zh-CN", fmt.Sprintf("/coord/export.csv?table=alerts&region=%d", town), "青山镇-需要帮助-" + day + ".csv", fmt.Sprintf("cunlu-alerts-%d-%s.csv", town, day)},
		{"en", "/coord/export.csv?table=questions", "示范县-Hard questions-" + day + ".csv", "cunlu-questions-1-" + day + ".csv"},
	} {
		if tc.lang == "en" {
			c.Post("/lang", url.Values{"lang": {"en"}})
		}
		cd := c.Get(tc.path).Header.Get("Content-Disposition")
		disp, params, err := mime.ParseMediaType(cd) // decodes filename* into filename
		if err != nil || disp != "attachment" || params["filename"] != tc.name {
			t.Errorf("%s: %q gives %q %v (%v), want %q", tc.path, cd, disp, params, err, tc.name)
		}
		if !strings.Contains(cd, `filename="`+tc.ascii+`"`) || !strings.Contains(cd, "filename*=UTF-8''") {
			t.Errorf("%s: %q lacks the plain name %q or the UTF-8 one", tc.path, cd, tc.ascii)
		}
	}
}

// TestCoordTablesForPhones: the coordinator's tables are in boxes that scroll sideways
// with their first column fixed (app/e2e measures them at 360 px), and the weekly chart
// labels its weeks.
func TestCoordTablesForPhones(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("coordinator", "demo-coord-pass")
	for _, path := range []string{"/coord", fmt.Sprintf("/coord?region=%d", regionID(t, env, "青山镇")), "/coord/matrix"} {
		body := c.Get(path).Body
		if n, m := strings.Count(body, "<table"), strings.Count(body, `<div class="table-wrap coord-table" tabindex="0">`); n == 0 || n != m {
			t.Errorf("%s: %d tables, %d in a sideways-scrolling box", path, n, m)
		}
	}
	css := c.Get(regexp.MustCompile(`href="(/static/app[^"]*\.css)"`).FindStringSubmatch(c.Get("/coord").Body)[1]).Body
	for _, rule := range []string{".coord-table th,.coord-table td{white-space:nowrap}", ".coord-table tr>:first-child{position:sticky;left:0;"} {
		if !strings.Contains(css, rule) {
			t.Errorf("app.css lacks %s", rule)
		}
	}
	labels := regexp.MustCompile(`<text class="week"[^>]*>([^<]*)</text>`).FindAllStringSubmatch(c.Get("/coord").Body, -1)
	if len(labels) != 8 {
		t.Fatalf("%d week labels under the weekly chart, want 8", len(labels))
	}
	this := time.Now()
	for this.Weekday() != time.Monday {
		this = this.AddDate(0, 0, -1)
	}
	if last := labels[7][1]; last != fmt.Sprint(this.Day()) && last != fmt.Sprintf("%d/%d", this.Month(), this.Day()) {
		t.Errorf("this week is labelled %q, want its Monday %s", last, this.Format(time.DateOnly))
	}
}

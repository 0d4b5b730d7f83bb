package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cunlu/app/account"
	"cunlu/app/apptest"
)

// narrowCheck measures a page as a 360 px phone shows it: whether the page itself scrolls
// sideways, and for every table, the first column's position (sticky, so it stays while
// the rest scrolls) and any header or first-column name set one character per line (its
// text taking as many lines as it has characters, or more lines than allowed).
const narrowCheck = `(() => {
  const out = {page: document.documentElement.scrollWidth, view: window.innerWidth, problems: []};
  const lines = el => {
    const r = document.createRange(); r.selectNodeContents(el);
    const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
    return tops.size;
  };
  for (const table of document.querySelectorAll("main table")) {
    const wrap = table.closest(".table-wrap");
    if (!wrap) { out.problems.push("a table outside .table-wrap"); continue; }
    for (const row of table.rows) {
      const first = row.cells[0];
      if (getComputedStyle(first).position !== "sticky") out.problems.push("first column not sticky: " + first.textContent.trim());
    }
    for (const th of table.querySelectorAll("thead th")) {
      const n = lines(th), text = th.textContent.trim();
      if (n > 2 || (n > 1 && n >= [...text].length)) out.problems.push("header on " + n + " lines: " + text);
    }
    for (const a of table.querySelectorAll("tbody tr > :first-child a, tbody tr > :first-child strong")) {
      const n = lines(a);
      if (n > 1) out.problems.push("name on " + n + " lines: " + a.textContent.trim());
    }
    // Scrolled sideways, the first column stays where it was.
    if (wrap.scrollWidth > wrap.clientWidth) {
      const cell = table.rows[table.rows.length - 1].cells[0], before = cell.getBoundingClientRect().left;
      wrap.scrollLeft = 150;
      const after = cell.getBoundingClientRect().left;
      wrap.scrollLeft = 0;
      if (Math.abs(after - before) > 1) out.problems.push("first column moved " + (before - after) + " px when scrolled: " + cell.textContent.trim());
    }
  }
  return JSON.stringify(out);
})()`

// TestCoordTablesNarrow: on a 360 px phone the coordinator's tables scroll sideways inside
// the page with the first column fixed, no header or name is set one character per line,
// and the weekly chart names its weeks.
func TestCoordTablesNarrow(t *testing.T) {
	env := apptest.New(t)
	var town account.Region
	if err := env.App.Accounts.DB().Where("name = ?", "青山镇").Take(&town).Error; err != nil {
		t.Fatal(err)
	}
	b := Browser(t, 360, 800)
	signIn(t, b, env.URL, "coordinator", "demo-coord-pass")
	for _, path := range []string{"/coord", fmt.Sprintf("/coord?region=%d", town.ID), "/coord/matrix", "/coord/assignments", "/coord/alerts"} {
		do(t, b, "open "+path, chromedp.Navigate(env.URL+path))
		waitFor(t, b, path, `document.querySelector("main h1") !== null`)
		measureNarrow(t, b, path)
	}
	// The enrolment's check: a list with a bad line and a good one.
	do(t, b, "check an enrolment list", chromedp.Navigate(env.URL+"/coord/enrol"),
		chromedp.SetValue(css("#text"), "姓名,手机号,服务站\n欧阳明月,13912340001,桃园村服务站\n司马长风,12,没有这个服务站\n"),
		chromedp.Click(css(`form[action^="/coord/enrol/check"] button[type=submit]`)))
	waitFor(t, b, "the check", `document.querySelector("table.enrol-bad") !== null && document.querySelector("table.enrol-ready") !== null`)
	measureNarrow(t, b, "the enrolment check")
	// The weekly chart: one label per week under its bar.
	do(t, b, "overview", chromedp.Navigate(env.URL+"/coord"))
	labels := get(t, b, "week labels", chromedp.Evaluate[[]string](`[...document.querySelectorAll("svg.chart.weekly .week")].map(x => x.textContent)`))
	var want []string
	for i := 7; i >= 0; i-- {
		monday, _ := time.Parse("2006-01-02", account.WeekOf(time.Now().AddDate(0, 0, -7*i)))
		if i == 7 || monday.Day() <= 7 { // the first week, and the first of a month: month/day
			want = append(want, fmt.Sprintf("%d/%d", monday.Month(), monday.Day()))
		} else {
			want = append(want, fmt.Sprint(monday.Day()))
		}
	}
	// Each label inside its own week's slot: none overlaps the next.
	overlap := get(t, b, "label overlap", chromedp.Evaluate[bool](`(() => { const r = [...document.querySelectorAll("svg.chart.weekly .week")].map(x => x.getBoundingClientRect());
		return r.some((x, i) => i > 0 && x.left < r[i-1].right) })()`))
	if overlap {
		t.Error("week labels overlap on a 360 px screen")
	}
	if fmt.Sprint(labels) != fmt.Sprint(want) {
		t.Errorf("weekly chart labels %v, want %v", labels, want)
	}
}

// measureNarrow fails the test for each problem narrowCheck finds on the page shown.
func measureNarrow(t *testing.T, b context.Context, what string) {
	t.Helper()
	var got struct {
		Page, View int
		Problems   []string
	}
	if err := json.Unmarshal([]byte(get(t, b, "measure "+what, chromedp.Evaluate[string](narrowCheck))), &got); err != nil {
		t.Fatal(err)
	}
	if got.Page > got.View {
		t.Errorf("%s: the page is %d px wide on a %d px screen", what, got.Page, got.View)
	}
	for _, p := range got.Problems {
		t.Errorf("%s: %s", what, p)
	}
}

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cunlu/app/account"
	"cunlu/app/apptest"
	"cunlu/app/course"
	"cunlu/app/progress"
)

// TestCoordinatorJourney: a county coordinator on the office PC finds the partner who
// keeps failing a quiz, opens their page, and exports the alerts for Excel.
func TestCoordinatorJourney(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	var p account.User
	if err := env.App.Accounts.DB().Where("login = ?", "partner").Take(&p).Error; err != nil {
		t.Fatal(err)
	}
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	who := progress.Learner{ID: p.ID, Name: p.Name, CentreID: *p.CentreID, Audience: course.AudiencePartner}
	for i := 0; i < 3; i++ {
		wrong := course.Answers{}
		for _, q := range l.In("zh-CN").Quiz.Questions {
			for _, o := range q.Options {
				if !o.Correct {
					wrong[q.ID] = []string{o.ID}
					break
				}
			}
		}
		if _, err := env.App.Progress.RecordAttempt(ctx, who, l, progress.Submission{Key: fmt.Sprintf("e2e-coord-attempt-%d", i), Lang: "zh-CN", Answers: wrong}); err != nil {
			t.Fatal(err)
		}
	}
	b := Browser(t, 1024, 800)
	signIn(t, b, env.URL, "coordinator", "demo-coord-pass")
	do(t, b, "open the alerts",
		chromedp.Navigate(env.URL+"/coord"),
		chromedp.WaitVisible(css(`a[href^="/coord/alerts"]`)),
		chromedp.Click(css(`a[href^="/coord/alerts"]`)),
	)
	waitFor(t, b, "the alerts page", `location.pathname === "/coord/alerts"`)
	if body := get(t, b, "read alerts", chromedp.Text(css("main"))); !strings.Contains(body, p.Name) {
		t.Fatalf("the struggling partner is not among the alerts:\n%s", body)
	}
	do(t, b, "open the partner", chromedp.Click(css(fmt.Sprintf(`a[href^="/coord/partners/%d"]`, p.ID))))
	waitFor(t, b, "the partner page", fmt.Sprintf(`location.pathname === "/coord/partners/%d"`, p.ID))
	body := get(t, b, "read partner", chromedp.Text(css("main")))
	if !strings.Contains(body, l.In("zh-CN").Title) || !strings.Contains(body, "0/") {
		t.Fatalf("the partner page does not show the failed attempts:\n%s", body)
	}
	do(t, b, "back to the alerts", chromedp.Navigate(env.URL+"/coord/alerts"))
	href := get(t, b, "find the export", chromedp.Evaluate[string](`document.querySelector('a[href*="export.csv"]').getAttribute("href")`))
	// The bytes as Excel gets them: fetch's text() would drop the byte-order mark.
	csv := get(t, b, "download the export", chromedp.Evaluate[string](`fetch("`+href+`").then(r => r.arrayBuffer()).then(b => {
		const u = new Uint8Array(b); return (u[0] === 0xEF && u[1] === 0xBB && u[2] === 0xBF ? "BOM:" : "") + new TextDecoder().decode(b) })`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(csv, "BOM:") || !strings.Contains(csv, p.Name) || !strings.Contains(csv, "反复答错") {
		t.Fatalf("the exported CSV:\n%s", csv)
	}
}

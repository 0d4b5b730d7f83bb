package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"cunlu/app/account"
	"cunlu/app/apptest"
)

// coordEnv is the demo county with some learning done: partner (桃园村, 青山镇) fails a
// quiz three times; partner03 (柳河村, 清水镇) passes one.
func coordEnv(t *testing.T) *apptest.Env {
	t.Helper()
	env := apptest.New(t)
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	p := env.Client(t)
	p.SignIn("partner", "demo-partner-pass")
	for i := 0; i < 3; i++ {
		p.Post(l.URL()+"/quiz", answers(l, quizKey(t, p, l), true))
	}
	q := env.Client(t)
	q.SignIn("partner03", "demo-partner-pass")
	q.Post(l.URL()+"/quiz", answers(l, quizKey(t, q, l), false))
	r := env.Client(t) // 石桥村, also 青山镇: enough answers for the difficult-questions report
	r.SignIn("partner02", "demo-partner-pass")
	for i := 0; i < 2; i++ {
		r.Post(l.URL()+"/quiz", answers(l, quizKey(t, r, l), true))
	}
	return env
}

func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	if !strings.HasPrefix(body, "\ufeff") {
		t.Fatal("CSV lacks the UTF-8 byte-order mark Excel needs")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	return rows
}

var cellRe = regexp.MustCompile(`<td>(\d+)</td>`)

func TestCoordinatorOverviewMatchesItsExport(t *testing.T) {
	env := coordEnv(t)
	c := env.Client(t)
	c.SignIn("coordinator", "demo-coord-pass")
	page := c.Get("/coord")
	if page.Status != http.StatusOK {
		t.Fatalf("/coord: %d", page.Status)
	}
	for _, want := range []string{"青山镇", "清水镇", "<svg", "李娜"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	ex := c.Get("/coord/export.csv?table=overview")
	if ex.Status != http.StatusOK || !strings.HasPrefix(ex.Header.Get("Content-Type"), "text/csv") || !strings.Contains(ex.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %v", ex.Status, ex.Header)
	}
	rows := readCSV(t, ex.Body)
	if len(rows) != 4 || rows[0][0] != "地方" { // header, two townships, total
		t.Fatalf("overview CSV rows: %v", rows)
	}
	// Each township's numbers on the page are the numbers in the CSV, in the same order.
	for _, row := range rows[1:3] {
		i := strings.Index(page.Body, ">"+row[0]+"</a>")
		if i < 0 {
			t.Fatalf("page lacks the row for %s", row[0])
		}
		cells := cellRe.FindAllStringSubmatch(page.Body[i:], 3)
		if len(cells) < 3 || cells[0][1] != row[1] || cells[1][1] != row[2] || cells[2][1] != row[3] {
			t.Errorf("%s: page shows %v, CSV %v", row[0], cells, row[1:4])
		}
	}
	total := rows[3]
	if total[1] != "20" || total[2] != "40" {
		t.Errorf("county total partners/villagers = %s/%s, want 20/40", total[1], total[2])
	}
	// Numbers are plain numbers, not text.
	for _, cell := range total[1:] {
		if _, err := fmt.Sscan(cell, new(int)); err != nil {
			t.Errorf("CSV cell %q is not a number", cell)
		}
	}
	// Alerts: the stuck partner is on the page and in the export.
	alerts := c.Get("/coord/alerts")
	if !strings.Contains(alerts.Body, "李娜") {
		t.Error("the partner who failed three times is not among those who need help")
	}
	arows := readCSV(t, c.Get("/coord/export.csv?table=alerts").Body)
	found := false
	for _, r := range arows {
		found = found || (r[1] == "李娜" && r[4] == "3")
	}
	if !found {
		t.Errorf("alerts CSV lacks 李娜 with 3 attempts: %v", arows)
	}
	// Difficult questions show the option counts; the export has the same question.
	qs := c.Get("/coord/questions")
	if qs.Status != http.StatusOK {
		t.Fatalf("questions: %d", qs.Status)
	}
	qrows := readCSV(t, c.Get("/coord/export.csv?table=questions").Body)
	if len(qrows) < 2 {
		t.Fatalf("questions CSV is empty: %v", qrows)
	}
	if !strings.Contains(qs.Body, qrows[1][1]) {
		t.Errorf("the hardest question's lesson %q is not on the page", qrows[1][1])
	}
	for _, tbl := range []string{"matrix", "assignments"} {
		if r := c.Get("/coord/export.csv?table=" + tbl); r.Status != http.StatusOK || len(readCSV(t, r.Body)) < 1 {
			t.Errorf("%s export: %d", tbl, r.Status)
		}
	}
	if r := c.Get("/coord/export.csv?table=users"); r.Status != http.StatusBadRequest {
		t.Errorf("unknown table: %d", r.Status)
	}
}

func TestCoordinatorScopeThroughPagesExportsAndIDs(t *testing.T) {
	env := coordEnv(t)
	qingshan := regionID(t, env, "青山镇")
	qingshui := regionID(t, env, "清水镇")
	_, err := env.App.Accounts.CreateAccount(context.Background(), admin(t, env), account.AccountForm{
		Login: "qs-coord", Name: "青山镇辅导员", Role: account.RoleCoordinator, RegionID: qingshan, Password: "qingshan-coord-pass"})
	if err != nil {
		t.Fatal(err)
	}
	c := env.Client(t)
	c.SignIn("qs-coord", "qingshan-coord-pass")
	c.ChooseOwnPassword("qingshan-coord-pass", "qs-coord-own-pass")
	others := []string{"柳河村", "茶岭村", "张敏", "刘洋"}
	for _, path := range []string{"/coord", "/coord/matrix", "/coord/alerts", "/coord/questions", "/coord/assignments",
		"/coord/export.csv?table=overview", "/coord/export.csv?table=matrix", "/coord/export.csv?table=alerts"} {
		r := c.Get(path)
		if r.Status != http.StatusOK {
			t.Errorf("%s: %d", path, r.Status)
		}
		for _, o := range others {
			if strings.Contains(r.Body, o) {
				t.Errorf("%s shows %q from the other township", path, o)
			}
		}
	}
	for _, path := range []string{"/coord", "/coord/matrix", "/coord/alerts", "/coord/questions", "/coord/assignments", "/coord/export.csv"} {
		if r := c.Get(fmt.Sprintf("%s?region=%d", path, qingshui)); r.Status != http.StatusNotFound {
			t.Errorf("%s for the other township: %d, want 404", path, r.Status)
		}
	}
	// A partner of the other township, by guessed id.
	zhang := mustUserID(t, env, "partner03")
	if r := c.Get(fmt.Sprintf("/coord/partners/%d", zhang)); r.Status != http.StatusNotFound {
		t.Errorf("partner outside the township: %d", r.Status)
	}
	own := mustUserID(t, env, "partner")
	if r := c.Get(fmt.Sprintf("/coord/partners/%d", own)); r.Status != http.StatusOK || !strings.Contains(r.Body, "李娜") {
		t.Errorf("own partner's page: %d", r.Status)
	}
	// Assignments only inside the township.
	due := time.Now().AddDate(0, 0, 30).Format("2006-01-02")
	if r := c.Post("/coord/assignments", url.Values{"course": {"buying-online"}, "target": {fmt.Sprintf("region:%d", qingshui)}, "due": {due}}); r.Status != http.StatusBadRequest {
		t.Errorf("assigning to the other township: %d", r.Status)
	}
	if r := c.Post("/coord/assignments", url.Values{"course": {"buying-online"}, "target": {fmt.Sprintf("region:%d", qingshan)}, "due": {due}}); r.Status != http.StatusSeeOther {
		t.Fatalf("assign: %d", r.Status)
	}
	// The partner sees the assignment on their home.
	p := env.Client(t)
	p.SignIn("partner", "demo-partner-pass")
	if body := p.Get("/").Body; !strings.Contains(body, due) {
		t.Error("the partner's home does not show the assignment")
	}
	q := env.Client(t)
	q.SignIn("partner03", "demo-partner-pass")
	if body := q.Get("/").Body; strings.Contains(body, due) {
		t.Error("a partner of the other township sees the assignment")
	}
}

func TestPartnerSeesOnlyTheirVillagers(t *testing.T) {
	env := apptest.New(t)
	v := env.Client(t)
	v.SignIn("villager", "demo-villager-pass") // 桃园村
	p := env.Client(t)
	p.SignIn("partner", "demo-partner-pass")
	body := p.Get("/partner/villagers").Body
	if !strings.Contains(body, "王秀英") || strings.Contains(body, "李桂兰") {
		t.Error("the partner's villager list is not exactly their centre's")
	}
	if !strings.Contains(body, "已掌握") {
		t.Error("the villager list does not show progress")
	}
}

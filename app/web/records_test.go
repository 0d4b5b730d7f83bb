package web_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"cunlu/app/apptest"
	"cunlu/app/records"
)

var (
	classLink   = regexp.MustCompile(`^/classes/([0-9]+)$`)
	sessionLink = regexp.MustCompile(`href="(/classes/[0-9]+/sessions/([0-9]+))"`)
	bigCode     = regexp.MustCompile(`class="code-big"[^>]*>([0-9]{6})<`)
)

// sessionNow is a session window around now in China's time, within one day.
func sessionNow() (date, start, end string) {
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	from, to := now.Add(-20*time.Minute), now.Add(40*time.Minute)
	if from.Day() != now.Day() {
		from = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	}
	if to.Day() != now.Day() {
		to = time.Date(now.Year(), now.Month(), now.Day(), 23, 59, 0, 0, now.Location())
	}
	return now.Format("2006-01-02"), from.Format("15:04"), to.Format("15:04")
}

// TestTrainingClassCheckIn: a partner creates a class for their centre, adds a session and a
// villager, shows the check-in screen; the villager opens the address of its QR code and
// checks in, once; a wrong code and a second check-in are refused with a message and change
// nothing; another centre's partner cannot open the class; a trainer's hand marking needs a
// reason and shows in the class's log.
func TestTrainingClassCheckIn(t *testing.T) {
	env := apptest.New(t)
	p := env.Client(t)
	p.SignIn("partner", "demo-partner-pass")
	classes, attendance := countRows(t, env, "training_classes", "1 = 1"), countRows(t, env, "training_attendance", "1 = 1")
	if r := p.Get("/classes/new"); r.Status != http.StatusOK || !strings.Contains(r.Body, `name="target_hours"`) {
		t.Fatalf("new class form: %d", r.Status)
	}
	bad := p.Post("/classes", url.Values{"title": {"电商班"}, "audience": {"both"}, "target_hours": {"很多"}, "trainer": {"刘老师"}})
	if bad.Status != http.StatusBadRequest || !strings.Contains(bad.Body, "学时数") || !strings.Contains(bad.Body, `value="电商班"`) {
		t.Errorf("bad hours: %d, message or typed title missing", bad.Status)
	}
	if n := countRows(t, env, "training_classes", "1 = 1"); n != classes {
		t.Errorf("a refused class was stored (%d → %d)", classes, n)
	}
	r := p.Post("/classes", url.Values{"title": {"桃园村电商班"}, "audience": {"both"}, "target_hours": {"6"}, "trainer": {"刘老师"}})
	m := classLink.FindStringSubmatch(r.Location)
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d to %q\n%s", r.Status, r.Location, r.Body)
	}
	class := r.Location
	date, start, end := sessionNow()
	if r := p.Post(class+"/sessions", url.Values{"date": {date}, "start": {start}, "end": {end}, "kind": {"practice"}, "place": {"桃园村服务站"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("add session: %d\n%s", r.Status, r.Body)
	}
	page := p.Get(class)
	villager := mustUserID(t, env, "villager")
	if !strings.Contains(page.Body, fmt.Sprintf(`name="learner" value="%d"`, villager)) {
		t.Fatalf("the class page does not offer the centre's villager:\n%s", page.Body)
	}
	if r := p.Post(class+"/enrol", url.Values{"learner": {fmt.Sprint(villager)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("enrol: %d\n%s", r.Status, r.Body)
	}
	sl := sessionLink.FindStringSubmatch(p.Get(class).Body)
	if sl == nil {
		t.Fatal("the class page does not link to its session")
	}
	screen := p.Get(sl[1])
	cm := bigCode.FindStringSubmatch(screen.Body)
	if screen.Status != http.StatusOK || cm == nil || !strings.Contains(screen.Body, `<svg`) || !strings.Contains(screen.Body, `http-equiv="refresh" content="30"`) {
		t.Fatalf("check-in screen: %d, code %v", screen.Status, cm)
	}

	v := env.Client(t)
	v.SignIn("villager", "demo-villager-pass")
	attend := "/attend/" + sl[2]
	if r := v.Get("/attend"); r.Status != http.StatusOK || !strings.Contains(r.Body, `action="`+attend+`"`) || !strings.Contains(r.Body, "桃园村电商班") {
		t.Errorf("the check-in page does not offer the open session:\n%s", r.Body)
	}
	if r := v.Get(attend + "?c=" + cm[1]); r.Status != http.StatusOK || !strings.Contains(r.Body, `value="`+cm[1]+`"`) || !strings.Contains(r.Body, "桃园村电商班") {
		t.Fatalf("the QR code's page: %d\n%s", r.Status, r.Body)
	}
	wrong := fmt.Sprintf("%06d", (atoi(cm[1])+1)%1000000)
	if r := v.Post(attend, url.Values{"code": {wrong}, "action": {"in"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "签到码不对或已过期") {
		t.Errorf("a wrong code: %d", r.Status)
	}
	if n := countRows(t, env, "training_attendance", "1 = 1"); n != attendance {
		t.Errorf("a wrong code checked in (%d → %d rows)", attendance, n)
	}
	if r := v.Post(attend, url.Values{"code": {cm[1]}, "action": {"in"}}); r.Status != http.StatusSeeOther {
		// The code may have changed between the screen and the post (a 30-second boundary):
		// take the screen's current one, as the villager would.
		cm = bigCode.FindStringSubmatch(p.Get(sl[1]).Body)
		if r := v.Post(attend, url.Values{"code": {cm[1]}, "action": {"in"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("check in: %d\n%s", r.Status, r.Body)
		}
	}
	if r := v.Get(attend); !strings.Contains(r.Body, "已签到") || !strings.Contains(r.Body, "签退") {
		t.Errorf("after checking in the page does not say so and offer check-out")
	}
	if n := countRows(t, env, "training_attendance", "1 = 1"); n != attendance+1 {
		t.Errorf("%d attendance rows after checking in, want %d", n, attendance+1)
	}
	// A villager not on the list, and another centre's partner.
	other := env.Client(t)
	other.SignIn("partner02", "demo-partner-pass")
	if r := other.Get(class); r.Status != http.StatusNotFound {
		t.Errorf("another centre's partner opened the class: %d", r.Status)
	}
	if r := other.Post(class+"/enrol", url.Values{"learner": {fmt.Sprint(villager)}}); r.Status != http.StatusNotFound {
		t.Errorf("another centre's partner enrolled: %d", r.Status)
	}
	// By hand: the reason is required; the log shows it.
	partner := mustUserID(t, env, "partner")
	p.Post(class+"/enrol", url.Values{"learner": {fmt.Sprint(partner)}})
	if r := p.Post(sl[1]+"/hand", url.Values{"learner": {fmt.Sprint(partner)}, "in": {start}}); r.Status != http.StatusBadRequest {
		t.Errorf("by hand without a reason: %d", r.Status)
	}
	if r := p.Post(sl[1]+"/hand", url.Values{"learner": {fmt.Sprint(partner)}, "in": {start}, "reason": {"手机没电"}}); r.Status != http.StatusSeeOther {
		t.Errorf("by hand: %d\n%s", r.Status, r.Body)
	}
	if log := p.Get(class + "/log"); !strings.Contains(log.Body, "手工签到") || !strings.Contains(log.Body, "手机没电") || !strings.Contains(log.Body, "新建培训班") {
		t.Errorf("the class log lacks the entries")
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// TestStudyBeats: the lesson page carries the study beat for learners only; beats count on
// the hours page; a beat for a lesson that does not exist is 404 and counts nothing.
func TestStudyBeats(t *testing.T) {
	env := apptest.New(t)
	v := env.Client(t)
	v.SignIn("villager", "demo-villager-pass")
	lesson := "/courses/buying-online/how-online-shopping-works"
	if r := v.Get(lesson); !strings.Contains(r.Body, `action="`+lesson+`/study"`) || !strings.Contains(r.Body, "/static/study.") {
		t.Fatalf("the lesson page has no study beat: %d\n%s", r.Status, r.Body[max(0, len(r.Body)-1500):])
	}
	if r := v.Post(lesson+"/study", url.Values{}); r.Status != http.StatusNoContent {
		t.Fatalf("beat: %d", r.Status)
	}
	if r := v.Post("/courses/buying-online/nope/study", url.Values{}); r.Status != http.StatusNotFound {
		t.Errorf("beat for no lesson: %d", r.Status)
	}
	if n := countRows(t, env, "study_time", "1 = 1"); n != 1 {
		t.Errorf("%d study rows, want 1", n)
	}
	if r := v.Get("/hours"); r.Status != http.StatusOK || !strings.Contains(r.Body, "我的学时") || !strings.Contains(r.Body, "桃园村网购入门班") {
		t.Errorf("hours page: %d", r.Status)
	}
	c := env.Client(t)
	c.SignIn("coordinator", "demo-coord-pass")
	if r := c.Get(lesson); strings.Contains(r.Body, "/static/study.") {
		t.Error("a coordinator's lesson page counts study time")
	}
}

// TestEvidencePackDownload: a coordinator downloads the pack for the county; the workbook
// inside opens and its classes' sessions and learners equal the class list's; the manifest
// verifies with the server's key; a partner cannot download one, and a bad date shows the
// form again with the message.
func TestEvidencePackDownload(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("coordinator", "demo-coord-pass")
	list := c.Get("/classes")
	if !strings.Contains(list.Body, `href="/classes/pack"`) {
		t.Fatal("the class list does not link to the evidence pack")
	}
	county := regionID(t, env, "示范县")
	cst := time.FixedZone("CST", 8*3600)
	from, to := time.Now().In(cst).AddDate(0, 0, -30).Format("2006-01-02"), time.Now().In(cst).AddDate(0, 0, 7).Format("2006-01-02")
	q := url.Values{"region": {fmt.Sprint(county)}, "from": {from}, "to": {to}, "seed": {"2026"}}
	if r := c.Get("/classes/pack.zip?" + strings.Replace(q.Encode(), "from="+from, "from=yesterday", 1)); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "请选一个日期") {
		t.Errorf("a bad date: %d", r.Status)
	}
	r := c.Get("/classes/pack.zip?" + q.Encode())
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/zip" || !strings.Contains(r.Header.Get("Content-Disposition"), "filename*=UTF-8''") {
		t.Fatalf("pack: %d %q %q", r.Status, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	body := []byte(r.Body)
	chk, err := records.VerifyPack(bytes.NewReader(body), int64(len(body)), env.App.Web.RecordsKey())
	if err != nil || len(chk.Problems) != 0 || !strings.Contains(chk.Manifest, "seed 2026") {
		t.Fatalf("verify: %+v, %v", chk, err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	f, err := zr.Open("records.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenReader(f)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := book.GetRows("培训班")
	if len(rows) != 3 {
		t.Fatalf("classes sheet: %v", rows)
	}
	for _, row := range rows[1:] {
		want := fmt.Sprintf("%s次课 · %s名学员", row[7], row[8])
		if !strings.Contains(list.Body, row[1]) || !strings.Contains(list.Body, want) {
			t.Errorf("class %s: the pack says %q, the class list does not", row[1], want)
		}
	}
	p := env.Client(t)
	p.SignIn("partner", "demo-partner-pass")
	if r := p.Get("/classes/pack.zip?" + q.Encode()); r.Status != http.StatusForbidden {
		t.Errorf("a partner downloaded a pack: %d", r.Status)
	}
}

// TestFollowUpPages: the partner records a trainee's 3-month follow-up; a shop without its
// address is refused next to the form; the coordinator's class list rolls it up by township.
func TestFollowUpPages(t *testing.T) {
	env := apptest.New(t)
	p := env.Client(t)
	p.SignIn("partner", "demo-partner-pass")
	page := p.Get("/followups")
	villager := mustUserID(t, env, "villager")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, fmt.Sprintf(`name="learner" value="%d"`, villager)) {
		t.Fatalf("follow-ups: %d, no form for the demo villager", page.Status)
	}
	form := url.Values{"learner": {fmt.Sprint(villager)}, "month": {"3"}, "shop": {"yes"}, "sales_band": {"lt1000"}, "online": {"yes"}}
	if r := p.Post("/followups", form); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "哪个平台") {
		t.Errorf("a shop without its address: %d", r.Status)
	}
	form.Set("shop_address", "拼多多 王秀英土鸡蛋")
	if r := p.Post("/followups", form); r.Status != http.StatusSeeOther {
		t.Fatalf("record: %d\n%s", r.Status, r.Body)
	}
	c := env.Client(t)
	c.SignIn("coordinator", "demo-coord-pass")
	if r := c.Get("/classes"); !strings.Contains(r.Body, "培训后跟踪（按乡镇）") || !strings.Contains(r.Body, "<td>青山镇</td><td>3</td><td>1</td><td>1</td><td>1</td>") {
		t.Errorf("the coordinator's roll-up is missing:\n%s", r.Body)
	}
}

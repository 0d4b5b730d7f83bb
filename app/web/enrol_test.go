package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cunlu/app/account"
	"cunlu/app/apptest"
)

var (
	// confirmText is the list the dry-run page posts again, as a browser would send it
	// (the parser drops the newline right after <textarea>).
	confirmText = regexp.MustCompile(`(?s)<textarea name="text" hidden aria-hidden="true">\n(.*?)</textarea>`)
	// createdRow is one line of the result page: name, login, temporary password.
	createdRow = regexp.MustCompile(`<th scope="row">([^<]+)</th><td>([0-9]{11})</td><td class="code">([a-z2-7]{10})</td>`)
)

// enrolCheck posts a list to the dry run, as an uploaded file.
func enrolCheck(c *apptest.Client, region uint, csv string) *apptest.Resp {
	return c.PostFile(fmt.Sprintf("/coord/enrol/check?region=%d", region), url.Values{}, "csv", "partners.csv", "text/csv", []byte(csv))
}

// enrolConfirm posts the list the dry-run page offers for confirmation.
func enrolConfirm(t *testing.T, c *apptest.Client, region uint, checked *apptest.Resp) *apptest.Resp {
	t.Helper()
	m := confirmText.FindStringSubmatch(checked.Body)
	if m == nil {
		t.Fatalf("the dry run offers no confirmation:\n%s", checked.Body)
	}
	return c.PostFile(fmt.Sprintf("/coord/enrol?region=%d", region), url.Values{"text": {html.UnescapeString(m[1])}}, "", "", "", nil)
}

func TestCoordinatorEnrolsPartnersFromAFile(t *testing.T) {
	env := apptest.New(t)
	county := regionID(t, env, "示范县")
	c := env.Client(t)
	c.SignIn("coordinator", "demo-coord-pass")

	form := c.Get("/coord/enrol")
	for _, want := range []string{`enctype="multipart/form-data"`, `name="csv"`, `name="text"`, "/coord/enrol/template.csv", "柳河村服务站", "批量登记合伙人"} {
		if form.Status != http.StatusOK || !strings.Contains(form.Body, want) {
			t.Errorf("GET /coord/enrol: %d, lacks %q", form.Status, want)
		}
	}
	if !strings.Contains(c.Get("/coord").Body, `href="/coord/enrol?region=`) {
		t.Error("the coordinator pages do not link to the enrolment page")
	}
	tpl := c.Get("/coord/enrol/template.csv")
	if tpl.Status != http.StatusOK || !strings.HasPrefix(tpl.Header.Get("Content-Type"), "text/csv") || tpl.Body != "\ufeff姓名,手机号,服务站\r\n" {
		t.Errorf("template: %d %q %q", tpl.Status, tpl.Header.Get("Content-Type"), tpl.Body)
	}
	if r := c.Get(fmt.Sprintf("/coord/enrol/check?region=%d", county)); r.Status != http.StatusSeeOther || r.Location != fmt.Sprintf("/coord/enrol?region=%d", county) {
		t.Errorf("GET of the dry run: %d to %q, want 303 to the form", r.Status, r.Location)
	}

	// A dry run of a list with mistakes: every good row and every bad row with its line and
	// reason; no way to confirm; nothing written.
	before := countRows(t, env, "users", "1 = 1")
	bad := "\ufeff姓名,手机号,服务站\r\n王秀英,13912340001,桃园村服务站\r\n,13912340002,石桥村服务站\r\n村民重名,13800000002,桃园村服务站\r\n错站,13912340004,月亮村服务站\r\n科学,1.39E+10,柳河村服务站\r\n"
	r := enrolCheck(c, county, bad)
	if r.Status != http.StatusOK {
		t.Fatalf("dry run: %d\n%s", r.Status, r.Body)
	}
	for _, want := range []string{"王秀英", "13912340001", "可以登记的合伙人：1 位", "有 4 行需要改正",
		`<th scope="row">3</th>`, "姓名：没有填。",
		`<th scope="row">4</th>`, "手机号：这个手机号已经登记过了。",
		`<th scope="row">5</th>`, "服务站：在你负责的地区里找不到这个服务站",
		`<th scope="row">6</th>`, "科学计数法", "什么都没有登记"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("dry run lacks %q", want)
		}
	}
	if confirmText.MatchString(r.Body) || strings.Contains(r.Body, `action="/coord/enrol?`) {
		t.Error("a list with bad rows can be confirmed")
	}
	// Posting it anyway (a hand-made request) is refused with the reasons.
	if r := c.PostFile(fmt.Sprintf("/coord/enrol?region=%d", county), url.Values{"text": {bad}}, "", "", "", nil); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "一位都没有登记") || !strings.Contains(r.Body, "已经登记过了") {
		t.Errorf("confirming a bad list: %d", r.Status)
	}
	if after := countRows(t, env, "users", "1 = 1"); after != before {
		t.Fatalf("the dry run or the refused import wrote %d accounts", after-before)
	}

	// A good list, pasted: the dry run offers to confirm and still writes nothing.
	good := "name,phone,centre\n王秀英,139 1234 0001,桃园村服务站\n陈建国,13912340002,柳河村服务站\n\"李, 四\",13912340003,茶岭村服务站\n"
	checked := c.PostFile(fmt.Sprintf("/coord/enrol/check?region=%d", county), url.Values{"text": {good}}, "", "", "", nil)
	if checked.Status != http.StatusOK || !strings.Contains(checked.Body, "登记这 3 位合伙人") || strings.Contains(checked.Body, "需要改正") {
		t.Fatalf("dry run of a good list: %d\n%s", checked.Status, checked.Body)
	}
	if after := countRows(t, env, "users", "1 = 1"); after != before {
		t.Fatalf("the dry run wrote %d accounts", after-before)
	}
	// The same as an ordinary form post, not multipart.
	if r := c.Post(fmt.Sprintf("/coord/enrol/check?region=%d", county), url.Values{"text": {good}}); r.Status != http.StatusOK || !confirmText.MatchString(r.Body) {
		t.Errorf("dry run of a url-encoded form: %d", r.Status)
	}

	// Confirmed: all three exist, and the page shows each one's password once.
	done := enrolConfirm(t, c, county, checked)
	if done.Status != http.StatusOK || !strings.Contains(done.Body, "已登记 3 位合伙人") {
		t.Fatalf("confirm: %d\n%s", done.Status, done.Body)
	}
	if cc := done.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("result page Cache-Control %q, want no-store", cc)
	}
	rows := createdRow.FindAllStringSubmatch(done.Body, -1)
	if len(rows) != 3 || rows[2][1] != "李, 四" || rows[1][2] != "13912340002" {
		t.Fatalf("result rows = %q", rows)
	}
	if n := countRows(t, env, "users", "role = ? AND phone IN ? AND registered_by_id = ?", account.RolePartner,
		[]string{"13912340001", "13912340002", "13912340003"}, mustUserID(t, env, "coordinator")); n != 3 {
		t.Fatalf("%d partners stored, want 3", n)
	}
	for _, row := range rows {
		p := env.Client(t)
		if r := p.SignIn(row[2], row[3]); r.Location != "/account" {
			t.Errorf("%s signed in with the temporary password and went to %q, not to choose their own", row[2], r.Location)
		}
		if a := p.Get("/account"); a.Status != http.StatusOK || !strings.Contains(a.Body, html.EscapeString(row[1])) || !strings.Contains(a.Body, "请先设一个你自己的密码") {
			t.Errorf("%s signed in but /account is %d, or does not ask for an own password", row[2], a.Status)
		}
		if r := p.Get("/courses"); r.Location != "/account" {
			t.Errorf("%s reached the courses with the temporary password", row[2])
		}
	}

	// The same confirmation again (pressed twice): refused, the check shows why.
	again := enrolConfirm(t, c, county, checked)
	if again.Status != http.StatusBadRequest || !strings.Contains(again.Body, "已经登记过了") || createdRow.MatchString(again.Body) {
		t.Errorf("second confirmation: %d", again.Status)
	}
	if after := countRows(t, env, "users", "1 = 1"); after != before+3 {
		t.Fatalf("%d accounts added, want 3", after-before)
	}

	// Files that cannot be read say why, in the person's language.
	for _, tt := range []struct {
		name, body, want string
	}{
		{"GBK", "\xd0\xd5\xc3\xfb,\xca\xd6\xbb\xfa\xba\xc5,\xb7\xfe\xce\xf1\xd5\xbe\r\n", "不是 UTF-8 编码"},
		{"no header", "王秀英,13912340009,桃园村服务站\n", "第一行必须是标题行"},
		{"header only", "姓名,手机号,服务站\n", "只有标题行"},
	} {
		r := enrolCheck(c, county, tt.body)
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, tt.want) || !strings.Contains(r.Body, `aria-invalid="true"`) {
			t.Errorf("%s: %d, want 400 with %q", tt.name, r.Status, tt.want)
		}
	}
	if r := c.PostFile(fmt.Sprintf("/coord/enrol/check?region=%d", county), url.Values{"text": {"  "}}, "", "", "", nil); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "请选择名单文件") {
		t.Errorf("nothing sent: %d", r.Status)
	}

	c.Post("/lang", url.Values{"lang": {"en"}})
	en := enrolCheck(c, county, "name,phone,centre\nWang,13912340001,Nowhere\n")
	for _, want := range []string{"Phone number: This phone number is already registered.", "Service centre: No service centre of this name or number in your area", "1 row needs fixing"} {
		if !strings.Contains(en.Body, want) {
			t.Errorf("English dry run lacks %q", want)
		}
	}
}

func TestEnrolmentIsForCoordinatorsOnly(t *testing.T) {
	env := apptest.New(t)
	county := regionID(t, env, "示范县")
	list := "姓名,手机号,服务站\n王秀英,13912340001,桃园村服务站\n"
	for _, cred := range [][2]string{{"partner", "demo-partner-pass"}, {"villager", "demo-villager-pass"}, {"admin", "demo-admin-pass"}} {
		c := env.Client(t)
		c.SignIn(cred[0], cred[1])
		for _, path := range []string{"/coord/enrol", "/coord/enrol/template.csv"} {
			if r := c.Get(path); r.Status != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", cred[0], path, r.Status)
			}
		}
		for _, path := range []string{"/coord/enrol/check", "/coord/enrol"} {
			if r := c.PostFile(fmt.Sprintf("%s?region=%d", path, county), url.Values{"text": {list}}, "", "", "", nil); r.Status != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", cred[0], path, r.Status)
			}
		}
	}
	if r := env.Client(t).Get("/coord/enrol"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Errorf("signed out: %d to %q", r.Status, r.Location)
	}

	// Without the CSRF token (or with a wrong one), even the coordinator is refused.
	c := env.Client(t)
	c.SignIn("coordinator", "demo-coord-pass")
	if r := c.PostRaw(fmt.Sprintf("/coord/enrol?region=%d", county), url.Values{"text": {list}}); r.Status != http.StatusForbidden {
		t.Errorf("no CSRF token: %d, want 403", r.Status)
	}
	if r := c.PostFile(fmt.Sprintf("/coord/enrol?region=%d", county), url.Values{"_csrf": {"forged"}, "text": {list}}, "", "", "", nil); r.Status != http.StatusForbidden {
		t.Errorf("forged CSRF token: %d, want 403", r.Status)
	}
	if n := countRows(t, env, "users", "phone = ?", "13912340001"); n != 0 {
		t.Fatalf("refused requests wrote %d accounts", n)
	}
}

func TestTownshipCoordinatorEnrolsOnlyInTheirTownship(t *testing.T) {
	env := apptest.New(t)
	qingshan := regionID(t, env, "青山镇")
	qingshui := regionID(t, env, "清水镇")
	_, err := env.App.Accounts.CreateAccount(context.Background(), admin(t, env), account.AccountForm{
		Login: "qingshan-coord", Name: "青山镇辅导员", Role: account.RoleCoordinator, RegionID: qingshan, Password: "qingshan-coord-pass"})
	if err != nil {
		t.Fatal(err)
	}
	c := env.Client(t)
	c.SignIn("qingshan-coord", "qingshan-coord-pass")
	c.ChooseOwnPassword("qingshan-coord-pass", "qingshan-own-pass")

	form := c.Get("/coord/enrol")
	if !strings.Contains(form.Body, "桃园村服务站") || strings.Contains(form.Body, "柳河村服务站") {
		t.Error("the township coordinator's centre list is not their township's")
	}
	// 柳河村服务站 is in 清水镇: by name or by number, it is not found in this area.
	other := centreID(t, env, "柳河村服务站")
	list := fmt.Sprintf("姓名,手机号,服务站\n王秀英,13912340001,柳河村服务站\n陈建国,13912340002,%d\n", other)
	r := enrolCheck(c, qingshan, list)
	if r.Status != http.StatusOK || strings.Count(r.Body, "在你负责的地区里找不到这个服务站") != 2 || confirmText.MatchString(r.Body) {
		t.Errorf("other township's centre: %d", r.Status)
	}
	if r := c.PostFile(fmt.Sprintf("/coord/enrol?region=%d", qingshan), url.Values{"text": {list}}, "", "", "", nil); r.Status != http.StatusBadRequest {
		t.Errorf("confirming the other township's centre: %d, want 400", r.Status)
	}
	// Nor can the other township be chosen as the scope.
	if r := c.PostFile(fmt.Sprintf("/coord/enrol?region=%d", qingshui), url.Values{"text": {list}}, "", "", "", nil); r.Status != http.StatusNotFound {
		t.Errorf("the other township as scope: %d, want 404", r.Status)
	}
	if n := countRows(t, env, "users", "phone IN ?", []string{"13912340001", "13912340002"}); n != 0 {
		t.Fatalf("refused enrolments wrote %d accounts", n)
	}

	// Their own township's centres work.
	checked := enrolCheck(c, qingshan, "姓名,手机号,服务站\n王秀英,13912340001,石桥村服务站\n")
	if done := enrolConfirm(t, c, qingshan, checked); done.Status != http.StatusOK || len(createdRow.FindAllString(done.Body, -1)) != 1 {
		t.Fatalf("own township: %d\n%s", done.Status, done.Body)
	}
	if n := countRows(t, env, "users", "phone = ? AND centre_id = ?", "13912340001", centreID(t, env, "石桥村服务站")); n != 1 {
		t.Fatalf("%d partners at 石桥村服务站, want 1", n)
	}
}

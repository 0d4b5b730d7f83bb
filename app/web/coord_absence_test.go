package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"cunlu/app/account"
	"cunlu/app/apptest"
	"cunlu/app/db/dbtest"
)

// setVisits rewrites when an account was registered and last seen (nil: never signed in).
func setVisits(t *testing.T, env *apptest.Env, login string, created time.Time, lastSeen *time.Time) {
	t.Helper()
	err := env.App.Accounts.DB().Model(&account.User{}).Where("login = ?", login).
		Updates(map[string]any{"created_at": created.UTC(), "last_seen_at": lastSeen}).Error
	if err != nil {
		t.Fatal(err)
	}
}

func daysAgo(n int) time.Time { return time.Now().Add(-time.Duration(n)*24*time.Hour - time.Minute) }

// accountOf reads the account with login.
func accountOf(t *testing.T, env *apptest.Env, login string) account.User {
	t.Helper()
	var u account.User
	if err := env.App.Accounts.DB().Where("login = ?", login).Take(&u).Error; err != nil {
		t.Fatal(err)
	}
	return u
}

// item returns the list item of body that holds name ("" if none).
func item(body, name string) string {
	for _, li := range strings.Split(body, "<li>")[1:] {
		li, _, _ = strings.Cut(li, "</li>")
		if strings.Contains(li, ">"+name+"<") {
			return li
		}
	}
	return ""
}

// TestVillagersAbsence: the partner's villagers page tells "never signed in since
// registering" from "not back for N days", counting from registration for the first; a
// villager registered a moment ago is not away.
func TestVillagersAbsence(t *testing.T) {
	env := apptest.New(t)
	fresh, never, gone := accountOf(t, env, "13800000005"), accountOf(t, env, "13800000009"), accountOf(t, env, "villager")
	setVisits(t, env, fresh.Login, time.Now().Add(-time.Second), nil)
	setVisits(t, env, never.Login, daysAgo(30), nil)
	seen := daysAgo(10)
	setVisits(t, env, gone.Login, daysAgo(40), &seen)
	for _, lang := range []string{"zh-CN", "en"} {
		p := env.Client(t)
		p.SignIn("partner", "demo-partner-pass")
		if lang == "en" {
			p.Post("/lang", url.Values{"lang": {"en"}})
		}
		body := p.Get("/partner/villagers").Body
		want := map[string][]string{ // what each row says, and (last) the tag or ""
			"zh-CN": {"今天刚登记，还没登录", "", "登记 30 天了，一直没登录", "登记后没来过", "10 天没来了", "很久没来了"},
			"en":    {"Registered today, not signed in yet", "", "Registered 30 days ago, never signed in", "Never came", "Last seen 10 days ago", "Not back for a while"},
		}[lang]
		for i, u := range []account.User{fresh, never, gone} {
			row := item(body, u.Name)
			if !strings.Contains(row, want[2*i]) {
				t.Errorf("%s: %s's row lacks %q:\n%s", lang, u.Name, want[2*i], row)
			}
			tag := regexp.MustCompile(`class="tag warn">([^<]*)<`).FindStringSubmatch(row)
			if got := ""; tag != nil {
				got = tag[1]
				if got != want[2*i+1] {
					t.Errorf("%s: %s tagged %q, want %q", lang, u.Name, got, want[2*i+1])
				}
			} else if want[2*i+1] != "" {
				t.Errorf("%s: %s not tagged %q:\n%s", lang, u.Name, want[2*i+1], row)
			}
		}
		// Longest away first: 30 days since registration, then 10 since the last visit,
		// then a second.
		if a, b, c := strings.Index(body, never.Name), strings.Index(body, gone.Name), strings.Index(body, fresh.Name); !(a < b && b < c) {
			t.Errorf("%s: order %d, %d, %d; want the longest away first", lang, a, b, c)
		}
	}
}

// TestCoordAlertsAbsence: the alerts list partners and villagers who have stayed away,
// say which never signed in, offer a call and a reminder, and leave out those just
// registered.
func TestCoordAlertsAbsence(t *testing.T) {
	for _, kind := range dbtest.Kinds() {
		t.Run(kind, func(t *testing.T) { coordAlertsAbsence(t, apptest.New(t, apptest.Kind(kind))) })
	}
}

func coordAlertsAbsence(t *testing.T, env *apptest.Env) {
	p2, p3 := accountOf(t, env, "partner02"), accountOf(t, env, "partner03")
	fresh, never, gone := accountOf(t, env, "13800000005"), accountOf(t, env, "13800000009"), accountOf(t, env, "villager")
	setVisits(t, env, p2.Login, daysAgo(20), nil)
	setVisits(t, env, never.Login, daysAgo(30), nil)
	seen := daysAgo(10)
	setVisits(t, env, gone.Login, daysAgo(40), &seen)
	c := env.Client(t)
	c.SignIn("coordinator", "demo-coord-pass")
	body := c.Get("/coord/alerts").Body
	partners, villagers, ok := strings.Cut(body[strings.Index(body, `id="inactive"`):], `id="absent"`)
	if !ok {
		t.Fatalf("the alerts have no villagers' section:\n%s", body)
	}
	if row := item(partners, p2.Name); !strings.Contains(row, "从未登录") || !strings.Contains(row, "登记 20 天了，一直没登录") ||
		!strings.Contains(row, `href="tel:`+*p2.Phone+`"`) || !strings.Contains(row, fmt.Sprintf(`name="learner_id" value="%d"`, p2.ID)) || !strings.Contains(row, "提醒站长") {
		t.Errorf("partner02's alert (never signed in, 20 days) lacks its words or actions:\n%s", row)
	}
	page := c.Get(fmt.Sprintf("/coord/partners/%d", p2.ID)).Body
	if strings.Contains(page, *p2.Phone) {
		t.Error("the partner's page shows the whole number: only the alert's call link may")
	}
	if !strings.Contains(page, "登记 20 天了，一直没登录") || !strings.Contains(page, "今天刚登记，还没登录") {
		t.Error("the partner's page does not say how long they and their villagers have been away")
	}
	if item(partners, p3.Name) != "" {
		t.Errorf("partner03, registered today, is listed as away")
	}
	if row := item(villagers, never.Name); !strings.Contains(row, "登记 30 天了，一直没登录") || !strings.Contains(row, "tel:"+*never.Phone) || !strings.Contains(row, fmt.Sprintf(`value="%d"`, never.ID)) {
		t.Errorf("the villager never signed in for 30 days: %q", row)
	}
	if row := item(villagers, gone.Name); !strings.Contains(row, "10 天没来了") || strings.Contains(row, "从未登录") {
		t.Errorf("the villager gone for 10 days: %q", row)
	}
	if item(villagers, fresh.Name) != "" {
		t.Errorf("a villager registered today is listed as away")
	}
	// The export says the same; still no whole number in it.
	ex := c.Get("/coord/export.csv?table=alerts").Body
	for _, want := range []string{p2.Name + ",石桥村服务站", "登记 20 天了，一直没登录", "10 天没来了 (" + seen.Local().Format("2006-01-02") + ")", "7 天以上没来的村民"} {
		if !strings.Contains(ex, want) {
			t.Errorf("alerts CSV lacks %q:\n%s", want, ex)
		}
	}
	if strings.Contains(ex, *never.Phone) {
		t.Error("the alerts CSV has a whole phone number")
	}
}

// TestCoordRemind: "remind the partner" from an alert leaves one reminder per partner
// concerned, shown on their home until they tap "got it"; only a coordinator, only for
// learners in their region, and only the partner it is for may dismiss it.
func TestCoordRemind(t *testing.T) {
	for _, kind := range dbtest.Kinds() {
		t.Run(kind, func(t *testing.T) { coordRemind(t, apptest.New(t, apptest.Kind(kind))) })
	}
}

func coordRemind(t *testing.T, env *apptest.Env) {
	g := env.App.Accounts.DB()
	never := accountOf(t, env, "13800000009") // 桃园村服务站, with partner, partner05, 09, 13 and 17
	setVisits(t, env, never.Login, daysAgo(30), nil)
	p2 := accountOf(t, env, "partner02")
	coord := env.Client(t)
	coord.SignIn("coordinator", "demo-coord-pass")

	// Another county's partner and villager, a deactivated villager, an admin.
	other := &account.Region{Name: "外县", Level: account.LevelCounty, Path: "/"}
	if err := g.Create(other).Error; err != nil {
		t.Fatal(err)
	}
	g.Model(other).Update("path", fmt.Sprintf("/%d/", other.ID))
	ocentre := &account.Centre{RegionID: other.ID, Name: "外县服务站"}
	if err := g.Create(ocentre).Error; err != nil {
		t.Fatal(err)
	}
	foreign := []*account.User{
		{Login: "outp", Name: "外县站长", Role: account.RolePartner, CentreID: &ocentre.ID, Active: true},
		{Login: "outv", Name: "外县村民", Role: account.RoleVillager, CentreID: &ocentre.ID, Active: true},
	}
	for _, u := range foreign {
		if err := g.Create(u).Error; err != nil {
			t.Fatal(err)
		}
	}
	off := accountOf(t, env, "13800000013")
	g.Model(&account.User{}).Where("id = ?", off.ID).Update("active", false)
	for _, id := range []uint{foreign[0].ID, foreign[1].ID, off.ID, mustUserID(t, env, "admin"), mustUserID(t, env, "coordinator"), 99999, 0} {
		r := coord.Post("/coord/reminders", url.Values{"learner_id": {fmt.Sprint(id)}})
		if r.Status != http.StatusNotFound {
			t.Errorf("reminder about %d: %d, want 404", id, r.Status)
		}
	}
	for _, role := range []string{"partner", "villager"} {
		c := env.Client(t)
		c.SignIn(role, map[string]string{"partner": "demo-partner-pass", "villager": "demo-villager-pass"}[role])
		if r := c.Post("/coord/reminders", url.Values{"learner_id": {fmt.Sprint(never.ID)}}); r.Status == http.StatusSeeOther {
			t.Errorf("a %s left a reminder", role)
		}
	}
	if n := countRows(t, env, "reminders", "1 = 1"); n != 0 {
		t.Fatalf("%d reminders after refused requests", n)
	}

	// About a villager: each partner of the centre, once however often it is sent.
	for range 2 {
		r := coord.Post("/coord/reminders?region=1", url.Values{"learner_id": {fmt.Sprint(never.ID)}})
		if r.Status != http.StatusSeeOther || r.Location != "/coord/alerts?region=1" {
			t.Fatalf("remind: %d %q\n%s", r.Status, r.Location, r.Body)
		}
	}
	if n := countRows(t, env, "reminders", "about_id = ? AND dismissed_at IS NULL", never.ID); n != 5 {
		t.Errorf("%d reminders about the villager, want one for each of the centre's 5 partners", n)
	}
	if flash := coord.Get("/coord/alerts?region=1").Body; !strings.Contains(flash, "已提醒站长") {
		t.Error("no word that the reminder was left")
	}
	// About a partner: that partner.
	if r := coord.Post("/coord/reminders", url.Values{"learner_id": {fmt.Sprint(p2.ID)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("remind partner02: %d", r.Status)
	}
	if n := countRows(t, env, "reminders", "partner_id = ? AND about_id IS NULL", p2.ID); n != 1 {
		t.Errorf("%d reminders for partner02, want 1", n)
	}

	p := env.Client(t)
	p.SignIn("partner", "demo-partner-pass")
	home := p.Get("/").Body
	if !strings.Contains(home, "请联系村民"+never.Name+"：登记 30 天了，一直没登录。") || !strings.Contains(home, "tel:"+*never.Phone) ||
		!strings.Contains(home, "县级辅导员 周老师") || !strings.Contains(home, "知道了") {
		t.Fatalf("the partner's home lacks the reminder:\n%s", home)
	}
	id := regexp.MustCompile(`action="/partner/reminders/(\d+)/dismiss"`).FindStringSubmatch(home)
	if id == nil {
		t.Fatal("no got-it button")
	}
	// Another partner of the same centre, and a villager, cannot dismiss it.
	p5 := env.Client(t)
	p5.SignIn("partner05", "demo-partner-pass")
	if r := p5.Post("/partner/reminders/"+id[1]+"/dismiss", nil); r.Status != http.StatusNotFound {
		t.Errorf("partner05 dismissing partner's reminder: %d, want 404", r.Status)
	}
	v := env.Client(t)
	v.SignIn("villager", "demo-villager-pass")
	if r := v.Post("/partner/reminders/"+id[1]+"/dismiss", nil); r.Status == http.StatusSeeOther {
		t.Error("a villager dismissed a reminder")
	}
	if !strings.Contains(p.Get("/").Body, "知道了") {
		t.Fatal("the reminder went away without its partner")
	}
	if r := p.Post("/partner/reminders/"+id[1]+"/dismiss", nil); r.Status != http.StatusSeeOther || r.Location != "/" {
		t.Fatalf("got it: %d %q", r.Status, r.Location)
	}
	if home := p.Get("/").Body; strings.Contains(home, "知道了") || strings.Contains(home, "请联系村民") {
		t.Error("the reminder is still on the home after got it")
	}
	if !strings.Contains(p5.Get("/").Body, "请联系村民"+never.Name) {
		t.Error("partner05's own copy went away with partner's")
	}
	p2c := env.Client(t)
	p2c.SignIn("partner02", "demo-partner-pass")
	if home := p2c.Get("/").Body; !strings.Contains(home, "好久没看到您来学习了") {
		t.Error("partner02 does not see the reminder about their own learning")
	}
}

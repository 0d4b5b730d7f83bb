package web_test

// Account safety. Covered elsewhere and not repeated here:
//   - Idle timeout and maximum age of sessions at the store: app/account TestSessionIdleTimeout,
//     TestSessionMaxAge; sign-in and PIN throttling surviving a restart at the store:
//     TestThrottleAccount and TestThrottlePIN (a second connection pool on the same database).
//   - Sign-out, rotation at sign-in, deactivation: signin_test.go. ID numbers on tickets are
//     stored and shown masked: TestTravelBookMaskAndRefund.

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"cunlu/app/account"
	"cunlu/app/apptest"
)

// TestSecurityAdminSeesAndEndsSessions: the admin sees where a person is signed in (browser,
// IP, when) and can sign them out everywhere; those browsers are then signed out, the
// account stays active, and nobody else is signed out.
func TestSecurityAdminSeesAndEndsSessions(t *testing.T) {
	env := apptest.New(t)
	phone, pc := env.Client(t), env.Client(t)
	phone.Header.Set("User-Agent", "Mozilla/5.0 (Linux; Android 10) <script>alert(1)</script>")
	pc.Header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64)")
	phone.SignIn("partner02", "demo-partner-pass")
	pc.SignIn("partner02", "demo-partner-pass")
	bystander := env.Client(t)
	bystander.SignIn("partner03", "demo-partner-pass")
	a := env.Client(t)
	a.SignIn("admin", "demo-admin-pass")
	id := userID(t, env, "partner02")

	page := a.Get("/admin/accounts/" + id)
	if page.Status != http.StatusOK {
		t.Fatalf("account page: %d", page.Status)
	}
	for _, want := range []string{"正在登录的设备", "Windows NT 10.0", "Android 10", "127.0.0.1", time.Now().Format("2006-01-02"),
		`action="/admin/accounts/` + id + `/sessions/end"`, "&lt;script&gt;"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	checkNoXSS(t, "account page", page)
	if strings.Contains(page.Body, "token") {
		t.Error("the account page mentions session tokens")
	}
	for _, who := range []*apptest.Client{phone, bystander} {
		if r := who.Post("/admin/accounts/"+id+"/sessions/end", nil); r.Status != http.StatusForbidden {
			t.Errorf("a partner ending sessions: %d, want 403", r.Status)
		}
	}
	if r := a.PostRaw("/admin/accounts/"+id+"/sessions/end", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("without a CSRF token: %d, want 403", r.Status)
	}
	if n, _ := env.App.Accounts.CountSessions(t.Context(), mustUserID(t, env, "partner02")); n != 2 {
		t.Fatalf("refused requests ended sessions: %d left, want 2", n)
	}

	r := a.Post("/admin/accounts/"+id+"/sessions/end", nil)
	if r.Status != http.StatusSeeOther || r.Location != "/admin/accounts/"+id {
		t.Fatalf("end sessions: %d to %q", r.Status, r.Location)
	}
	after := a.Get(r.Location)
	if !strings.Contains(after.Body, "已让这个人在所有设备上退出登录") || !strings.Contains(after.Body, "没有在任何设备上登录") || strings.Contains(after.Body, "Windows NT") {
		t.Error("after ending: no confirmation, or sessions still listed")
	}
	for name, c := range map[string]*apptest.Client{"phone": phone, "pc": pc} {
		if r := c.Get("/account"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
			t.Errorf("%s after its sessions ended: %d to %q, want 303 to /login", name, r.Status, r.Location)
		}
		if r := c.Post("/shop/cart", url.Values{"product_id": {"1"}, "qty": {"1"}}); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
			t.Errorf("%s posting after its sessions ended: %d to %q", name, r.Status, r.Location)
		}
	}
	if r := bystander.Get("/account"); r.Status != http.StatusOK {
		t.Errorf("another partner was signed out too: %d", r.Status)
	}
	if r := a.Get("/admin"); r.Status != http.StatusOK {
		t.Errorf("the admin was signed out: %d", r.Status)
	}
	// The account is still active: the person signs in again.
	env.Client(t).SignIn("partner02", "demo-partner-pass")
}

// TestSecuritySessionExpiresAfterInactivity: a browser left for longer than the idle timeout
// (12 hours) is signed out on its next request, and its session is gone from the database.
func TestSecuritySessionExpiresAfterInactivity(t *testing.T) {
	env := apptest.New(t)
	idle, busy := env.Client(t), env.Client(t)
	idle.SignIn("partner", "demo-partner-pass")
	busy.SignIn("partner", "demo-partner-pass")
	uid := mustUserID(t, env, "partner")
	// Rewind the idle browser's last request to 13 hours ago.
	var sessions []account.Session
	env.App.Accounts.DB().Where("user_id = ?", uid).Order("id").Find(&sessions)
	if len(sessions) != 2 {
		t.Fatalf("%d sessions, want 2", len(sessions))
	}
	old := time.Now().UTC().Add(-13 * time.Hour)
	env.App.Accounts.DB().Model(&account.Session{}).Where("id = ?", sessions[0].ID).Update("last_seen_at", old)
	if r := idle.Get("/account"); r.Status != http.StatusSeeOther || r.Location != "/login?next=%2Faccount" {
		t.Fatalf("idle browser: %d to %q, want 303 to sign in", r.Status, r.Location)
	}
	if n := countRows(t, env, "sessions", "id = ?", sessions[0].ID); n != 0 {
		t.Error("the expired session is still in the database")
	}
	if r := busy.Get("/account"); r.Status != http.StatusOK {
		t.Fatalf("the other browser: %d, want 200", r.Status)
	}
	// Eleven hours idle is still fine.
	env.App.Accounts.DB().Model(&account.Session{}).Where("id = ?", sessions[1].ID).Update("last_seen_at", time.Now().UTC().Add(-11*time.Hour))
	if r := busy.Get("/account"); r.Status != http.StatusOK {
		t.Fatalf("after 11 idle hours: %d, want 200", r.Status)
	}
}

// TestSecurityThrottleSurvivesRestart: an account and a villager's phone locked by wrong
// guesses stay locked when Cunlu restarts on the same database; others are unaffected.
func TestSecurityThrottleSurvivesRestart(t *testing.T) {
	first := apptest.New(t)
	c := first.Client(t)
	for i := 0; i < 5; i++ {
		if r := c.Post("/login", url.Values{"login": {"partner05"}, "password": {fmt.Sprintf("wrong-guess-%d", i)}}); r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, r.Status)
		}
		if r := c.Post("/login/pin", url.Values{"phone": {"13800000007"}, "pin": {fmt.Sprintf("90817%d", i)}}); r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong PIN %d: %d", i+1, r.Status)
		}
	}
	if r := c.Post("/login", url.Values{"login": {"partner05"}, "password": {"demo-partner-pass"}}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("locked before the restart: %d, want 429", r.Status)
	}
	if err := first.App.Close(); err != nil {
		t.Fatal(err)
	}

	second := apptest.New(t, apptest.DatabaseURL(first.DBURL))
	c = second.Client(t)
	if r := c.Post("/login", url.Values{"login": {"partner05"}, "password": {"demo-partner-pass"}}); r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "15分钟") {
		t.Errorf("password sign-in after the restart: %d, want 429 with the wait", r.Status)
	}
	if r := c.Post("/login/pin", url.Values{"phone": {"13800000007"}, "pin": {"135790"}}); r.Status != http.StatusTooManyRequests {
		t.Errorf("PIN sign-in after the restart: %d, want 429", r.Status)
	}
	if c.Cookie("cunlu_session") != nil {
		t.Error("a locked sign-in started a session")
	}
	second.Client(t).SignIn("partner06", "demo-partner-pass")
	if r := second.Client(t).Post("/login/pin", url.Values{"phone": {"13800000008"}, "pin": {"135790"}}); r.Status != http.StatusSeeOther {
		t.Errorf("another villager after the restart: %d, want 303", r.Status)
	}
}

// TestSecurityPersonalNumbersMasked: coordinators never see a partner's or villager's whole
// phone number, on a page or in an export; they see it masked (138****0500). (The one
// exception, the call link beside someone away in the alerts, is TestCoordAlertsAbsence's;
// nobody in the demo is away.) The partner
// sees their own villagers' numbers (to call them) and no one else's; the admin sees them
// to manage accounts.
func TestSecurityPersonalNumbersMasked(t *testing.T) {
	env := apptest.New(t)
	clients := roleClients(t, env)
	coord, p, a := clients[account.RoleCoordinator], clients[account.RolePartner], clients[account.RoleAdmin]
	var users []account.User
	env.App.Accounts.DB().Where("phone IS NOT NULL").Find(&users)
	if len(users) < 40 {
		t.Fatalf("only %d people with phone numbers", len(users))
	}
	var partners, regions []uint
	env.App.Accounts.DB().Model(&account.User{}).Where("role = ?", account.RolePartner).Pluck("id", &partners)
	env.App.Accounts.DB().Model(&account.Region{}).Pluck("id", &regions)
	var pages []string
	for _, r := range env.App.Web.Routes() {
		if r.Method == http.MethodGet && slices.Contains(r.Roles, account.RoleCoordinator) {
			pages = append(pages, concrete(r.Path))
		}
	}
	for _, id := range partners {
		pages = append(pages, fmt.Sprintf("/coord/partners/%d", id))
	}
	for _, id := range regions {
		pages = append(pages, fmt.Sprintf("/coord?region=%d", id), fmt.Sprintf("/coord/matrix?region=%d", id), fmt.Sprintf("/coord/alerts?region=%d", id))
	}
	for _, table := range []string{"overview", "matrix", "alerts", "questions", "assignments"} {
		pages = append(pages, "/coord/export.csv?table="+table)
	}
	for _, path := range pages {
		body := coord.Get(path).Body
		for _, u := range users {
			if strings.Contains(body, *u.Phone) {
				t.Errorf("coordinator's %s shows %s's whole phone number", path, u.Name)
			}
		}
	}
	lina := mustUserID(t, env, "partner")
	var phone string
	env.App.Accounts.DB().Model(&account.User{}).Where("id = ?", lina).Select("phone").Scan(&phone)
	masked := phone[:3] + "****" + phone[7:]
	if body := coord.Get(fmt.Sprintf("/coord/partners/%d", lina)).Body; !strings.Contains(body, masked) {
		t.Errorf("the coordinator's partner page lacks the masked number %s", masked)
	}
	if body := coord.Get("/coord/export.csv?table=matrix").Body; !strings.Contains(body, masked) {
		t.Errorf("the matrix export lacks the masked number %s", masked)
	}

	// The partner sees their own villagers' numbers and nobody else's.
	own := centreID(t, env, "桃园村服务站")
	list := p.Get("/partner/villagers").Body
	for _, u := range users {
		mine := u.Role == account.RoleVillager && u.CentreID != nil && *u.CentreID == own
		if shown := strings.Contains(list, *u.Phone); shown != mine {
			t.Errorf("partner's villager list: %s's number shown = %v, want %v", u.Name, shown, mine)
		}
	}
	// The admin manages accounts, with the number.
	v := mustUserID(t, env, "villager")
	if body := a.Get(fmt.Sprintf("/admin/accounts/%d", v)).Body; !strings.Contains(body, `value="13800000001"`) {
		t.Error("the admin's account page lacks the villager's phone number")
	}
	// Learners see no one else's number anywhere in their pages.
	vc := clients[account.RoleVillager]
	for _, r := range env.App.Web.Routes() {
		if r.Method != http.MethodGet || isInfra(r.Path) || len(r.Roles) > 0 && !slices.Contains(r.Roles, account.RoleVillager) {
			continue
		}
		body := vc.Get(concrete(r.Path)).Body
		for _, u := range users {
			if *u.Phone != "13800000001" && strings.Contains(body, *u.Phone) {
				t.Errorf("villager's %s shows %s's phone number", r.Path, u.Name)
			}
		}
	}
}

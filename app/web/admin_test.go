package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"cunlu/app/apptest"
)

func TestAdminManagesRegionsCentresAndAccounts(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("admin", "demo-admin-pass")
	county := regionID(t, env, "示范县")

	// Regions: a township under the county, a village under it.
	if r := c.Post("/admin/regions", url.Values{"name": {"白云镇"}, "level": {"township"}, "parent_id": {fmt.Sprint(county)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("create township: %d\n%s", r.Status, r.Body)
	}
	town := regionID(t, env, "白云镇")
	if r := c.Post("/admin/regions", url.Values{"name": {"松林村"}, "level": {"village"}, "parent_id": {fmt.Sprint(town)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("create village: %d", r.Status)
	}
	village := regionID(t, env, "松林村")

	before := countRows(t, env, "regions", "1 = 1")
	for _, bad := range []url.Values{
		{"name": {""}, "level": {"township"}, "parent_id": {fmt.Sprint(county)}},
		{"name": {"错层村"}, "level": {"village"}, "parent_id": {fmt.Sprint(county)}},
		{"name": {"无上级镇"}, "level": {"township"}, "parent_id": {"0"}},
		{"name": {strings.Repeat("长", 101)}, "level": {"county"}, "parent_id": {"0"}},
		{"name": {"坏\x00名"}, "level": {"county"}, "parent_id": {"0"}},
	} {
		r := c.Post("/admin/regions", bad)
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `class="error"`) {
			t.Errorf("bad region %v: status %d, want 400 with a message", bad, r.Status)
		}
	}
	if after := countRows(t, env, "regions", "1 = 1"); after != before {
		t.Fatalf("bad region forms wrote %d rows", after-before)
	}
	if r := c.Post(fmt.Sprintf("/admin/regions/%d", town), url.Values{"name": {"白云乡"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("rename: %d", r.Status)
	}
	if r := c.Post("/admin/regions/99999", url.Values{"name": {"x"}}); r.Status != http.StatusNotFound {
		t.Errorf("rename unknown region: %d, want 404", r.Status)
	}

	// A centre must be in a village.
	if r := c.Post("/admin/centres", url.Values{"name": {"松林村服务站"}, "region_id": {fmt.Sprint(town)}}); r.Status != http.StatusBadRequest {
		t.Errorf("centre in a township: %d, want 400", r.Status)
	}
	if r := c.Post("/admin/centres", url.Values{"name": {"松林村服务站"}, "address": {"村口"}, "region_id": {fmt.Sprint(village)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("create centre: %d\n%s", r.Status, r.Body)
	}
	centre := centreID(t, env, "松林村服务站")
	if r := c.Get("/admin/centres"); !strings.Contains(r.Body, "松林村服务站") {
		t.Error("new centre not listed")
	}

	// Accounts of each role, bound to the right place.
	for _, form := range []url.Values{
		{"role": {"coordinator"}, "login": {"baiyun-coord"}, "name": {"白云辅导员"}, "region_id": {fmt.Sprint(town)}, "password": {"coord-password-1"}},
		{"role": {"partner"}, "login": {"songlin"}, "name": {"松林合伙人"}, "centre_id": {fmt.Sprint(centre)}, "password": {"partner-password-1"}},
		{"role": {"villager"}, "name": {"松林村民"}, "phone": {"13722223333"}, "centre_id": {fmt.Sprint(centre)}, "pin": {"802468"}},
	} {
		if r := c.Post("/admin/accounts", form); r.Status != http.StatusSeeOther {
			t.Fatalf("create %s: %d\n%s", form.Get("role"), r.Status, r.Body)
		}
	}
	env.Client(t).SignIn("songlin", "partner-password-1")
	env.Client(t).SignIn("baiyun-coord", "coord-password-1")

	before = countRows(t, env, "users", "1 = 1")
	for _, bad := range []url.Values{
		{"role": {"coordinator"}, "login": {"nocoord"}, "name": {"x"}, "password": {"good-password-1"}},
		{"role": {"partner"}, "login": {"nocentre"}, "name": {"x"}, "password": {"good-password-1"}},
		{"role": {"partner"}, "login": {"weak"}, "name": {"x"}, "centre_id": {fmt.Sprint(centre)}, "password": {"12345678"}},
		{"role": {"partner"}, "login": {"short"}, "name": {"x"}, "centre_id": {fmt.Sprint(centre)}, "password": {"short"}},
		{"role": {"partner"}, "login": {"songlin"}, "name": {"dup"}, "centre_id": {fmt.Sprint(centre)}, "password": {"good-password-1"}},
		{"role": {"villager"}, "name": {"无手机"}, "centre_id": {fmt.Sprint(centre)}, "pin": {"802468"}},
		{"role": {"superuser"}, "login": {"root"}, "name": {"x"}, "password": {"good-password-1"}},
		{"role": {"partner"}, "login": {"Bad Login!"}, "name": {"x"}, "centre_id": {fmt.Sprint(centre)}, "password": {"good-password-1"}},
	} {
		r := c.Post("/admin/accounts", bad)
		if (r.Status != http.StatusBadRequest && r.Status != http.StatusConflict) || !strings.Contains(r.Body, `class="error"`) {
			t.Errorf("bad account %v: status %d, want 400/409 with a message", bad, r.Status)
		}
	}
	if after := countRows(t, env, "users", "1 = 1"); after != before {
		t.Fatalf("bad account forms wrote %d rows", after-before)
	}

	// Reset a password: the old one stops working, the new one works, sessions end.
	p := env.Client(t)
	p.SignIn("songlin", "partner-password-1")
	id := userID(t, env, "songlin")
	r := c.Post("/admin/accounts/"+id, url.Values{"login": {"songlin"}, "name": {"松林合伙人"}, "centre_id": {fmt.Sprint(centre)}, "password": {"fresh-password-2"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("reset password: %d\n%s", r.Status, r.Body)
	}
	if r := p.Get("/account"); r.Status != http.StatusSeeOther {
		t.Error("session survived a password reset")
	}
	if r := env.Client(t).Post("/login", url.Values{"login": {"songlin"}, "password": {"partner-password-1"}}); r.Status != http.StatusUnauthorized {
		t.Error("old password still works after reset")
	}
	env.Client(t).SignIn("songlin", "fresh-password-2")

	// The admin cannot deactivate themselves.
	if r := c.Post("/admin/accounts/"+userID(t, env, "admin")+"/active", url.Values{"active": {"0"}}); r.Status != http.StatusConflict {
		t.Errorf("self-deactivation: %d, want 409", r.Status)
	}
	if r := c.Get("/admin/accounts?role=villager&q=" + url.QueryEscape("松林")); !strings.Contains(r.Body, "松林村民") || strings.Contains(r.Body, "李桂兰") {
		t.Error("account search by role and name does not filter")
	}
}

func TestChangeOwnPassword(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner08", "demo-partner-pass")
	other := env.Client(t)
	other.SignIn("partner08", "demo-partner-pass")
	if r := c.Get("/account"); !strings.Contains(r.Body, `action="/account/password"`) {
		t.Fatal("the account page has no form to change the password")
	}
	villager := env.Client(t)
	villager.Post("/login/pin", url.Values{"phone": {"13800000002"}, "pin": {"135790"}})
	if r := villager.Get("/account"); r.Status != http.StatusOK || strings.Contains(r.Body, `action="/account/password"`) {
		t.Errorf("a villager (PIN only) is offered a password form, or no account page: %d", r.Status)
	}

	if r := c.Post("/account/password", url.Values{"current": {"wrong"}, "password": {"new-secret-pass"}, "confirm": {"new-secret-pass"}}); r.Status != http.StatusBadRequest {
		t.Errorf("wrong current password: %d, want 400", r.Status)
	}
	if r := c.Post("/account/password", url.Values{"current": {"demo-partner-pass"}, "password": {"new-secret-pass"}, "confirm": {"different"}}); r.Status != http.StatusBadRequest {
		t.Errorf("mismatched confirmation: %d, want 400", r.Status)
	}
	if r := c.Post("/account/password", url.Values{"current": {"demo-partner-pass"}, "password": {"new-secret-pass"}, "confirm": {"new-secret-pass"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("change: %d\n%s", r.Status, r.Body)
	}
	if r := c.Get("/account"); r.Status != http.StatusOK || !strings.Contains(r.Body, "密码已修改") {
		t.Errorf("this browser should stay signed in with a notice: %d", r.Status)
	}
	if r := other.Get("/account"); r.Status != http.StatusSeeOther {
		t.Error("the other browser's session survived a password change")
	}
	env.Client(t).SignIn("partner08", "new-secret-pass")
}

// TestPasswordChosenBySomeoneElseMustBeChanged: an account whose password an admin chose
// (created or reset) or a coordinator's enrolment generated is sent to choose its own on
// sign-in; until then every other page leads back there and every other change is
// refused, in the person's language; afterwards everything opens. Demo accounts and
// people who chose their own password are not asked.
func TestPasswordChosenBySomeoneElseMustBeChanged(t *testing.T) {
	env := apptest.New(t)
	a := env.Client(t)
	a.SignIn("admin", "demo-admin-pass")
	if r := a.Get("/admin/accounts"); r.Status != http.StatusOK {
		t.Fatalf("a demo admin is held back: %d", r.Status)
	}
	partner := mustUserID(t, env, "partner05")
	form := url.Values{"login": {"partner05"}, "name": {"合伙人五"}, "phone": {""}, "password": {"reset-by-admin-5"}}
	var centre uint
	env.App.Accounts.DB().Table("users").Where("id = ?", partner).Select("centre_id").Scan(&centre)
	form.Set("centre_id", fmt.Sprint(centre))
	if r := a.Post(fmt.Sprintf("/admin/accounts/%d", partner), form); r.Status != http.StatusSeeOther {
		t.Fatalf("reset: %d\n%s", r.Status, r.Body)
	}
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	p := env.Client(t)
	if r := p.SignIn("partner05", "reset-by-admin-5"); r.Location != "/account" {
		t.Errorf("signed in with a reset password, sent to %q, want /account", r.Location)
	}
	if r := p.Get("/account"); r.Status != http.StatusOK || !strings.Contains(r.Body, "请先设一个你自己的密码") {
		t.Errorf("the account page does not ask for an own password: %d", r.Status)
	}
	for _, path := range []string{"/", l.URL(), "/shop", "/partner/villagers"} {
		if r := p.Get(path); r.Status != http.StatusSeeOther || r.Location != "/account" {
			t.Errorf("GET %s before choosing a password: %d to %q, want 303 to /account", path, r.Status, r.Location)
		}
	}
	req, _ := http.NewRequest(http.MethodHead, env.URL+l.URL(), nil)
	if r := p.Do(req); r.Status != http.StatusSeeOther || r.Location != "/account" {
		t.Errorf("HEAD of a lesson before choosing a password: %d to %q, want 303 to /account", r.Status, r.Location)
	}
	before := countRows(t, env, "quiz_attempts", "user_id = ?", partner)
	if r := p.Post(l.URL()+"/quiz", answers(l, "0123456789abcdef0123456789abcdef", true)); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "请先在“我的账户”里设一个你自己的密码") {
		t.Errorf("a quiz before choosing a password: %d", r.Status)
	}
	if n := countRows(t, env, "quiz_attempts", "user_id = ?", partner); n != before {
		t.Error("the refused quiz was stored")
	}
	p.Post("/lang", url.Values{"lang": {"en"}})
	if r := p.Get("/account"); !strings.Contains(r.Body, "Choose your own password first") {
		t.Error("the notice is not in English")
	}
	if r := a.Get(fmt.Sprintf("/admin/accounts/%d", partner)); !strings.Contains(r.Body, "还没改成自己的密码") {
		t.Error("the admin does not see that the partner has not chosen their own password")
	}
	p.ChooseOwnPassword("reset-by-admin-5", "my-own-password-5")
	if r := a.Get(fmt.Sprintf("/admin/accounts/%d", partner)); strings.Contains(r.Body, "还没改成自己的密码") {
		t.Error("the admin still sees the partner's password as given after they chose their own")
	}
	if r := p.Get(l.URL()); r.Status != http.StatusOK {
		t.Errorf("the lesson after choosing a password: %d", r.Status)
	}
	if r := p.Get("/account"); strings.Contains(r.Body, "Choose your own password first") {
		t.Error("still asked to choose a password after choosing one")
	}
	// Signing in again with the own password goes straight on.
	q := env.Client(t)
	if r := q.SignIn("partner05", "my-own-password-5"); r.Location == "/account" {
		t.Error("sent to the account page again after choosing a password")
	}
}

package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cunlu/app/apptest"
)

// TestPINSignInErrorSaysTriesLeft: a wrong PIN is told in the words of the form (phone number
// and PIN, never user name or password), next to the fields with the phone kept, with the
// tries this phone number has left, and who can set a new PIN. The count is per phone
// number, so an unknown number counts the same as a known one.
func TestPINSignInErrorSaysTriesLeft(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	if page := c.Get("/login/pin"); !strings.Contains(page.Body, "请找你们服务站的合伙人") {
		t.Error("the sign-in page does not say who can set a new PIN")
	}
	for _, phone := range []string{"13800000003", "13999999999"} { // a villager; nobody
		for try := 1; try <= 5; try++ {
			r := c.Post("/login/pin", url.Values{"phone": {phone}, "pin": {fmt.Sprintf("97531%d", try)}})
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("%s try %d: %d", phone, try, r.Status)
			}
			m := regexp.MustCompile(`<p class="field-error" id="phone-error">([^<]*)</p>`).FindStringSubmatch(r.Body)
			if m == nil {
				t.Fatalf("%s try %d: no message next to the fields", phone, try)
			}
			text := m[1]
			if strings.Contains(text, "用户名") || strings.Contains(r.Body, "用户名或密码不对") {
				t.Errorf("%s try %d speaks of a user name", phone, try)
			}
			if !strings.Contains(text, "手机号或6位数字密码不对") && try < 5 {
				t.Errorf("%s try %d: no phone-and-PIN message", phone, try)
			}
			want := fmt.Sprintf("这个手机号还可以再试 %d 次", 5-try)
			if try == 5 {
				want = "找你们服务站的合伙人重新设一个"
			}
			if !strings.Contains(text, want) {
				t.Errorf("%s try %d: want %q in\n%s", phone, try, want, text)
			}
			if !regexp.MustCompile(`<input id="phone" name="phone" value="`+phone+`"[^>]*aria-describedby="phone-error"`).MatchString(r.Body) ||
				!strings.Contains(r.Body, `<p class="field-error" id="phone-error">`) {
				t.Errorf("%s try %d: the message is not next to the fields, or the phone was not kept", phone, try)
			}
		}
		r := c.Post("/login/pin", url.Values{"phone": {phone}, "pin": {"135790"}})
		if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "锁住15分钟") || !strings.Contains(r.Body, "合伙人") {
			t.Errorf("%s locked: %d", phone, r.Status)
		}
	}
	// Another phone number is not affected.
	if r := c.Post("/login/pin", url.Values{"phone": {"13800000004"}, "pin": {"135790"}}); r.Status != http.StatusSeeOther {
		t.Errorf("another villager: %d", r.Status)
	}
}

// TestVillagerRegistrationGivesHandOverSlip: registering a villager answers with a slip for
// the partner to show: name, phone, how to sign in, a QR code of the sign-in page, and the
// PIN, this once: never stored by the browser, not in the database in clear, nowhere after.
func TestVillagerRegistrationGivesHandOverSlip(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	own := centreID(t, env, "桃园村服务站")
	r := c.Post("/partner/villagers", url.Values{"name": {"钱大妈"}, "phone": {"13911115555"}, "pin": {"482916"}, "centre_id": {fmt.Sprint(own)}})
	if r.Status != http.StatusOK {
		t.Fatalf("register: %d\n%s", r.Status, r.Body)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the slip is sent with Cache-Control %q, want no-store", cc)
	}
	for _, want := range []string{"钱大妈的登录卡", "13911115555", `class="code big-code">482916<`, "扫一扫", "在“手机号”里输入 13911115555", `<svg xmlns="http://www.w3.org/2000/svg"`, `/login/pin</span>`, "桃园村服务站找合伙人"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the slip lacks %q", want)
		}
	}
	if n := countRows(t, env, "users", "phone = ? AND pin_hash NOT LIKE ?", "13911115555", "%482916%"); n != 1 {
		t.Error("the PIN is stored in clear (or the villager is missing)")
	}
	for _, path := range []string{"/partner/villagers", "/partner/villagers/new", "/"} {
		if strings.Contains(c.Get(path).Body, "482916") {
			t.Errorf("%s shows the PIN again", path)
		}
	}
	// In English too, every message there.
	c.Post("/lang", url.Values{"lang": {"en"}})
	en := c.Post("/partner/villagers", url.Values{"name": {"Qian Er"}, "phone": {"13911115556"}, "pin": {"482917"}, "centre_id": {fmt.Sprint(own)}})
	if en.Status != http.StatusOK || !strings.Contains(en.Body, "Sign-in card for Qian Er") || strings.Contains(en.Body, "[[") {
		t.Errorf("the English slip: %d, missing messages %v", en.Status, strings.Contains(en.Body, "[["))
	}
	// The slip's QR code and address lead to the sign-in page, where the PIN works.
	v := env.Client(t)
	if r := v.Post("/login/pin", url.Values{"phone": {"13911115555"}, "pin": {"482916"}}); r.Status != http.StatusSeeOther {
		t.Errorf("the villager cannot sign in with the slip's PIN: %d", r.Status)
	}
}

// TestPartnerResetsForgottenPIN: the centre's partner sets a new PIN for a villager who
// forgot theirs (and is locked out after wrong tries): the new slip shows it once, the phone
// is unlocked, the old PIN no longer works; a partner of another centre cannot.
func TestPartnerResetsForgottenPIN(t *testing.T) {
	env := apptest.New(t)
	p := env.Client(t)
	p.SignIn("partner", "demo-partner-pass")
	if r := p.Post("/partner/villagers", url.Values{"name": {"孙大伯"}, "phone": {"13911116666"}, "pin": {"482916"}, "centre_id": {fmt.Sprint(centreID(t, env, "桃园村服务站"))}}); r.Status != http.StatusOK {
		t.Fatalf("register: %d", r.Status)
	}
	signedIn := env.Client(t) // the villager, signed in on their own phone before forgetting
	if r := signedIn.Post("/login/pin", url.Values{"phone": {"13911116666"}, "pin": {"482916"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.Status)
	}
	v := env.Client(t)
	for i := 0; i < 5; i++ {
		v.Post("/login/pin", url.Values{"phone": {"13911116666"}, "pin": {fmt.Sprintf("97531%d", i)}})
	}
	link := regexp.MustCompile(`href="(/partner/villagers/\d+/pin)">忘了密码？重设`).FindAllStringSubmatch(p.Get("/partner/villagers").Body, -1)
	id := fmt.Sprint(mustUserID(t, env, "13911116666"))
	path := "/partner/villagers/" + id + "/pin"
	found := false
	for _, l := range link {
		found = found || l[1] == path
	}
	if !found {
		t.Fatal("no link to set a new PIN on the villager's row")
	}
	if r := p.Get(path); r.Status != http.StatusOK || !strings.Contains(r.Body, "给孙大伯重设6位数字密码") {
		t.Fatalf("PIN page: %d", r.Status)
	}
	r := p.Post(path, url.Values{"pin": {"111111"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `<p class="field-error" id="pin-error">这个数字密码太容易猜`) {
		t.Errorf("weak PIN: %d", r.Status)
	}
	other := env.Client(t)
	other.SignIn("partner02", "demo-partner-pass")
	if r := other.Post(path, url.Values{"pin": {"739182"}}); r.Status != http.StatusNotFound {
		t.Errorf("a partner of another centre: %d, want 404", r.Status)
	}
	r = p.Post(path, url.Values{"pin": {"605182"}})
	if r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "no-store" || !strings.Contains(r.Body, `class="code big-code">605182<`) || !strings.Contains(r.Body, "孙大伯的登录卡") {
		t.Fatalf("reset: %d %q", r.Status, r.Header.Get("Cache-Control"))
	}
	if r := signedIn.Get("/"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Errorf("a session from before the new PIN still works: %d %q", r.Status, r.Location)
	}
	if r := v.Post("/login/pin", url.Values{"phone": {"13911116666"}, "pin": {"482916"}}); r.Status != http.StatusUnauthorized {
		t.Errorf("the old PIN: %d, want 401", r.Status)
	}
	if r := v.Post("/login/pin", url.Values{"phone": {"13911116666"}, "pin": {"605182"}}); r.Status != http.StatusSeeOther {
		t.Errorf("the new PIN: %d, want 303", r.Status)
	}
}

// TestPINLockedPlaceIsNotBlamedOnThePhone: when a whole address (a centre's shared network)
// has failed too often, a phone number with no failure of its own is not told it tried too
// many times: the page says the place is locked.
func TestPINLockedPlaceIsNotBlamedOnThePhone(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	for i := 0; i < 100; i++ {
		c.Post("/login/pin", url.Values{"phone": {fmt.Sprintf("139222%05d", i/5)}, "pin": {fmt.Sprintf("9753%02d", i%100)}})
	}
	r := c.Post("/login/pin", url.Values{"phone": {"13800000005"}, "pin": {"135790"}})
	if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "从这里（同一个网络）登录试错的次数太多了") || strings.Contains(r.Body, "这个手机号试错太多次了") {
		t.Errorf("a locked address: %d\n%s", r.Status, stripTags(r.Body))
	}
}

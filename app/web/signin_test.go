package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cunlu/app/apptest"
)

func TestSignIn(t *testing.T) {
	env := apptest.New(t)
	tests := []struct {
		name, login, password string
		status                int
		location              string
		body                  string
	}{
		{"admin lands on admin home", "admin", "demo-admin-pass", http.StatusSeeOther, "/admin", ""},
		{"coordinator lands on coordinator home", "coordinator", "demo-coord-pass", http.StatusSeeOther, "/coord", ""},
		{"partner lands on learner home", "partner", "demo-partner-pass", http.StatusSeeOther, "/", ""},
		{"villager lands on learner home", "villager", "demo-villager-pass", http.StatusSeeOther, "/", ""},
		{"login is case-insensitive", "  Partner ", "demo-partner-pass", http.StatusSeeOther, "/", ""},
		{"wrong password", "partner02", "wrong-password", http.StatusUnauthorized, "", "用户名或密码不对"},
		{"unknown login gives the same message", "nobody", "demo-partner-pass", http.StatusUnauthorized, "", "用户名或密码不对"},
		{"empty form", "", "", http.StatusUnauthorized, "", "用户名或密码不对"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := env.Client(t)
			r := c.Post("/login", url.Values{"login": {tt.login}, "password": {tt.password}})
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", r.Status, tt.status, r.Body)
			}
			if r.Location != tt.location {
				t.Errorf("Location %q, want %q", r.Location, tt.location)
			}
			if !strings.Contains(r.Body, tt.body) {
				t.Errorf("body lacks %q", tt.body)
			}
			signedIn := c.Cookie("cunlu_session") != nil
			if signedIn != (tt.status == http.StatusSeeOther) {
				t.Errorf("session cookie present = %v", signedIn)
			}
		})
	}
}

func TestSignInRedirectsBackButNeverOffSite(t *testing.T) {
	env := apptest.New(t)
	for next, want := range map[string]string{
		"/account":              "/account",
		"//evil.example/x":      "/",
		"https://evil.example/": "/",
		"/\\evil.example":       "/",
		"javascript:alert(1)":   "/",
	} {
		c := env.Client(t)
		r := c.Post("/login", url.Values{"login": {"partner"}, "password": {"demo-partner-pass"}, "next": {next}})
		if r.Location != want {
			t.Errorf("next=%q: redirected to %q, want %q", next, r.Location, want)
		}
	}
}

func TestSignedOutPageRedirectsToLogin(t *testing.T) {
	env := apptest.New(t)
	r := env.Client(t).Get("/account")
	if r.Status != http.StatusSeeOther || r.Location != "/login?next=%2Faccount" {
		t.Fatalf("got %d %q, want 303 to /login?next=%%2Faccount", r.Status, r.Location)
	}
}

func TestSessionRotatesAtSignIn(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	old := c.Cookie("cunlu_session").Value
	c.SignIn("partner", "demo-partner-pass")
	fresh := c.Cookie("cunlu_session").Value
	if fresh == old {
		t.Fatal("signing in again kept the same session token")
	}
	replay := env.Client(t)
	replay.SetCookie(&http.Cookie{Name: "cunlu_session", Value: old})
	if r := replay.Get("/account"); r.Status != http.StatusSeeOther {
		t.Fatalf("old token after a new sign-in: status %d, want 303 to /login", r.Status)
	}
	if r := c.Get("/account"); r.Status != http.StatusOK {
		t.Fatalf("new token: status %d, want 200", r.Status)
	}
}

func TestSignOutEndsTheSessionOnTheServer(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	token := c.Cookie("cunlu_session").Value
	r := c.Post("/logout", nil)
	if r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Fatalf("logout: %d %q", r.Status, r.Location)
	}
	if r.Header.Get("Clear-Site-Data") != `"cache"` {
		t.Error("sign-out does not clear the browser's cached pages")
	}
	if c.Cookie("cunlu_session") != nil {
		t.Error("session cookie still in the browser after sign-out")
	}
	replay := env.Client(t)
	replay.SetCookie(&http.Cookie{Name: "cunlu_session", Value: token})
	if r := replay.Get("/account"); r.Status != http.StatusSeeOther {
		t.Fatalf("replayed cookie after sign-out: status %d, want 303 to /login", r.Status)
	}
}

func TestDeactivatedAccountIsSignedOut(t *testing.T) {
	env := apptest.New(t)
	villager := env.Client(t)
	villager.SignIn("partner02", "demo-partner-pass")
	if r := villager.Get("/account"); r.Status != http.StatusOK {
		t.Fatalf("before: %d", r.Status)
	}
	admin := env.Client(t)
	admin.SignIn("admin", "demo-admin-pass")
	id := userID(t, env, "partner02")
	if r := admin.Post("/admin/accounts/"+id+"/active", url.Values{"active": {"0"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("deactivate: %d\n%s", r.Status, r.Body)
	}
	if r := villager.Get("/account"); r.Status != http.StatusSeeOther {
		t.Fatalf("deactivated account still served: %d", r.Status)
	}
	// The right password answers as a wrong one would: it must not confirm a guess.
	r := env.Client(t).Post("/login", url.Values{"login": {"partner02"}, "password": {"demo-partner-pass"}})
	wrong := env.Client(t).Post("/login", url.Values{"login": {"partner02"}, "password": {"not-the-password"}})
	if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "用户名或密码不对") || strings.Contains(r.Body, "停用") {
		t.Fatalf("deactivated sign-in: %d, want 401 with the wrong-password message", r.Status)
	}
	if r.Status != wrong.Status || csrfField.ReplaceAllString(r.Body, "") != csrfField.ReplaceAllString(wrong.Body, "") {
		t.Error("a deactivated account's right password answers differently from a wrong one")
	}
}

// csrfField is a form's CSRF token, which differs between two answers that are otherwise the same.
var csrfField = regexp.MustCompile(`name="_csrf" value="[^"]*"`)

func TestVillagerPINSignInAndSwitchPerson(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	r := c.Post("/login/pin", url.Values{"phone": {"138 0000 0002"}, "pin": {"135790"}})
	if r.Status != http.StatusSeeOther || r.Location != "/" {
		t.Fatalf("PIN sign-in: %d %q\n%s", r.Status, r.Location, r.Body)
	}
	home := c.Get("/")
	if !strings.Contains(home.Body, "李桂兰") || !strings.Contains(home.Body, `action="/switch-person"`) {
		t.Fatalf("villager home lacks the name or the switch-person button")
	}
	token := c.Cookie("cunlu_session").Value
	r = c.Post("/switch-person", nil)
	if r.Status != http.StatusSeeOther || r.Location != "/login/pin" {
		t.Fatalf("switch person: %d %q", r.Status, r.Location)
	}
	next := c.Get("/login/pin")
	if !strings.Contains(next.Body, "下一位请登录") {
		t.Error("PIN page after switching does not greet the next person")
	}
	replay := env.Client(t)
	replay.SetCookie(&http.Cookie{Name: "cunlu_session", Value: token})
	if r := replay.Get("/"); r.Status != http.StatusSeeOther {
		t.Fatalf("previous villager's session still valid: %d", r.Status)
	}
	if r := c.Post("/login/pin", url.Values{"phone": {"13800000003"}, "pin": {"000111"}}); r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong PIN: %d, want 401", r.Status)
	}
}

package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"cunlu/app/apptest"
)

func TestLanguage(t *testing.T) {
	env := apptest.New(t)

	t.Run("first visit follows Accept-Language", func(t *testing.T) {
		for header, want := range map[string]string{
			"":                        "zh-CN",
			"en-US,en;q=0.9":          "en",
			"zh-CN,zh;q=0.9,en;q=0.8": "zh-CN",
			"zh-TW":                   "zh-CN",
			"fr-FR":                   "zh-CN",
			"fr-FR,en;q=0.5":          "en",
			"garbage;;q=x":            "zh-CN",
		} {
			c := env.Client(t)
			c.Header.Set("Accept-Language", header)
			if body := c.Get("/login").Body; !strings.Contains(body, `<html lang="`+want+`">`) {
				t.Errorf("Accept-Language %q: page not in %s", header, want)
			}
		}
	})

	t.Run("the browser remembers a choice", func(t *testing.T) {
		c := env.Client(t)
		r := c.Post("/lang", url.Values{"lang": {"en"}, "next": {"/login/pin"}})
		if r.Status != http.StatusSeeOther || r.Location != "/login/pin" {
			t.Fatalf("switch: %d %q", r.Status, r.Location)
		}
		c.Header.Set("Accept-Language", "zh-CN")
		if body := c.Get("/login").Body; !strings.Contains(body, "Sign in") {
			t.Error("browser choice not remembered over Accept-Language")
		}
		if r := c.Post("/lang", url.Values{"lang": {"fr"}}); r.Status != http.StatusBadRequest {
			t.Errorf("unknown language: status %d, want 400", r.Status)
		}
		if r := c.Post("/lang", url.Values{"lang": {"en"}, "next": {"//evil.example"}}); r.Location != "/" {
			t.Errorf("off-site next after language switch: %q", r.Location)
		}
	})

	t.Run("the person's choice follows them to another browser", func(t *testing.T) {
		a := env.Client(t)
		a.SignIn("partner06", "demo-partner-pass")
		a.Post("/lang", url.Values{"lang": {"en"}})
		if body := a.Get("/account").Body; !strings.Contains(body, "My account") {
			t.Fatal("not English after switching")
		}
		b := env.Client(t) // another browser, Chinese by default
		b.SignIn("partner06", "demo-partner-pass")
		if body := b.Get("/account").Body; !strings.Contains(body, "My account") {
			t.Error("the person's language was not remembered")
		}
		// And the next person on that browser gets their own language back.
		env.Client(t).SignIn("partner07", "demo-partner-pass") // remembers Chinese for partner07
		b.Post("/logout", nil)
		b.SignIn("partner07", "demo-partner-pass")
		if body := b.Get("/account").Body; !strings.Contains(body, "我的账户") {
			t.Error("the previous person's language leaked to the next person")
		}
	})
}

func TestHealthzAndMetrics(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	if r := c.Get("/healthz"); r.Status != http.StatusOK || r.Body != "ok\n" {
		t.Fatalf("healthz: %d %q", r.Status, r.Body)
	}
	c.Get("/login")
	c.Get("/no-such-page")
	r := c.Get("/metrics")
	if r.Status != http.StatusOK {
		t.Fatalf("metrics: %d", r.Status)
	}
	for _, want := range []string{
		`cunlu_http_requests_total{code="200",method="GET",route="/login"}`,
		`cunlu_http_requests_total{code="404",method="GET",route="/*"}`,
		`cunlu_http_request_duration_seconds_bucket{method="GET",route="/login"`,
		"go_goroutines",
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

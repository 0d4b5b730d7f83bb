package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cunlu/app/apptest"
)

// TestSecurityCashReturnIsNotPaidIntoTheWallet: returning an order paid in cash at pickup
// must not put money into the pretend wallet (repeated, it would fill the wallet without
// limit, and teach that a cash purchase comes back as balance). The order page says the
// refund is in cash at the centre, in Chinese and in English; the wallet and its history
// are untouched. (Every other way money moves is checked step by step by app/sandbox
// TestMoneyProperty.)
func TestSecurityCashReturnIsNotPaidIntoTheWallet(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner02", "demo-partner-pass")
	env.OpenLessons(t, "partner02")
	fert := productID(t, env, "复合肥", 13800)
	code := regexp.MustCompile(`class="code big-code">(\d{6})<`)
	for i, key := range []string{"cash-return-key-0001", "cash-return-key-0002"} {
		order := buy(t, c, fert, url.Values{"key": {key}, "delivery": {"pickup"}, "payment": {"cash"}})
		for range 3 {
			c.Post(order+"/forward", nil)
		}
		m := code.FindStringSubmatch(c.Get(order).Body)
		if m == nil {
			t.Fatal("no pickup code on the arrived order")
		}
		for _, step := range []struct {
			path string
			form url.Values
		}{{"/pickup", url.Values{"code": {m[1]}}}, {"/return", url.Values{"reason": {"not_needed"}}}} {
			if r := c.Post(order+step.path, step.form); r.Status != http.StatusSeeOther {
				t.Fatalf("order %d %s: %d", i, step.path, r.Status)
			}
		}
		if page := c.Get(order).Body; !strings.Contains(page, "在服务站退回现金，不进钱包") {
			t.Errorf("order %d: the pending return does not say the refund is in cash at the centre", i)
		}
		c.Post(order+"/forward", nil) // the seller's day passes
		page := c.Get(order).Body
		if !strings.Contains(page, "退回现金") || strings.Contains(page, "退款已到钱包") {
			t.Errorf("order %d: the page does not say the refund was made in cash", i)
		}
		if i == 1 {
			c.Post("/lang", url.Values{"lang": {"en"}})
			if page := c.Get(order).Body; !strings.Contains(page, "Refunded in cash at the centre") {
				t.Error("in English the page does not say the refund was made in cash")
			}
			c.Post("/lang", url.Values{"lang": {"zh-CN"}})
		}
	}
	wallet := c.Get("/shop/wallet").Body
	if !strings.Contains(wallet, "¥2000.00") || strings.Contains(wallet, "¥2276.00") {
		t.Error("two cash returns changed the wallet's ¥2000")
	}
	if n := countRows(t, env, "sandbox_ledger", "user_id = ?", mustUserID(t, env, "partner02")); n != 0 {
		t.Errorf("%d wallet movements for cash orders and their returns, want none", n)
	}
	if n := countRows(t, env, "task_completions", "user_id = ? AND task_id = ?", mustUserID(t, env, "partner02"), "pay-cash-on-pickup"); n != 1 {
		t.Error("paying cash at pickup is no longer recorded as the practice task")
	}
}

package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cunlu/app/apptest"
	"cunlu/app/sandbox"
)

// checked reports whether the checkout page's radio button id is chosen.
func checked(body, id string) bool {
	m := regexp.MustCompile(`<input [^>]*id="` + id + `"[^>]*>`).FindString(body)
	return strings.Contains(m, " checked")
}

// homeOnlyProduct is a catalogue product that cannot be picked up at a centre.
func homeOnlyProduct(t *testing.T, env *apptest.Env) string {
	t.Helper()
	var p sandbox.Product
	if err := env.App.Accounts.DB().Where("pickup = ? AND active AND scam_id = ''", false).Order("id").Take(&p).Error; err != nil {
		t.Fatalf("find a home-delivery-only product: %v", err)
	}
	return fmt.Sprint(p.ID)
}

// TestCheckoutDefaultsOnlyToWhatWorks: with no payment PIN the wallet is not chosen, the
// wallet option says a PIN comes first and links to setting one; cash on pickup is chosen.
// A cart that cannot be picked up starts on home delivery, with no payment chosen.
func TestCheckoutDefaultsOnlyToWhatWorks(t *testing.T) {
	env, c, seeds := villagerShop(t)
	c.Post("/shop/cart", url.Values{"product_id": {seeds}, "qty": {"1"}})

	r := c.Get("/shop/checkout")
	if r.Status != http.StatusOK {
		t.Fatalf("checkout: %d", r.Status)
	}
	if checked(r.Body, "payment-wallet") || !checked(r.Body, "payment-cash") || !checked(r.Body, "delivery-pickup") {
		t.Errorf("without a PIN: wallet chosen %v, cash %v, pickup %v; want cash on pickup", checked(r.Body, "payment-wallet"), checked(r.Body, "payment-cash"), checked(r.Body, "delivery-pickup"))
	}
	if !strings.Contains(r.Body, "用钱包付款，要先设置支付密码。") || !strings.Contains(r.Body, `href="/shop/wallet?back=%2Fshop%2Fcheckout"`) {
		t.Error("the wallet option does not say a PIN comes first, with a link to set it and come back")
	}
	// The defaults can be bought with as they are.
	if r := c.Post("/shop/checkout", url.Values{"key": {"defaults-key-0000001"}, "delivery": {"pickup"}, "payment": {"cash"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("checkout with the defaults: %d\n%s", r.Status, r.Body)
	}

	// Once a PIN is set, the wallet is the default.
	c.Post("/shop/wallet/pin", url.Values{"pin": {"802468"}, "confirm": {"802468"}})
	c.Post("/shop/cart", url.Values{"product_id": {seeds}, "qty": {"1"}})
	r = c.Get("/shop/checkout")
	if !checked(r.Body, "payment-wallet") || checked(r.Body, "payment-cash") || strings.Contains(r.Body, "要先设置支付密码") {
		t.Error("with a PIN the wallet is not the default, or the page still asks for a PIN to be set")
	}
	c.Post("/shop/cart/"+seeds, url.Values{"qty": {"0"}})

	// A cart that cannot be picked up: home delivery, and no payment for a learner without PIN.
	v := env.Client(t)
	v.Post("/login/pin", url.Values{"phone": {"13800000002"}, "pin": {"135790"}})
	v.Post("/shop/cart", url.Values{"product_id": {homeOnlyProduct(t, env)}, "qty": {"1"}})
	r = v.Get("/shop/checkout")
	if r.Status != http.StatusOK || !checked(r.Body, "delivery-home") || checked(r.Body, "delivery-pickup") {
		t.Errorf("a home-only cart: %d, home chosen %v, pickup chosen %v", r.Status, checked(r.Body, "delivery-home"), checked(r.Body, "delivery-pickup"))
	}
	if checked(r.Body, "payment-wallet") || checked(r.Body, "payment-cash") {
		t.Error("a home-only cart without a PIN starts with a payment that cannot work")
	}
}

// TestCheckoutSetPINAndComeBack: the checkout's link to set a PIN brings the learner back to
// the checkout; a back that leaves the site is dropped.
func TestCheckoutSetPINAndComeBack(t *testing.T) {
	_, c, seeds := villagerShop(t)
	c.Post("/shop/cart", url.Values{"product_id": {seeds}, "qty": {"1"}})
	link := regexp.MustCompile(`href="(/shop/wallet\?back=[^"]+)"`).FindStringSubmatch(c.Get("/shop/checkout").Body)
	if link == nil {
		t.Fatal("no link from the checkout to set a PIN")
	}
	w := c.Get(strings.ReplaceAll(link[1], "&amp;", "&"))
	if w.Status != http.StatusOK || !strings.Contains(w.Body, `name="back" value="/shop/checkout"`) || !strings.Contains(w.Body, "回到结算页面") {
		t.Fatalf("wallet page from the checkout: %d, does not carry back to the checkout", w.Status)
	}
	if !strings.Contains(w.Body, `<a href="/shop/checkout" class="back-link">不设了，回到结算</a>`) {
		t.Error("the wallet page opened from the checkout offers no way back without setting a PIN")
	}
	// A mismatch keeps the way back.
	if r := c.Post("/shop/wallet/pin", url.Values{"pin": {"802468"}, "confirm": {"802469"}, "back": {"/shop/checkout"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `name="back" value="/shop/checkout"`) {
		t.Errorf("a mismatched PIN: %d, the form lost its way back", r.Status)
	}
	r := c.Post("/shop/wallet/pin", url.Values{"pin": {"802468"}, "confirm": {"802468"}, "back": {"/shop/checkout"}})
	if r.Status != http.StatusSeeOther || r.Location != "/shop/checkout" {
		t.Fatalf("set PIN from the checkout: %d to %q, want /shop/checkout", r.Status, r.Location)
	}
	page := c.Get("/shop/checkout")
	if !checked(page.Body, "payment-wallet") || !strings.Contains(page.Body, "支付密码已设置好") {
		t.Error("back at the checkout, the wallet is not chosen or the PIN's confirmation is missing")
	}
	order := buy(t, c, seeds, url.Values{"delivery": {"pickup"}, "payment": {"wallet"}, "pin": {"802468"}})
	if !orderURL.MatchString(order) {
		t.Fatalf("paying with the new PIN: %q", order)
	}

	// Without back, or with one that leaves the site, the wallet is where the form returns.
	evil := []string{"", "//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "http:evil.example", " //evil.example", "/\t/evil.example"}
	for i, back := range evil {
		if body := c.Get("/shop/wallet?back=" + url.QueryEscape(back)).Body; back != "" && strings.Contains(body, `name="back"`) {
			t.Errorf("wallet?back=%q puts it into the form", back)
		}
		pin := fmt.Sprintf("80246%d", i)
		prev := fmt.Sprintf("80246%d", i-1)
		if i == 0 {
			prev = "802468"
		}
		r := c.Post("/shop/wallet/pin", url.Values{"current": {prev}, "pin": {pin}, "confirm": {pin}, "back": {back}})
		if r.Status != http.StatusSeeOther || r.Location != "/shop/wallet" || !safeLocation(r.Location) {
			t.Errorf("set PIN with back=%q: %d to %q, want /shop/wallet", back, r.Status, r.Location)
		}
	}
}

// TestCheckoutScenarioCodeOnlyForTrainers: the scenario-code field shows for a partner in
// their own shop and in an assisted session, not for a villager on their own, whose code,
// sent anyway, is ignored.
func TestCheckoutScenarioCodeOnlyForTrainers(t *testing.T) {
	env := apptest.New(t)
	seeds := productID(t, env, "白菜种子", 990)
	field := `name="outcome"`

	v := env.Client(t)
	v.SignIn("villager", "demo-villager-pass")
	v.Post("/shop/cart", url.Values{"product_id": {seeds}, "qty": {"1"}})
	if body := v.Get("/shop/checkout").Body; strings.Contains(body, field) || strings.Contains(body, "练习情景码") {
		t.Error("a villager on their own sees the trainers' scenario code")
	}
	r := v.Post("/shop/checkout", url.Values{"key": {"villager-outcome-0001"}, "delivery": {"pickup"}, "payment": {"cash"}, "outcome": {"0002"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("a villager's checkout with a code sent anyway: %d, want the order placed\n%s", r.Status, r.Body)
	}

	p := env.Client(t)
	p.SignIn("partner", "demo-partner-pass")
	p.Post("/shop/cart", url.Values{"product_id": {seeds}, "qty": {"1"}})
	if body := p.Get("/shop/checkout").Body; !strings.Contains(body, field) {
		t.Error("a partner rehearsing in their own shop does not see the scenario code")
	}
	p.Post("/shop/assist", url.Values{"villager_id": {fmt.Sprint(mustUserID(t, env, "villager"))}})
	p.Post("/shop/cart", url.Values{"product_id": {seeds}, "qty": {"1"}})
	if body := p.Get("/shop/checkout").Body; !strings.Contains(body, field) || !strings.Contains(body, "王秀英") {
		t.Error("an assisted session does not show the scenario code")
	}
	if r := p.Post("/shop/checkout", url.Values{"key": {"assisted-outcome-0002"}, "delivery": {"pickup"}, "payment": {"cash"}, "outcome": {"0002"}}); r.Status != http.StatusConflict {
		t.Errorf("an assisted checkout with code 0002: %d, want the rehearsed sell-out (409)", r.Status)
	}
}

// TestCheckoutAddressUnderHomeDeliveryAndPayBar: the address sits under the home-delivery
// option (shown by CSS only when it is chosen), the centre under pickup; the total and the
// buy button are in the bar that stays at the bottom.
func TestCheckoutAddressUnderHomeDeliveryAndPayBar(t *testing.T) {
	_, c, seeds := villagerShop(t)
	c.Post("/shop/cart", url.Values{"product_id": {seeds}, "qty": {"1"}})
	body := c.Get("/shop/checkout").Body
	order := regexp.MustCompile(`(?s)id="delivery-pickup".*?<label class="option" for="delivery-pickup".*?<div class="choice-more">\s*<label for="centre_id">.*?id="delivery-home".*?<label class="option" for="delivery-home".*?<div class="choice-more">\s*<label for="address">`)
	if !order.MatchString(body) {
		t.Error("the centre is not under the pickup option, or the address not under home delivery")
	}
	if regexp.MustCompile(`id="address"[^>]*required`).MatchString(body) {
		t.Error("the address is required even when it is hidden for pickup")
	}
	bar := regexp.MustCompile(`(?s)<div class="paybar">.*?</div>`).FindString(body)
	if !strings.Contains(bar, "¥9.90") || !strings.Contains(bar, `<button type="submit" class="btn">提交订单</button>`) {
		t.Errorf("the bottom bar lacks the total or the buy button:\n%s", bar)
	}
	css := c.Get(regexp.MustCompile(`href="(/static/app\.[^"]*\.css|/static/[^"]*app[^"]*\.css)"`).FindStringSubmatch(body)[1]).Body
	for _, rule := range []string{".choice:not(:checked)+.option+.choice-more{display:none}", ".paybar{position:sticky;"} {
		if !strings.Contains(css, rule) {
			t.Errorf("the stylesheet lacks %s", rule)
		}
	}
	// Home delivery with an address typed works from the same form.
	r := c.Post("/shop/checkout", url.Values{"key": {"home-address-key-01"}, "delivery": {"home"}, "address": {"桃园村二组 12 号"}, "payment": {"cash"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "桃园村二组 12 号") {
		t.Errorf("cash with home delivery: %d, want the form again with the address kept", r.Status)
	}
}

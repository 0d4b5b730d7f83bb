package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cunlu/app/apptest"
)

// TestCartAndCheckoutOnAPhone: on a 360 px screen the cart's + and remove and undo work by
// tapping, with 44 px buttons; at the checkout the address shows only once home delivery is
// chosen (by CSS, no script), the PIN field only for the wallet, and the total with the buy
// button stays on screen at the bottom while the form scrolls.
func TestCartAndCheckoutOnAPhone(t *testing.T) {
	env := apptest.New(t)
	j := newJourney(t, env.URL, "zh-CN") // checks each page's width and accessibility
	ctx := j.ctx
	signIn(t, ctx, env.URL, "partner", "demo-partner-pass")
	cartSeeds(t, ctx, env.URL)
	// The cart: one more, remove, undo, all by tapping.
	do(t, ctx, "one more", chromedp.Click(css(`button.step[aria-label$="多一件"]`)))
	waitFor(t, ctx, "two in the cart", `(document.querySelector(".step-qty strong") || {}).textContent === "2"`)
	j.check("cart")
	for _, b := range get(t, ctx, "measure the steppers", chromedp.Evaluate[[]float64](`[...document.querySelectorAll(".cart-line button")].flatMap(b => { const r = b.getBoundingClientRect(); return [r.width, r.height] })`)) {
		if b < 44 {
			t.Errorf("a cart button is %.0f px on one side", b)
		}
	}
	if dir := os.Getenv("CUNLU_TEST_SHOTS"); dir != "" {
		os.WriteFile(dir+"/cart.png", get(t, ctx, "screenshot", chromedp.CaptureScreenshot()), 0o644)
	}
	do(t, ctx, "remove it", chromedp.Click(css(`.cart-line .btn-quiet`)), chromedp.WaitVisible(css(`.undo button`)))
	j.check("cart after a removal")
	if dir := os.Getenv("CUNLU_TEST_SHOTS"); dir != "" {
		os.WriteFile(dir+"/cart-removed.png", get(t, ctx, "screenshot", chromedp.CaptureScreenshot()), 0o644)
	}
	do(t, ctx, "undo", chromedp.Click(css(`.undo button`)))
	waitFor(t, ctx, "the two back in the cart", `(document.querySelector(".step-qty strong") || {}).textContent === "2" && !document.querySelector(".undo")`)
	do(t, ctx, "check out",
		chromedp.Click(css(`a[href="/shop/checkout"]`)),
		chromedp.WaitVisible(css(`.paybar`)),
	)
	visible := func(sel string) bool {
		return get(t, ctx, "look at "+sel, chromedp.Evaluate[bool](`(() => { const e = document.querySelector("`+sel+`"); return !!e && e.getClientRects().length > 0 })()`))
	}
	j.check("checkout")
	if visible("#address") || !visible("#centre_id") {
		t.Errorf("with pickup chosen: address shown %v, centre shown %v", visible("#address"), visible("#centre_id"))
	}
	do(t, ctx, "choose home delivery", center(`label[for=delivery-home]`), chromedp.Click(css(`label[for=delivery-home]`)))
	if !visible("#address") || visible("#centre_id") {
		t.Errorf("with home delivery chosen: address shown %v, centre shown %v", visible("#address"), visible("#centre_id"))
	}
	j.check("checkout for home delivery")
	do(t, ctx, "tap the radio button itself", center(`#delivery-pickup`), chromedp.Click(css(`#delivery-pickup`)))
	if visible("#address") {
		t.Error("back on pickup, the address still shows")
	}
	// The buy button is on screen, not covered by anything (a tab bar), at the top of the
	// form and when scrolled to the middle.
	for _, y := range []int{0, 200} {
		box := get(t, ctx, "measure the buy button", chromedp.Evaluate[[]float64](`(() => { window.scrollTo(0, `+fmt.Sprint(y)+`); const b = document.querySelector(".paybar button"), r = b.getBoundingClientRect();
			const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			return [r.top, r.bottom, r.height, window.innerHeight, hit && hit.closest(".paybar button") === b ? 1 : 0] })()`))
		if box[1] > box[3] || box[0] < 0 || box[2] < 44 || box[4] != 1 {
			t.Errorf("scrolled to %d: the buy button is at %.0f–%.0f px (%.0f px high) of a %.0f px screen, uncovered %v", y, box[0], box[1], box[2], box[3], box[4] == 1)
		}
	}
	if w := get(t, ctx, "measure", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 360 {
		t.Errorf("checkout is %d px wide", w)
	}
	if dir := os.Getenv("CUNLU_TEST_SHOTS"); dir != "" {
		os.WriteFile(dir+"/checkout.png", get(t, ctx, "screenshot", chromedp.CaptureScreenshot()), 0o644)
	}
}

// TestOrderTrackingAndStarsOnAPhone: the orders list shows the goods; on the order page
// the future steps carry no time; the review's stars are five 44 px targets, and tapping
// the fourth chooses 4 and fills the stars up to it.
func TestOrderTrackingAndStarsOnAPhone(t *testing.T) {
	env := apptest.New(t)
	j := newJourney(t, env.URL, "zh-CN") // checks each page's width and accessibility
	ctx := j.ctx
	signIn(t, ctx, env.URL, "villager", "demo-villager-pass")
	cartSeeds(t, ctx, env.URL)
	do(t, ctx, "buy them, cash on pickup",
		chromedp.Click(css(`a[href="/shop/checkout"]`)),
		chromedp.WaitVisible(css(`.paybar`)),
		chromedp.Click(css(`.paybar button`)),
		chromedp.WaitVisible(css(`ol.timeline`)),
	)
	j.check("new order")
	if n := get(t, ctx, "count the times shown", chromedp.Evaluate[int](`document.querySelectorAll("ol.timeline li.future .muted").length`)); n != 0 {
		t.Errorf("%d future steps show a time", n)
	}
	if dir := os.Getenv("CUNLU_TEST_SHOTS"); dir != "" {
		os.WriteFile(dir+"/order.png", get(t, ctx, "screenshot", chromedp.CaptureScreenshot()), 0o644)
	}
	for i := 0; i < 3; i++ {
		do(t, ctx, "fast-forward", chromedp.Click(css(`form[action$="/forward"] button`)))
		waitFor(t, ctx, "the next stage", fmt.Sprintf(`document.querySelectorAll("ol.timeline li.reached").length >= %d`, i+2))
	}
	code := get(t, ctx, "read the pickup code", chromedp.Text(css(`.big-code`)))
	do(t, ctx, "pick up",
		chromedp.SendKeys(css("#code"), code),
		chromedp.Click(css(`form[action$="/pickup"] button`)),
		chromedp.WaitVisible(css(`.star-row`)),
	)
	j.check("order to review")
	sizes := get(t, ctx, "measure the stars", chromedp.Evaluate[[]float64](`[...document.querySelectorAll(".star-row label")].flatMap(l => { const r = l.getBoundingClientRect(); return [r.width, r.height] })`))
	if len(sizes) != 10 {
		t.Fatalf("%d stars", len(sizes)/2)
	}
	for _, s := range sizes {
		if s < 44 {
			t.Errorf("a star is %.0f px on one side", s)
		}
	}
	do(t, ctx, "tap the fourth star", center(`.star-row label:nth-of-type(4)`), chromedp.Click(css(`.star-row label:nth-of-type(4)`)))
	if v := get(t, ctx, "read the choice", chromedp.Evaluate[string](`document.querySelector(".star-row input:checked").value`)); v != "4" {
		t.Errorf("tapping the fourth star chose %q", v)
	}
	filled := get(t, ctx, "read the colours", chromedp.Evaluate[[]string](`[...document.querySelectorAll(".star-row label")].map(l => getComputedStyle(l).color)`))
	if filled[0] != filled[3] || filled[3] == filled[4] {
		t.Errorf("after choosing 4 the stars are coloured %v: want the first four alike and the fifth not", filled)
	}
	if dir := os.Getenv("CUNLU_TEST_SHOTS"); dir != "" {
		os.WriteFile(dir+"/stars.png", get(t, ctx, "screenshot", chromedp.CaptureScreenshot()), 0o644)
	}
	do(t, ctx, "write and send",
		chromedp.SendKeys(css(`.review-form input[name=text]`), "出苗整齐"),
		chromedp.Click(css(`.review-form button[type=submit]`)),
	)
	waitFor(t, ctx, "the review saved", `!!document.querySelector(".tag.ok")`)
	var n int64
	env.App.Accounts.DB().Table("sandbox_reviews").Where("stars = 4").Count(&n)
	if n != 1 {
		t.Errorf("%d reviews with 4 stars saved", n)
	}
	do(t, ctx, "open the orders", chromedp.Navigate(env.URL+"/shop/orders"), chromedp.WaitVisible(css(`.order-line img`)))
	j.check("orders")
	if body := get(t, ctx, "read the list", chromedp.Text(css("main"))); !strings.Contains(body, "白菜种子") || !strings.Contains(body, "1 件商品") {
		t.Errorf("the orders list says:\n%s", body)
	}
}

// center scrolls an element to the middle of the screen, as a person scrolls what they
// want to tap into view above the bar at the bottom.
func center(sel string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](`document.querySelector("`+sel+`").scrollIntoView({block: "center"}), true`)(ctx, tg)
		return chromedp.Void{}, err
	}
}

// cartSeeds finds cabbage seeds in the shop and puts a packet in the cart, by tapping.
func cartSeeds(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	do(t, ctx, "put a packet of seeds in the cart",
		chromedp.Navigate(base+"/shop/search?q=%E7%99%BD%E8%8F%9C%E7%A7%8D%E5%AD%90"),
		chromedp.Click(css(`ul.products a.product`)),
		chromedp.WaitVisible(css(`form[action="/shop/cart"]`)),
		chromedp.Click(css(`form[action="/shop/cart"] button[type=submit]`)),
		chromedp.WaitVisible(css(`a[href="/shop/checkout"]`)),
	)
}

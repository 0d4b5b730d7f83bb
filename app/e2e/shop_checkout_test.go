package e2e

import (
	"context"
	"fmt"
	"os"
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
	ctx := Browser(t, 360, 640)
	signIn(t, ctx, env.URL, "partner", "demo-partner-pass")
	do(t, ctx, "put something in the cart",
		chromedp.Navigate(env.URL+"/shop/search?q=%E7%99%BD%E8%8F%9C%E7%A7%8D%E5%AD%90"),
		chromedp.Click(css(`ul.products a.product`)),
		chromedp.WaitVisible(css(`form[action="/shop/cart"]`)),
		chromedp.Click(css(`form[action="/shop/cart"] button[type=submit]`)),
		chromedp.WaitVisible(css(`a[href="/shop/checkout"]`)),
	)
	// The cart: one more, remove, undo, all by tapping.
	qty := func() string {
		return get(t, ctx, "read the quantity", chromedp.Evaluate[string](`(document.querySelector(".step-qty strong") || {}).textContent || ""`))
	}
	do(t, ctx, "one more", chromedp.Click(css(`button.step[aria-label$="多一件"]`)), chromedp.WaitVisible(css(`.step-qty`)))
	if q := qty(); q != "2" {
		t.Errorf("after + the cart holds %q", q)
	}
	for _, b := range get(t, ctx, "measure the steppers", chromedp.Evaluate[[]float64](`[...document.querySelectorAll(".cart-line button")].flatMap(b => { const r = b.getBoundingClientRect(); return [r.width, r.height] })`)) {
		if b < 44 {
			t.Errorf("a cart button is %.0f px on one side", b)
		}
	}
	if dir := os.Getenv("CUNLU_TEST_SHOTS"); dir != "" {
		os.WriteFile(dir+"/cart.png", get(t, ctx, "screenshot", chromedp.CaptureScreenshot()), 0o644)
	}
	do(t, ctx, "remove it", chromedp.Click(css(`.cart-line .btn-quiet`)), chromedp.WaitVisible(css(`.undo button`)))
	if dir := os.Getenv("CUNLU_TEST_SHOTS"); dir != "" {
		os.WriteFile(dir+"/cart-removed.png", get(t, ctx, "screenshot", chromedp.CaptureScreenshot()), 0o644)
	}
	do(t, ctx, "undo", chromedp.Click(css(`.undo button`)), chromedp.WaitVisible(css(`.cart-line`)))
	if q := qty(); q != "2" {
		t.Errorf("after undo the cart holds %q, want 2 again", q)
	}
	do(t, ctx, "check out",
		chromedp.Click(css(`a[href="/shop/checkout"]`)),
		chromedp.WaitVisible(css(`.paybar`)),
	)
	visible := func(sel string) bool {
		return get(t, ctx, "look at "+sel, chromedp.Evaluate[bool](`(() => { const e = document.querySelector("`+sel+`"); return !!e && e.getClientRects().length > 0 })()`))
	}
	if visible("#address") || !visible("#centre_id") {
		t.Errorf("with pickup chosen: address shown %v, centre shown %v", visible("#address"), visible("#centre_id"))
	}
	if dir := os.Getenv("CUNLU_TEST_SHOTS"); dir != "" {
		os.WriteFile(dir+"/checkout0.png", get(t, ctx, "screenshot", chromedp.CaptureScreenshot()), 0o644)
	}
	// A person scrolls what they want to tap into view, above the bar at the bottom.
	center := func(sel string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Evaluate[bool](`document.querySelector("`+sel+`").scrollIntoView({block: "center"}), true`)(ctx, tg)
			return chromedp.Void{}, err
		}
	}
	do(t, ctx, "choose home delivery", center(`label[for=delivery-home]`), chromedp.Click(css(`label[for=delivery-home]`)))
	if !visible("#address") || visible("#centre_id") {
		t.Errorf("with home delivery chosen: address shown %v, centre shown %v", visible("#address"), visible("#centre_id"))
	}
	do(t, ctx, "tap the radio button itself", center(`#delivery-pickup`), chromedp.Click(css(`#delivery-pickup`)))
	if visible("#address") {
		t.Error("back on pickup, the address still shows")
	}
	// The buy button is on screen at the top of the form and when scrolled to the middle.
	for _, y := range []int{0, 200} {
		box := get(t, ctx, "measure the buy button", chromedp.Evaluate[[]float64](`(() => { window.scrollTo(0, `+fmt.Sprint(y)+`); const r = document.querySelector(".paybar button").getBoundingClientRect(); return [r.top, r.bottom, r.height, r.width] })()`))
		if box[1] > 640 || box[0] < 0 || box[2] < 44 {
			t.Errorf("scrolled to %d: the buy button is at %.0f–%.0f px (%.0f px high) of a 640 px screen", y, box[0], box[1], box[2])
		}
	}
	if w := get(t, ctx, "measure", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 360 {
		t.Errorf("checkout is %d px wide", w)
	}
	if dir := os.Getenv("CUNLU_TEST_SHOTS"); dir != "" {
		os.WriteFile(dir+"/checkout.png", get(t, ctx, "screenshot", chromedp.CaptureScreenshot()), 0o644)
	}
}

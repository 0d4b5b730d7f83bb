package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cunlu/app/apptest"
)

type css = chromedp.CSS

// do performs steps and fails the test with the step's name when one fails.
func do(t *testing.T, ctx context.Context, step string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// get runs one action that returns a value.
func get[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}

// signIn signs in through the login form.
func signIn(t *testing.T, ctx context.Context, base, login, password string) {
	t.Helper()
	do(t, ctx, "sign in as "+login,
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(css("#login"), login),
		chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(css(`form[action="/logout"]`)),
	)
}

// TestShopJourney: a villager on a phone searches, compares sellers, buys from the best
// rated with pickup at the centre, fast-forwards the parcel and picks it up with its code.
func TestShopJourney(t *testing.T) {
	env := apptest.New(t)
	ctx := Browser(t, 360, 800)
	signIn(t, ctx, env.URL, "villager", "demo-villager-pass")
	env.OpenLessons(t, "villager")

	do(t, ctx, "search",
		chromedp.Navigate(env.URL+"/shop"),
		chromedp.SendKeys(css("#q"), "电饭煲"),
		chromedp.Submit(css("#q")),
		chromedp.WaitVisible(css(`ul.products a.product`)),
	)
	if body := get(t, ctx, "read results", chromedp.Text(css("main"))); !strings.Contains(body, "电饭煲") {
		t.Fatalf("search results lack rice cookers:\n%s", body)
	}
	do(t, ctx, "open a product and compare sellers",
		chromedp.Click(css(`ul.products a.product`)),
		chromedp.WaitVisible(css(`a[href$="/compare"]`)),
		chromedp.Click(css(`a[href$="/compare"]`)),
		chromedp.WaitVisible(css(`ul.compare`)),
	)
	// Pick the seller with the highest rating shown on the compare page, as a careful buyer would.
	ratings := get(t, ctx, "read ratings", chromedp.Evaluate[[]string](`[...document.querySelectorAll("ul.compare li")].map(li => li.querySelector("p").innerText)`))
	best, bestRating := 0, ""
	for i, r := range ratings {
		if m := regexp.MustCompile(`★(\d\.\d)`).FindStringSubmatch(r); m != nil && m[1] > bestRating {
			best, bestRating = i, m[1]
		}
	}
	if len(ratings) < 2 || bestRating == "" {
		t.Fatalf("compare page shows %d sellers: %v", len(ratings), ratings)
	}
	do(t, ctx, "buy from the best-rated seller",
		chromedp.Click(css(fmt.Sprintf(`ul.compare li:nth-child(%d) button[type=submit]`, best+1))),
		chromedp.WaitVisible(css(`a[href="/shop/checkout"]`)),
		chromedp.Click(css(`a[href="/shop/checkout"]`)),
		chromedp.WaitVisible(css(`input[name=payment][value=cash]`)),
		chromedp.Click(css(`input[name=payment][value=cash]`)),
		chromedp.Click(css(`form[action="/shop/checkout"] button[type=submit]`)),
		chromedp.WaitVisible(css(`ol.timeline`)),
	)
	for i := 0; i < 3; i++ {
		// Each fast-forward reloads the order one stage further on.
		do(t, ctx, "fast-forward", chromedp.Click(css(`form[action$="/forward"] button`)))
		waitFor(t, ctx, "the next stage", fmt.Sprintf(`document.querySelectorAll("ol.timeline li.reached").length >= %d`, i+2))
	}
	code := get(t, ctx, "read the pickup code", chromedp.Text(css(`.big-code`)))
	if !regexp.MustCompile(`^\d{6}$`).MatchString(code) {
		t.Fatalf("pickup code %q", code)
	}
	do(t, ctx, "pick up",
		chromedp.SendKeys(css("#code"), code),
		chromedp.Click(css(`form[action$="/pickup"] button`)),
		chromedp.WaitVisible(css(`.flash`)),
	)
	if body := get(t, ctx, "read the order", chromedp.Text(css("main"))); !strings.Contains(body, "取件成功") || !strings.Contains(body, "已取件") {
		t.Fatalf("after pickup the page says:\n%s", body)
	}
	if width := get(t, ctx, "measure", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); width > 360 {
		t.Errorf("page is %d px wide on a 360 px screen", width)
	}
	var n int64
	env.App.Accounts.DB().Table("task_completions").Where("task_id = ?", "buy-compare-sellers").Count(&n)
	if n != 1 {
		t.Error("buying from the best-rated seller on the compare page was not recorded as the compare task")
	}
}

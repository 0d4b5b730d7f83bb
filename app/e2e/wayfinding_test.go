package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cunlu/app/apptest"
)

// tabBarProblem is JavaScript that checks the bottom tab bar on a phone: at least 48 px
// high at the bottom of the screen, each tab at least 44 px with 14 px text, the given
// section current, and nothing of the page left under the bar when scrolled to the end.
// It returns "" or what is wrong.
const tabBarProblem = `((want) => {
	const bar = document.querySelector("nav.tabbar");
	if (!bar) return "no tab bar";
	const r = bar.getBoundingClientRect();
	if (r.height < 48) return "the bar is " + r.height + " px high";
	if (Math.abs(r.bottom - innerHeight) > 1) return "the bar is not at the bottom";
	for (const a of bar.querySelectorAll("a")) {
		const h = a.getBoundingClientRect().height, px = parseFloat(getComputedStyle(a).fontSize);
		if (h < 44) return a.textContent.trim() + " is " + h + " px high";
		if (px < 14) return a.textContent.trim() + " has " + px + " px text";
	}
	const cur = bar.querySelector("[aria-current=page]");
	if (!cur || cur.getAttribute("href") !== want) return "current tab " + (cur && cur.getAttribute("href")) + ", want " + want;
	window.scrollTo(0, document.documentElement.scrollHeight);
	const foot = document.querySelector("footer.foot").getBoundingClientRect();
	if (foot.bottom > bar.getBoundingClientRect().top + 1) return "the page ends under the bar";
	window.scrollTo(0, 0);
	return "";
})`

// TestWayfindingOnPhone: a partner on a phone moves between Cunlu's parts only by tapping
// the tab bar, the shop's tiles, their home's buttons and a villager's row.
func TestWayfindingOnPhone(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			env := apptest.New(t) // a person's language is kept with them: one database each
			j := newJourney(t, env.URL, lang)
			shots := os.Getenv("CUNLU_TEST_SHOTS") // a directory for screenshots, to look at
			tab := func(label, want string) {
				t.Helper()
				j.check(label)
				if p := j.eval("check the tab bar", tabBarProblem+`("`+want+`")`); p != "" {
					t.Errorf("%s: %s", label, p)
				}
				if shots != "" {
					png := get(t, j.ctx, "screenshot", chromedp.CaptureScreenshot())
					os.WriteFile(filepath.Join(shots, lang+"-"+strings.ReplaceAll(label, " ", "-")+".png"), png, 0o644)
				}
			}
			tap := func(what, sel, until string) {
				t.Helper()
				j.do(what, chromedp.Click(css(sel)), chromedp.WaitVisible(css(until)))
			}
			j.do("open the sign-in page", chromedp.Navigate(env.URL+"/login"))
			j.chooseLanguage()
			signIn(t, j.ctx, env.URL, "partner", "demo-partner-pass")
			tab("home", "/")
			tap("tap the shop", `nav.tabbar a[href="/shop"]`, `ul.shop-tiles`)
			tab("shop home", "/shop")
			tap("tap the bills tile", `ul.shop-tiles a[href="/shop/bills"]`, `nav.shopbar`)
			tab("bills", "/shop")
			tap("back to the shop home", `nav.shopbar a[href="/shop"]`, `ul.shop-tiles`)
			tap("tap messages", `nav.tabbar a[href="/shop/inbox"]`, `ul.inbox`)
			tab("inbox", "/shop/inbox")
			tap("tap villagers", `nav.tabbar a[href="/partner/villagers"]`, `a.row-link`)
			tab("villagers", "/partner/villagers")
			tap("open a villager", `a.row-link`, `#lessons`)
			tab("villager", "/partner/villagers")
			tap("tap me", `nav.tabbar a[href="/account"]`, `#leave`)
			tab("account", "/account")
			tap("tap learn", `nav.tabbar a[href="/"]`, `ul.big-actions`)
			tap("tap 陪村民练习", `ul.big-actions a[href="/shop/assist"]`, `form[action="/shop/assist"]`)
			tab("assist", "/shop")
		})
	}
}

// TestPracticeFromLessonOnPhone: a villager taps a lesson's practice task, does it in the
// shop, and taps the way back to the lesson, which shows the task done; tapping only.
func TestPracticeFromLessonOnPhone(t *testing.T) {
	lesson := "/courses/buying-online/how-online-shopping-works"
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			env := apptest.New(t)
			j := newJourney(t, env.URL, lang)
			j.do("open the sign-in page", chromedp.Navigate(env.URL+"/login"))
			j.chooseLanguage()
			signIn(t, j.ctx, env.URL, "villager", "demo-villager-pass")
			steps := []struct{ what, tap, until string }{
				{"all courses", `main a[href="/courses"]`, `a[href="/courses/buying-online"]`},
				{"the course", `a[href="/courses/buying-online"]`, `a[href="` + lesson + `"]`},
				{"the lesson", `a[href="` + lesson + `"]`, `#tasks a.task-card`},
				{"the task card", `#tasks a.task-card`, `.practice-back a[href="` + lesson + `"]`},
				{"a product", `ul.products a.product`, `form[action="/shop/cart"]`},
				{"add to cart", `form[action="/shop/cart"] button[type=submit]`, `a[href="/shop/checkout"]`},
				{"check out", `a[href="/shop/checkout"]`, `input[name=delivery][value=pickup]`},
				{"pickup", `input[name=delivery][value=pickup]`, `input[name=payment][value=cash]`},
				{"cash", `input[name=payment][value=cash]`, `form[action="/shop/checkout"] button[type=submit]`},
				{"buy", `form[action="/shop/checkout"] button[type=submit]`, `.practice-back a.btn[href="` + lesson + `"]`},
				{"back to the lesson", `.practice-back a.btn[href="` + lesson + `"]`, `#tasks a.task-card.done`},
			}
			for _, s := range steps {
				j.do("tap "+s.what, chromedp.Click(css(s.tap)), chromedp.WaitVisible(css(s.until)))
				j.check(s.what)
			}
		})
	}
}

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cunlu/app/account"
	"cunlu/app/apptest"
)

// TestJourneyRemind: on a phone, a coordinator finds in the alerts a villager who never
// signed in since being registered a month ago, taps "remind the partner" on that row;
// the centre's partner finds the reminder on their home at their next sign-in, with the
// villager's number to call, and taps "got it". Every page is checked for width,
// language, accessibility and tap targets of the row's actions.
func TestJourneyRemind(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			env := apptest.New(t)
			var v account.User
			g := env.App.Accounts.DB()
			if err := g.Where("login = ?", "13800000009").Take(&v).Error; err != nil {
				t.Fatal(err)
			}
			month := time.Now().Add(-30*24*time.Hour - time.Minute).UTC()
			if err := g.Model(&v).Update("created_at", month).Error; err != nil {
				t.Fatal(err)
			}

			j := newJourney(t, env.URL, lang)
			j.do("open the sign-in page", chromedp.Navigate(env.URL+"/login"))
			j.chooseLanguage()
			signIn(t, j.ctx, env.URL, "coordinator", "demo-coord-pass")
			j.do("open the alerts", chromedp.Click(css(`a[href^="/coord/alerts"]`)))
			j.wait("the alerts", `location.pathname === "/coord/alerts"`)
			j.check("alerts")
			never := map[string]string{"zh-CN": "从未登录", "en": "Never signed in"}[lang]
			j.must("the alerts", v.Name, never)
			row := fmt.Sprintf(`[...document.querySelectorAll("#absent li")].find(li => li.querySelector('input[name=learner_id][value="%d"]'))`, v.ID)
			small := j.eval("measure the row's actions", `(() => { const li = `+row+`;
				return [...li.querySelectorAll("a, button")].filter(e => e.getBoundingClientRect().height < 44).map(e => e.textContent).join(", ") })()`)
			if small != "" {
				t.Errorf("actions under 44 px high: %s", small)
			}
			if href := j.eval("read the call link", row+`.querySelector('a[href^="tel:"]').getAttribute("href")`); href != "tel:"+*v.Phone {
				t.Errorf("call link %q, want tel:%s", href, *v.Phone)
			}
			j.do("remind the partner", chromedp.Evaluate[chromedp.Void](row+`.querySelector("button").click()`), chromedp.WaitVisible(css(`.flash`)))
			j.check("reminded")

			p := newJourney(t, env.URL, lang)
			p.do("open the sign-in page", chromedp.Navigate(env.URL+"/login"))
			p.chooseLanguage()
			signIn(t, p.ctx, env.URL, "partner", "demo-partner-pass")
			p.wait("the home", `location.pathname === "/"`)
			p.check("home with a reminder")
			p.must("the reminder", v.Name, map[string]string{"zh-CN": "登记 30 天了，一直没登录", "en": "never signed in"}[lang])
			gotIt := map[string]string{"zh-CN": "知道了", "en": "Got it"}[lang]
			p.do("got it", chromedp.Click(css(`form[action$="/dismiss"] button`)))
			p.wait("the home again", `location.pathname === "/" && !document.querySelector('form[action$="/dismiss"]')`)
			p.check("home")
			if body := p.text(); strings.Contains(body, gotIt) {
				t.Errorf("the reminder is still there after %q", gotIt)
			}
		})
	}
}

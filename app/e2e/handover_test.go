package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cunlu/app/apptest"
	"cunlu/app/course"
)

// TestScreensThatTrippedPeople walks, on a 360 px phone in both languages, the screens issue
// #18 found hard: a partner registers a villager and gets the hand-over slip; a wrong PIN is
// told with the tries left; an error page leads back; a passed quiz's right answers are not
// pushed to the right edge and the next lesson is the main button. Every screen is checked
// for width, language and accessibility.
func TestScreensThatTrippedPeople(t *testing.T) {
	for i, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			env := apptest.New(t)
			j := newJourney(t, env.URL, lang)
			j.do("open the sign-in page", chromedp.Navigate(env.URL+"/login"))
			j.chooseLanguage()
			signIn(t, j.ctx, env.URL, "partner", "demo-partner-pass")

			phone := fmt.Sprintf("1391111700%d", i)
			j.do("register a villager",
				chromedp.Navigate(env.URL+"/partner/villagers/new"),
				chromedp.SendKeys(css("#name"), "周大姐"),
				chromedp.SendKeys(css("#phone"), phone),
				chromedp.SendKeys(css("#pin"), "482916"),
				chromedp.Click(css(`form[action="/partner/villagers"] button[type=submit]`)),
				chromedp.WaitVisible(css(".slip")))
			j.must("the slip", "周大姐", phone, "482916")
			if w := get(t, j.ctx, "measure the QR code", chromedp.Evaluate[float64](`document.querySelector(".slip .qr").getBoundingClientRect().width`)); w < 150 {
				t.Errorf("the QR code is %.0f px wide, too small to scan", w)
			}
			j.check("hand-over slip")

			// The error page, reached from a page of the site, leads back to it.
			j.do("open the list", chromedp.Navigate(env.URL+"/partner/villagers"), chromedp.WaitVisible(css("main h1")))
			j.check("my villagers")
			j.do("open the new-PIN page", chromedp.Click(css(`a.tap-link[href$="/pin"]`)), chromedp.WaitVisible(css(`form[action$="/pin"] #pin`)))
			j.check("new PIN")
			j.do("back to the list", chromedp.Navigate(env.URL+"/partner/villagers"), chromedp.WaitVisible(css("main h1")))
			j.do("follow a dead link", chromedp.Evaluate[chromedp.Void](`location.href = "/shop/orders/99999"`))
			j.wait("the error page", `document.body.classList.contains("page-error")`)
			j.check("error page")
			if back := j.eval("read the back link", `(document.querySelector("main a.btn")||{}).getAttribute("href")`); back != "/partner/villagers" {
				t.Errorf("the error page's main button leads to %q, want back to /partner/villagers", back)
			}

			// A quiz passed: feedback aligned as text, next lesson the main button.
			l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
			j.do("open a lesson", chromedp.Navigate(env.URL+l.URL()), chromedp.WaitVisible(css("form.quiz")))
			for _, q := range l.In(lang).Quiz.Questions {
				for _, o := range q.Options {
					if o.Correct {
						text, _ := json.Marshal(plain(string(o.Text)))
						j.eval("answer "+q.ID, fmt.Sprintf(`(() => { const i = [...document.querySelectorAll("form.quiz input[name=%s]")].find(i => i.parentElement.textContent.trim() === %s); i.click(); return i.value })()`, q.ID, text))
					}
				}
			}
			j.do("submit the quiz", chromedp.Click(css(`form.quiz button[type=submit]`)))
			j.wait("the graded quiz", `document.querySelector("#result") !== null`)
			j.check("quiz passed")
			if align := j.eval("read the alignment", `[...document.querySelectorAll(".question")].map(q => getComputedStyle(q).textAlign).filter(a => a === "right").join()`); align != "" {
				t.Errorf("feedback questions are aligned right: %s", align)
			}
			if next := j.eval("read the main button", `[...document.querySelectorAll("#quiz a.btn")].map(a => a.textContent).join("|")`); !strings.Contains(next, map[string]string{"zh-CN": "下一课", "en": "Next lesson"}[lang]) || strings.Contains(next, map[string]string{"zh-CN": "再做一次", "en": "Try again"}[lang]) {
				t.Errorf("after a pass the main buttons are %q", next)
			}

			// A question of several answers left unanswered: the page names it, next to it.
			ml, mq := multipleQuestion(t, env)
			j.do("open a lesson with a question of several answers", chromedp.Navigate(env.URL+ml.URL()), chromedp.WaitVisible(css("form.quiz")))
			j.do("answer all but "+mq, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("form.quiz fieldset").forEach(f => { if (f.id !== "question-`+mq+`") f.querySelector("input").click() })`),
				chromedp.Click(css(`form.quiz button[type=submit]`)))
			j.wait("the unanswered question named", `!!document.querySelector("#question-`+mq+` .field-error")`)
			if got, want := j.eval("read it", `document.querySelector("#question-`+mq+` .field-error").textContent`), map[string]string{"zh-CN": "第 ", "en": "Question "}[lang]; !strings.HasPrefix(got, want) {
				t.Errorf("the unanswered question is told %q", got)
			}
			j.check("quiz unanswered")

			// A wrong PIN, on the sign-in page for villagers.
			j.do("sign out", chromedp.Click(css(`form[action="/logout"] button`)), chromedp.WaitVisible(css("#login")))
			j.do("a wrong PIN",
				chromedp.Navigate(env.URL+"/login/pin"),
				chromedp.SendKeys(css("#phone"), phone),
				chromedp.SendKeys(css("#pin"), "111222"),
				chromedp.Click(css(`form[action="/login/pin"] button[type=submit]`)),
				chromedp.WaitVisible(css("#phone-error")))
			j.must("the PIN error", map[string]string{"zh-CN": "还可以再试 4 次", "en": "Tries left for this phone number: 4"}[lang])
			j.check("wrong PIN")
		})
	}
}

// multipleQuestion finds a lesson open to a new partner (no prerequisites) with a question
// of several answers, which the browser cannot require.
func multipleQuestion(t *testing.T, env *apptest.Env) (*course.Lesson, string) {
	t.Helper()
	for _, co := range env.App.Courses.Catalog().Courses {
		for _, l := range co.LessonsFor(course.AudiencePartner) {
			if len(l.Prerequisites) > 0 {
				continue
			}
			for _, q := range l.In("zh-CN").Quiz.Questions {
				if q.Kind == course.Multiple {
					return l, q.ID
				}
			}
		}
	}
	t.Fatal("no lesson without prerequisites has a question of several answers")
	return nil, ""
}

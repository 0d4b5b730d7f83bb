package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"

	"cunlu/app/apptest"
)

// TestExamJourney: on a 360 px phone, in each language, the demo villager goes from the
// check-in page to the demo exam, types the exam code, answers the questions drawn for them
// and hands in; the partner opens the class page and the exam's results. Every page fits
// the screen and axe-core finds nothing serious on it.
func TestExamJourney(t *testing.T) {
	env := apptest.New(t) // one server: the villager's second language uses the exam's second attempt
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			v := newJourney(t, env.URL, lang)
			signIn(t, v.ctx, env.URL, "villager", "demo-villager-pass")
			v.chooseLanguage()
			v.do("open check-in", chromedp.Navigate(env.URL+"/attend"), chromedp.WaitVisible(css(`a[href="/exams"]`)))
			v.check("check-in")
			v.do("open exams", chromedp.Click(css(`a[href="/exams"]`)), chromedp.WaitVisible(css(`a[href="/exams/1"]`)))
			v.check("exams")
			v.do("open the exam", chromedp.Click(css(`a[href="/exams/1"]`)), chromedp.WaitVisible(css(`#proctor`)))
			v.check("exam before starting")
			v.do("start with the exam code",
				chromedp.SendKeys(css("#proctor"), "2468"),
				chromedp.Click(css(`form[action="/exams/1/start"] button[type=submit]`)),
				chromedp.WaitVisible(css(`form[action="/exams/1/submit"]`)),
			)
			v.check("exam questions")
			for _, q := range []string{"a0", "a1", "a2", "a3", "a4"} {
				v.do("answer "+q, chromedp.Click(css(`input[name="`+q+`"]`)))
			}
			v.do("hand in",
				chromedp.Click(css(`form[action="/exams/1/submit"] button[type=submit]`)),
				chromedp.WaitNotPresent(css(`form[action="/exams/1/submit"]`)),
			)
			v.check("exam handed in")

			p := newJourney(t, env.URL, lang)
			signIn(t, p.ctx, env.URL, "partner", "demo-partner-pass")
			p.chooseLanguage()
			p.do("open the class", chromedp.Navigate(env.URL+"/classes/1"), chromedp.WaitVisible(css(`a[href="/classes/1/exams/1"]`)))
			p.check("class with its exam")
			p.do("open the results", chromedp.Click(css(`a[href="/classes/1/exams/1"]`)), chromedp.WaitVisible(css(`#candidates`)))
			p.check("exam results")
		})
	}
}

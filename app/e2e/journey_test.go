package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Phone is the screen the journeys run on: a common low-cost Android phone.
const (
	phoneWidth  = 360
	phoneHeight = 740
)

// Languages are the interface languages every journey is walked in.
var Languages = []string{"zh-CN", "en"}

// journey drives one person through Cunlu in one language on a phone, and checks every
// page they reach: it is in their language, it fits the screen, and axe-core finds nothing
// serious or critical on it.
type journey struct {
	t    *testing.T
	ctx  context.Context
	base string
	lang string
	axe  string
	seen map[string]bool // pages already checked in this state, by path and label
}

func newJourney(t *testing.T, base, lang string) *journey {
	t.Helper()
	j := &journey{t: t, base: base, lang: lang, axe: axeScript(t), seen: map[string]bool{}}
	j.ctx = Browser(t, phoneWidth, phoneHeight)
	return j
}

// do performs steps, failing with the step's name.
func (j *journey) do(step string, steps ...chromedp.Action[chromedp.Void]) {
	j.t.Helper()
	do(j.t, j.ctx, step, steps...)
}

// text is the visible text of the page's main region.
func (j *journey) text() string {
	j.t.Helper()
	return get(j.t, j.ctx, "read the page", chromedp.Text(css("main")))
}

// eval evaluates JavaScript in the page.
func (j *journey) eval(step, js string) string {
	j.t.Helper()
	return get(j.t, j.ctx, step, chromedp.Evaluate[string](js))
}

// wait waits until the JavaScript condition holds on a fully loaded page.
func (j *journey) wait(what, condition string) {
	j.t.Helper()
	waitFor(j.t, j.ctx, what, condition)
}

// chooseLanguage presses the language button in the footer, as a person would.
func (j *journey) chooseLanguage() {
	j.t.Helper()
	if j.eval("read the language", `document.documentElement.lang`) == j.lang {
		return
	}
	j.do("choose "+j.lang, chromedp.Click(css(`form.lang button[value="`+j.lang+`"]`)))
	j.wait("the page in "+j.lang, `document.documentElement.lang === "`+j.lang+`"`)
}

// check checks the page now shown: language, width and accessibility. label names the
// state of the page (a quiz before and after grading are different pages on one URL).
func (j *journey) check(label string) {
	j.t.Helper()
	j.wait("the page "+label, `true`)
	path := j.eval("read the address", `location.pathname + location.search`)
	if lang := j.eval("read the language", `document.documentElement.lang`); lang != j.lang {
		j.t.Errorf("%s (%s): page language %q, want %q", label, path, lang, j.lang)
	}
	if w := get(j.t, j.ctx, "measure", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > phoneWidth {
		wide := j.eval("find what is too wide", `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 361 && ![...e.children].some(c => c.getBoundingClientRect().right > 361)).slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ").join(".") : "") + " " + Math.round(e.getBoundingClientRect().right) + "px").join(", ")`)
		j.t.Errorf("%s (%s): the page is %d px wide on a %d px screen: %s", label, path, w, phoneWidth, wide)
	}
	if j.seen[label+path] {
		return
	}
	j.seen[label+path] = true
	if !get(j.t, j.ctx, "find axe", chromedp.Evaluate[bool](`typeof axe === "object"`)) {
		if _, err := chromedp.Run(j.ctx, chromedp.Evaluate[bool](j.axe+"\n;true")); err != nil {
			j.t.Fatalf("load axe-core: %v", err)
		}
	}
	vs, err := chromedp.Run(j.ctx, chromedp.Evaluate[[]AxeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		j.t.Fatalf("%s (%s): axe-core: %v", label, path, err)
	}
	for _, v := range seriousOrWorse(vs) {
		j.t.Errorf("%s (%s) in %s: accessibility: %s", label, path, j.lang, v)
	}
}

// must fails the journey unless the page's main text contains every string.
func (j *journey) must(what string, texts ...string) {
	j.t.Helper()
	body := j.text()
	for _, s := range texts {
		if !strings.Contains(body, s) {
			j.t.Fatalf("%s: the page does not say %q:\n%s", what, s, body)
		}
	}
}

package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"cunlu/app/apptest"
)

// budget is what a page may transfer on a first visit, compressed, everything included
// (DESIGN.md: a lesson page ≤ 30 KB).
const budget = 30 * 1024

// TestPageWeight loads each main page on a clean cache and adds up what the browser's own
// network log says came over the network, headers included. Each must fit the budget; a
// second visit transfers only the page (304 when unchanged), everything else from cache.
func TestPageWeight(t *testing.T) {
	env := apptest.New(t)
	w := newWire(t, env.App.Handler())
	ctx := Browser(t, 360, 800)
	log := listenNetwork(t, ctx)

	// The very first visit on a fresh phone, service worker install included: counted
	// where the bytes leave the server, since the worker's downloads are not the page's.
	start := w.sent.Load()
	do(t, ctx, "first visit", chromedp.Navigate(w.URL+"/login"))
	waitServiceWorker(t, ctx)
	log.settle(t, 300*time.Millisecond)
	first := int(w.sent.Load() - start)
	t.Logf("first visit to the sign-in page, service worker install included: %d B on the wire (page alone %d B)", first, log.transferred())
	if first > budget {
		t.Errorf("first visit with the service worker: %d B, over the %d B budget", first, budget)
	}

	l := env.App.Courses.Catalog().Lesson("paying-safely", "trustworthy-payment-page") // the lesson with a picture
	type page struct{ name, path string }
	weigh := func(p page) int {
		t.Helper()
		cleanCache(t, ctx)
		log.reset()
		do(t, ctx, "open "+p.name, chromedp.Navigate(w.URL+p.path))
		log.settle(t, 300*time.Millisecond)
		n := log.transferred()
		t.Logf("%-22s %6d B  %s", p.name, n, p.path)
		if n > budget {
			t.Errorf("%s (%s) transfers %d B on a first visit, over the %d B budget:\n%s", p.name, p.path, n, budget, log.table())
		}
		return n
	}
	weigh(page{"sign-in", "/login"})
	signIn(t, ctx, w.URL, "villager", "demo-villager-pass")
	for _, p := range []page{
		{"home", "/"},
		{"catalogue", "/courses"},
		{"course", "/courses/paying-safely"},
		{"lesson", l.URL()},
		{"shop home", "/shop"},
		{"shop search", "/shop/search?q=" + url.QueryEscape("电饭煲")},
	} {
		weigh(p)
	}

	// Later visits: the stylesheet and scripts come from the cache, the page is checked
	// with the server, and being unchanged costs a 304.
	weigh(page{"lesson", l.URL()})
	img := get(t, ctx, "lesson image", chromedp.Evaluate[string](`(document.querySelector("#lesson-body img") || {}).outerHTML || ""`))
	if !strings.Contains(img, `loading="lazy"`) || !strings.Contains(img, `width="240"`) {
		t.Errorf("the lesson's image is not lazy and sized: %q", img)
	}
	for _, how := range []struct {
		name string
		act  chromedp.Action[chromedp.Void]
	}{
		{"second visit", chromedp.Navigate(w.URL + l.URL())},
		{"reload", chromedp.Reload()},
	} {
		log.reset()
		do(t, ctx, how.name, how.act)
		log.settle(t, 300*time.Millisecond)
		var doc *netReq
		for _, r := range log.requests() {
			if r.Type == network.ResourceTypeDocument {
				doc = &r
			} else if r.Bytes > 0 && !r.FromCache {
				t.Errorf("%s of the lesson downloaded %s again (%0.f B)", how.name, r.URL, r.Bytes)
			}
		}
		if doc == nil || doc.Status != 304 {
			t.Errorf("%s of an unchanged lesson: want the page answered 304 Not Modified:\n%s", how.name, log.table())
			continue
		}
		t.Logf("%-22s %6d B  (the page: %d, %0.f B)", "lesson, "+how.name, log.transferred(), doc.Status, doc.Bytes)
	}

	// The coordinator's overview, on the office PC or on mobile data.
	do(t, ctx, "sign out", chromedp.Click(css(`form[action="/logout"] button`)))
	waitFor(t, ctx, "signed out", `!document.querySelector('form[action="/logout"]')`)
	signIn(t, ctx, w.URL, "coordinator", "demo-coord-pass")
	weigh(page{"coordinator overview", "/coord"})
	weigh(page{"coordinator, data saver", "/coord?lite=1"})
}

// TestLessonOnSlow3G loads a lesson on a clean cache over an emulated slow 3G connection
// (400 kbit/s each way, 400 ms round trip) and reports when its text could be read: the
// first paint of the lesson's text, from the browser's paint timing. Target: 3 s.
func TestLessonOnSlow3G(t *testing.T) {
	env := apptest.New(t)
	ctx := Browser(t, 360, 800)
	signIn(t, ctx, env.URL, "villager", "demo-villager-pass")
	l := env.App.Courses.Catalog().Lesson("paying-safely", "trustworthy-payment-page")
	cleanCache(t, ctx)
	setNetwork(t, ctx, nil, false, 400, 400_000/8)
	began := time.Now()
	do(t, ctx, "open the lesson on slow 3G", chromedp.Navigate(env.URL+l.URL()))
	loaded := time.Since(began)
	setNetwork(t, ctx, nil, false, 0, -1)
	type timing struct {
		FCP, Text, LCP, DOMReady, Load float64
	}
	tm := get(t, ctx, "paint timing", chromedp.Evaluate[timing](`new Promise(done => {
		const text = [];
		let lcp = 0;
		new PerformanceObserver(list => {
			for (const e of list.getEntries()) {
				lcp = Math.max(lcp, e.startTime);
				if (e.element && e.element.closest("#lesson") && e.element.tagName !== "IMG") text.push(e.startTime);
			}
		}).observe({type: "largest-contentful-paint", buffered: true});
		setTimeout(() => {
			const nav = performance.getEntriesByType("navigation")[0];
			const fcp = performance.getEntriesByName("first-contentful-paint")[0];
			done({FCP: fcp ? fcp.startTime : 0, Text: text.length ? Math.min(...text) : 0, LCP: lcp,
				DOMReady: nav.domContentLoadedEventEnd, Load: nav.loadEventEnd});
		}, 200);
	})`, chromedp.EvalAwaitPromise))
	readable := tm.Text
	if readable == 0 {
		readable = tm.FCP // the whole page paints at once, the lesson text with it
	}
	t.Logf("lesson on slow 3G (400 kbit/s, 400 ms RTT), clean cache: readable text at %.0f ms (first paint %.0f ms, largest paint %.0f ms, DOM ready %.0f ms, loaded %.0f ms; %.0f ms as the test saw it)",
		readable, tm.FCP, tm.LCP, tm.DOMReady, tm.Load, float64(loaded.Milliseconds()))
	if readable <= 0 {
		t.Fatalf("no paint timing: %+v", tm)
	}
	if readable > 3000 {
		t.Errorf("lesson text readable after %.0f ms on slow 3G; target 3000 ms", readable)
	}
}

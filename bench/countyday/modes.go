package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DESIGN.md's budgets.
const (
	budgetRate        = 1000 // steps/s on one core
	budgetP95         = 100 * time.Millisecond
	budgetP99         = 300 * time.Millisecond
	budgetBurstP95    = 150 * time.Millisecond
	budgetPINP95      = time.Second
	budgetCheckoutP95 = 20 * time.Millisecond
	budgetCoordP95    = 100 * time.Millisecond
)

func (b *bench) warmup(rate float64, dur time.Duration) {
	if dur <= 0 {
		return
	}
	rec := b.runOpen(rate, dur, 10*time.Second, b.seed+1000)
	s := rec.total(nil)
	fmt.Fprintf(b.out, "warm-up: %d steps at %.0f/s, p95 %s, %d errors, %d 503s\n", s.steps, rate, ms(s.p95), s.errors, s.e503)
}

// openReport prints a run of the mix and says whether the generator kept to its schedule:
// more than 1 % of steps dispatched over 10 ms late means it did not (such lateness is
// in the latencies, which run from when each step was due: it makes them worse, never
// better, so a run that meets its budget still counts).
func (b *bench) openReport(title string, rec *recorder, rate float64, dur time.Duration) (summary, bool) {
	fmt.Fprintf(b.out, "\n== %s\n", title)
	rec.table(b.out)
	s := rec.total(nil)
	took := rec.finished.Sub(rec.started).Seconds()
	lag99, lagMax, late := rec.lagSummary()
	planned := int(rate * dur.Seconds())
	tail := took - float64(planned-1)/rate
	fmt.Fprintf(b.out, "planned %d steps at %.0f/s over %s; %d ended, the last %.2f s after the last was due: %.0f steps/s and %.0f HTTP requests/s served over %.1f s\n",
		planned, rate, dur, s.steps, tail, float64(s.steps)/took, float64(s.requests)/took, took)
	behind := generatorBehind(rec, planned)
	fmt.Fprintf(b.out, "scheduler: dispatch lag p99 %s, max %s, %d steps dispatched over 10 ms late%s\n",
		ms(lag99), ms(lagMax), late, map[bool]string{true: ": THE GENERATOR FELL BEHIND (its lateness is in the latencies above)", false: ""}[behind])
	fmt.Fprint(b.out, rec.machine)
	return s, behind
}

func generatorBehind(rec *recorder, planned int) bool {
	_, _, late := rec.lagSummary()
	return late*100 > planned
}

func (b *bench) mixRun(rate float64, dur, grace time.Duration) {
	rec := b.runOpen(rate, dur, grace, b.seed)
	s, behind := b.openReport(fmt.Sprintf("county-day mix at %.0f steps/s for %s (%s)", rate, dur, b.label), rec, rate, dur)
	note := ""
	if behind {
		note = " (the generator fell behind)"
	}
	budget(b.out, fmt.Sprintf("county-day mix at %.0f steps/s, %s", rate, b.label),
		fmt.Sprintf("p95 %s, p99 %s, %d errors (%d of them 500), %d 503s%s", ms(s.p95), ms(s.p99), s.errors, s.e500, s.e503, note),
		"≥ 1,000 steps/s with p95 ≤ 100 ms, p99 ≤ 300 ms, zero errors",
		rate >= budgetRate && s.p95 <= budgetP95 && s.p99 <= budgetP99 && s.errors+s.e503 == 0)
	b.memoryBudget()
}

// search finds the highest rate at which the mix meets p95, p99 and no errors: rates rise
// by half until a trial fails, then the gap is halved until it is under 5 %, within
// maxTrials trials of trialDur each.
func (b *bench) search(start, maxRate float64, maxTrials int, trialDur, grace, p95, p99 time.Duration) {
	type trial struct {
		rate   float64
		s      summary
		behind bool
		ok     bool
		rec    *recorder
	}
	var done []trial
	var best, firstFail *trial
	pass, fail := 0.0, 0.0
	rate := start
	for i := 0; i < maxTrials && rate <= maxRate && rate >= 1; i++ {
		rec := b.runOpen(rate, trialDur, grace, b.seed+uint64(i)+1)
		s := rec.total(nil)
		t := trial{rate: rate, s: s, behind: generatorBehind(rec, int(rate*trialDur.Seconds())), rec: rec}
		t.ok = s.p95 <= p95 && s.p99 <= p99 && s.errors+s.e503 == 0
		done = append(done, t)
		verdict := "meets"
		if !t.ok {
			verdict = "fails"
		}
		if t.behind {
			verdict += " (the generator fell behind: more than 1 % of steps sent over 10 ms late)"
		}
		fmt.Fprintf(b.out, "trial %d: %5.0f steps/s: p50 %s, p95 %s, p99 %s, %d errors (%d 500s), %d 503s: %s\n",
			i+1, rate, ms(s.p50), ms(s.p95), ms(s.p99), s.errors, s.e500, s.e503, verdict)
		if t.ok {
			pass = rate
			best = &done[len(done)-1]
		} else {
			fail = rate
			if firstFail == nil || rate < firstFail.rate {
				firstFail = &done[len(done)-1]
			}
		}
		switch {
		case fail == 0:
			rate *= 1.5
		case pass == 0:
			rate /= 2
		case (fail-pass)/pass < 0.05:
			rate = 0 // close enough
		default:
			rate = (pass + fail) / 2
		}
		// Let the server settle (finish its queue, checkpoint) before the next trial.
		time.Sleep(3 * time.Second)
	}
	if best != nil {
		b.openReport(fmt.Sprintf("the highest rate that met p95 ≤ %s, p99 ≤ %s, no errors: %.0f steps/s (%s)", ms(p95), ms(p99), best.rate, b.label), best.rec, best.rate, trialDur)
	}
	if firstFail != nil {
		b.openReport(fmt.Sprintf("beyond it: the lowest failing rate, %.0f steps/s (%s)", firstFail.rate, b.label), firstFail.rec, firstFail.rate, trialDur)
	}
	sustained := 0.0
	if best != nil {
		sustained = best.rate
	}
	limit := ""
	if firstFail == nil {
		limit = " (no trial failed: higher rates were not tried)"
	}
	if firstFail != nil && firstFail.behind {
		limit = " (the generator fell behind in the failing trial: the server may do more)"
	}
	budget(b.out, "highest county-day rate one core sustains, "+b.label, fmt.Sprintf("%.0f steps/s%s", sustained, limit), "≥ 1,000 steps/s", sustained >= budgetRate)
	if firstFail != nil {
		s := firstFail.s
		budget(b.out, fmt.Sprintf("beyond capacity (%.0f steps/s), %s", firstFail.rate, b.label),
			fmt.Sprintf("%d 503s (%d without Retry-After), %d 500s, %d other errors, p99 %s", s.e503, s.e503NoRetry, s.e500, s.errors-s.e500, ms(s.p99)),
			"load shed with 503 + Retry-After, never a 500",
			s.e503 > 0 && s.e503NoRetry == 0 && s.errors == 0)
	}
	b.memoryBudget()
}

func (b *bench) memoryBudget() {
	if peak, ok := b.sampler.peakMB(); ok {
		budget(b.out, "server memory under load, "+b.label, fmt.Sprintf("peak RSS %.1f MB", peak), "≤ 100 MB", peak <= 100)
	}
}

// burst is the classroom: burstSize (40) villagers sign in with phone and PIN, arriving evenly over
// 5 s, each from the sign-in page already open on the screen; then the same 40 submit one
// quiz, arriving evenly over one second, and each checks out straight after (the checkout
// page, then the order), with one item put in the cart beforehand.
func (b *bench) burst(ctx context.Context, first, burstSize int) error {
	var learners []*user
	for i := 0; i < burstSize; i++ {
		n := first + i
		u := b.newUserN(i, n, fmt.Sprintf("lv%05d", n), "villager")
		u.aud = b.auds["villager"]
		learners = append(learners, u)
	}
	// 1. PIN sign-ins.
	rec := newRecorder()
	forms := make([]*form, len(learners))
	for i, u := range learners {
		s := &step{ctx: ctx, u: u, rec: rec, o: outcome{kind: "pin-page (opened before)"}}
		start := time.Now()
		body := s.page("/login/pin")
		if forms[i] = findForm(body, "/login/pin"); forms[i] == nil {
			s.fail(200, false, "no PIN form")
		}
		rec.add(s.o, time.Since(start))
	}
	window := 5 * time.Second
	t0 := time.Now().Add(20 * time.Millisecond)
	last := b.together(learners, func(i int, u *user) {
		due := t0.Add(time.Duration(i) * window / time.Duration(burstSize))
		sleepUntil(ctx, due)
		s := &step{ctx: ctx, u: u, rec: rec, o: outcome{kind: "pin-signin"}}
		if forms[i] == nil {
			s.fail(0, false, "no PIN form")
		} else if body := s.submit(forms[i], forms[i].values("phone", phoneOf(u.n), "pin", b.pin), "/"); !s.failed() && !signedIn(body) {
			s.fail(200, false, "not signed in after the PIN")
		}
		rec.add(s.o, time.Since(due))
	})
	fmt.Fprintf(b.out, "\n== %d villagers sign in with phone and PIN, arriving over %s (%s)\n", burstSize, window, b.label)
	rec.table(b.out)
	s := rec.total(func(k string) bool { return k == "pin-signin" })
	fmt.Fprintf(b.out, "the last sign-in ended %.2f s after the first was due\n", last.Sub(t0).Seconds())
	budget(b.out, fmt.Sprintf("%d PIN sign-ins within 5 s, %s", burstSize, b.label), fmt.Sprintf("%d of %d signed in, p95 %s", s.steps-s.errors-s.e503, burstSize, ms(s.p95)),
		"all signed in, p95 ≤ 1 s", s.errors+s.e503 == 0 && s.steps == burstSize && s.p95 <= budgetPINP95)

	// 2. The classroom. Before it: the lesson open on each screen, one item in each cart.
	lesson := b.auds["villager"].lessons[0]
	quizzes := make([]*form, len(learners))
	answers := make([]map[string][]string, len(learners))
	prep := newRecorder()
	b.together(learners, func(i int, u *user) {
		s := &step{ctx: ctx, u: u, rec: prep, o: outcome{kind: "preparation"}}
		body := s.page(lesson)
		f, qs := quizOf(body, b.key)
		if f == nil {
			s.fail(200, false, "the quiz of %s cannot be submitted", lesson)
		} else {
			quizzes[i], answers[i] = f, answer(u.r, f, qs)
		}
		for _, p := range b.pickup {
			if s.failed() {
				break
			}
			if f := findForm(s.page("/shop/products/"+p), "/shop/cart"); f != nil {
				s.submit(f, f.values("qty", "1"), "/shop/cart")
				break
			}
		}
		prep.add(s.o, 0)
	})
	if p := prep.total(nil); p.errors+p.e503 > 0 {
		prep.table(b.out)
		return fmt.Errorf("classroom preparation failed")
	}
	rec = newRecorder()
	t0 = time.Now().Add(20 * time.Millisecond)
	window = time.Second
	var mu sync.Mutex
	acked := map[string]int{}
	last = b.together(learners, func(i int, u *user) {
		due := t0.Add(time.Duration(i) * window / time.Duration(burstSize))
		sleepUntil(ctx, due)
		s := &step{ctx: ctx, u: u, rec: rec, o: outcome{kind: "classroom quiz-submit"}}
		s.submit(quizzes[i], answers[i], lesson+"?attempt=")
		rec.add(s.o, time.Since(due))
		if s.failed() {
			return
		}
		mu.Lock()
		acked["quiz"]++
		mu.Unlock()
		start := time.Now()
		s = &step{ctx: ctx, u: u, rec: rec, o: outcome{kind: "classroom checkout-form"}}
		f := checkoutPage(s)
		rec.add(s.o, time.Since(start))
		if s.failed() {
			return
		}
		start = time.Now()
		s = &step{ctx: ctx, u: u, rec: rec, o: outcome{kind: "classroom checkout"}}
		placeOrder(s, f)
		rec.add(s.o, time.Since(start))
		if !s.failed() {
			mu.Lock()
			acked["order"]++
			mu.Unlock()
		}
	})
	fmt.Fprintf(b.out, "\n== classroom: %d learners submit one quiz within %s, then check out (%s)\n", burstSize, window, b.label)
	rec.table(b.out)
	s = rec.total(nil)
	fmt.Fprintf(b.out, "acknowledged: %d of %d quiz answers, %d of %d orders; the last step ended %.2f s after the first was due\n",
		acked["quiz"], burstSize, acked["order"], burstSize, last.Sub(t0).Seconds())
	budget(b.out, fmt.Sprintf("classroom burst (%d quizzes then checkouts within a second), %s", burstSize, b.label),
		fmt.Sprintf("%d/%d quizzes and %d/%d orders acknowledged, p95 %s", acked["quiz"], burstSize, acked["order"], burstSize, ms(s.p95)),
		"all acknowledged, p95 ≤ 150 ms", acked["quiz"] == burstSize && acked["order"] == burstSize && s.p95 <= budgetBurstP95)
	return nil
}

// phoneOf is the phone number loadgen gives villager n (demo.LoadPhone).
func phoneOf(n int) string { return fmt.Sprintf("151%08d", n-1) }

// together runs f for each user at once and returns when the last one ended.
func (b *bench) together(users []*user, f func(i int, u *user)) time.Time {
	b.sampler.begin()
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i, u)
		}()
	}
	wg.Wait()
	b.sampler.end()
	return time.Now()
}

// checkouts measures checkout at low load: each shopper in turn, one step at a time with a
// pause between purchases, puts a product in the cart, opens the checkout page and places
// the order, samples times.
func (b *bench) checkouts(ctx context.Context, logins []string, samples int) error {
	var shoppers []*user
	for i, l := range logins {
		u := b.newUserN(i, i, l, "villager")
		shoppers = append(shoppers, u)
	}
	if err := b.signInAll(ctx, shoppers); err != nil {
		return err
	}
	orders := map[string]int{}
	for _, u := range shoppers {
		res, err := u.do(ctx, http.MethodGet, "/shop/orders", nil)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, m := range reOrderLink.FindAllStringSubmatch(res.body, -1) {
			seen[m[1]] = true
		}
		orders[u.login] = len(seen)
	}
	rec := newRecorder()
	b.sampler.begin()
	for k := 0; k < samples; k++ {
		for _, u := range shoppers {
			name := fmt.Sprintf("[%s, %d+ past orders]", u.login, orders[u.login])
			var cart *form
			for j := range b.pickup {
				p := b.pickup[(k+j)%len(b.pickup)]
				res, err := u.do(ctx, http.MethodGet, "/shop/products/"+p, nil)
				if err != nil {
					return err
				}
				if cart = findForm(res.body, "/shop/cart"); cart != nil {
					break
				}
			}
			if cart == nil {
				return fmt.Errorf("%s: every pickup product is sold out", u.login)
			}
			timed := func(kind string, f func(s *step)) {
				s := &step{ctx: ctx, u: u, rec: rec, o: outcome{kind: kind + " " + name}}
				start := time.Now()
				f(s)
				rec.add(s.o, time.Since(start))
				time.Sleep(100 * time.Millisecond)
			}
			var f *form
			timed("cart-add", func(s *step) { s.submit(cart, cart.values("qty", "1"), "/shop/cart") })
			timed("checkout-form", func(s *step) { f = checkoutPage(s) })
			timed("checkout", func(s *step) { placeOrder(s, f) })
		}
	}
	b.sampler.end()
	fmt.Fprintf(b.out, "\n== checkout at low load: one learner at a time, %d purchases each (%s)\n", samples, b.label)
	rec.table(b.out)
	b.sampler.report(b.out)
	for _, u := range shoppers {
		name := fmt.Sprintf("checkout [%s, %d+ past orders]", u.login, orders[u.login])
		s := rec.total(func(k string) bool { return k == name })
		budget(b.out, fmt.Sprintf("checkout at low load, %s with %d past order(s) at the start, %s", u.login, orders[u.login], b.label),
			fmt.Sprintf("p95 %s over %d, %d errors", ms(s.p95), s.steps, s.errors+s.e503), "p95 ≤ 20 ms", s.p95 <= budgetCheckoutP95 && s.errors+s.e503 == 0)
	}
	return nil
}

// coordRun has the coordinators, all at once and each without pause (closed loop), go
// round the county: the overview, a township, a village in it, one of its partners, then
// the difficult questions, the alerts and the partner matrix of the county.
func (b *bench) coordRun(ctx context.Context, dur time.Duration) {
	var coords []*user
	for _, u := range b.users {
		if u.role == "coordinator" {
			coords = append(coords, u)
		}
	}
	rec := newRecorder()
	end := time.Now().Add(dur)
	b.together(coords, func(i int, u *user) {
		visit := func(kind, path string) string {
			s := &step{ctx: ctx, u: u, rec: rec, o: outcome{kind: kind}}
			start := time.Now()
			body := s.page(path)
			rec.add(s.o, time.Since(start))
			return body
		}
		for time.Now().Before(end) {
			path := "/coord"
			for _, kind := range []string{"coord-overview", "coord-township", "coord-village"} {
				body := visit(kind, path)
				u.seePartners(body)
				kids := reRegion.FindAllStringSubmatch(body, -1)
				if len(kids) == 0 {
					break
				}
				path = "/coord?region=" + kids[u.r.IntN(len(kids))][1]
			}
			if len(u.people) > 0 {
				visit("coord-partner", "/coord/partners/"+u.people[u.r.IntN(len(u.people))])
			}
			visit("coord-questions", "/coord/questions")
			visit("coord-alerts", "/coord/alerts")
			visit("coord-matrix", "/coord/matrix")
		}
	})
	fmt.Fprintf(b.out, "\n== %d coordinators at once, each without pause, for %s (%s)\n", len(coords), dur, b.label)
	rec.table(b.out)
	b.sampler.report(b.out)
	drill := func(k string) bool {
		return k == "coord-overview" || k == "coord-township" || k == "coord-village" || k == "coord-partner"
	}
	s := rec.total(drill)
	budget(b.out, fmt.Sprintf("coordinator overview and drill-downs, %d coordinators at once, %s", len(coords), b.label),
		fmt.Sprintf("p95 %s over %d pages, %d errors", ms(s.p95), s.steps, s.errors+s.e503), "p95 ≤ 100 ms", s.p95 <= budgetCoordP95 && s.errors+s.e503 == 0)
	all := rec.total(func(k string) bool { return strings.HasPrefix(k, "coord-") })
	fmt.Fprintf(b.out, "all coordinator pages together (with questions, alerts, matrix): p95 %s\n", ms(all.p95))
}

package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// outcome is how one step ended.
type outcome struct {
	kind       string
	fail       string // "" when the server acknowledged the step as a browser expects
	code       int    // the status that failed it, if any
	retryAfter bool   // a 503 with Retry-After
	requests   int
}

// kindStats is what was recorded for one kind of step.
type kindStats struct {
	lat          []time.Duration // from when the step was due to its last byte
	errors       int             // failures other than 503 (timeouts, 4xx, 500s…)
	e500         int             // of those, 500 Internal Server Error
	e503         int             // 503 Service Unavailable: load shed, counted apart
	e503NoRetry  int             // 503s without Retry-After
	causes       map[string]int
	requestCount int
}

// recorder collects the steps of one run.
type recorder struct {
	mu       sync.Mutex
	kinds    map[string]*kindStats
	parts    map[string][]time.Duration // each request of a POST step on its own
	lag      []time.Duration            // how late the scheduler dispatched each step
	notes    map[string]int             // things worth saying that are not errors
	started  time.Time
	finished time.Time
	machine  string // the servers' memory and CPU, and the generator's CPU, over the run
}

func newRecorder() *recorder {
	return &recorder{kinds: map[string]*kindStats{}, parts: map[string][]time.Duration{}, notes: map[string]int{}}
}

func (r *recorder) add(o outcome, lat time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.kinds[o.kind]
	if k == nil {
		k = &kindStats{causes: map[string]int{}}
		r.kinds[o.kind] = k
	}
	k.requestCount += o.requests
	if lat >= 0 {
		k.lat = append(k.lat, lat)
	}
	switch {
	case o.fail == "":
	case o.code == 503:
		k.e503++
		if !o.retryAfter {
			k.e503NoRetry++
		}
	default:
		k.errors++
		if o.code == 500 {
			k.e500++
		}
		k.causes[o.fail]++
	}
}

func (r *recorder) part(name string, d time.Duration) {
	r.mu.Lock()
	r.parts[name] = append(r.parts[name], d)
	r.mu.Unlock()
}

func (r *recorder) note(what string) {
	r.mu.Lock()
	r.notes[what]++
	r.mu.Unlock()
}

// pct is the nearest-rank percentile of sorted durations.
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// summary is the totals of a run, or of some kinds of it.
type summary struct {
	steps, requests      int
	errors, e500, e503   int
	e503NoRetry          int
	p50, p95, p99, worst time.Duration
}

// total sums the kinds that match (all when match is nil).
func (r *recorder) total(match func(kind string) bool) summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s summary
	var all []time.Duration
	for name, k := range r.kinds {
		if match != nil && !match(name) {
			continue
		}
		s.steps += len(k.lat)
		s.requests += k.requestCount
		s.errors += k.errors
		s.e500 += k.e500
		s.e503 += k.e503
		s.e503NoRetry += k.e503NoRetry
		all = append(all, k.lat...)
	}
	slices.Sort(all)
	s.p50, s.p95, s.p99 = pct(all, 0.50), pct(all, 0.95), pct(all, 0.99)
	if len(all) > 0 {
		s.worst = all[len(all)-1]
	}
	return s
}

func ms(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.0f ms", float64(d)/1e6)
}

// table prints one row per kind of step, slowest p95 first, then the total.
func (r *recorder) table(w io.Writer) {
	r.mu.Lock()
	names := make([]string, 0, len(r.kinds))
	p95 := map[string]time.Duration{}
	for name, k := range r.kinds {
		names = append(names, name)
		slices.Sort(k.lat)
		p95[name] = pct(k.lat, 0.95)
	}
	r.mu.Unlock()
	sort.Slice(names, func(i, j int) bool { return p95[names[i]] > p95[names[j]] })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tcount\tp50\tp95\tp99\tmax\terrors\t500s\t503s\t")
	row := func(name string, s summary) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t\n", name, s.steps, ms(s.p50), ms(s.p95), ms(s.p99), ms(s.worst), s.errors, s.e500, s.e503)
	}
	for _, name := range names {
		row(name, r.total(func(k string) bool { return k == name }))
	}
	row("all steps", r.total(nil))
	tw.Flush()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, name := range names {
		k := r.kinds[name]
		if len(k.causes) == 0 && k.e503NoRetry == 0 {
			continue
		}
		var cs []string
		for c, n := range k.causes {
			cs = append(cs, fmt.Sprintf("%s ×%d", c, n))
		}
		if k.e503NoRetry > 0 {
			cs = append(cs, fmt.Sprintf("503 without Retry-After ×%d", k.e503NoRetry))
		}
		slices.Sort(cs)
		fmt.Fprintf(w, "  %s: %s\n", name, strings.Join(cs, "; "))
	}
	if len(r.parts) > 0 {
		var ps []string
		for name := range r.parts {
			ps = append(ps, name)
		}
		slices.Sort(ps)
		fmt.Fprint(w, "  the requests of form steps on their own (p50 / p95 / p99):")
		for _, name := range ps {
			d := r.parts[name]
			slices.Sort(d)
			fmt.Fprintf(w, "\n    %-34s %s / %s / %s (%d)", name, ms(pct(d, .5)), ms(pct(d, .95)), ms(pct(d, .99)), len(d))
		}
		fmt.Fprintln(w)
	}
	if len(r.notes) > 0 {
		var ns []string
		for n, c := range r.notes {
			ns = append(ns, fmt.Sprintf("%s: %d", n, c))
		}
		slices.Sort(ns)
		fmt.Fprintf(w, "  notes: %s\n", strings.Join(ns, "; "))
	}
}

// lagSummary says how late the scheduler itself was in dispatching steps.
func (r *recorder) lagSummary() (p99, worst time.Duration, late int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := slices.Clone(r.lag)
	slices.Sort(l)
	for _, d := range l {
		if d > 10*time.Millisecond {
			late++
		}
	}
	if len(l) > 0 {
		worst = l[len(l)-1]
	}
	return pct(l, 0.99), worst, late
}

// budget prints one line the script collects into its summary.
func budget(w io.Writer, name, measured, limit string, met bool) {
	verdict := "NOT MET"
	if met {
		verdict = "met"
	}
	fmt.Fprintf(w, "BUDGET | %s | %s | budget %s | %s\n", name, measured, limit, verdict)
}

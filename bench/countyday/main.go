// Command countyday is Cunlu's county-day benchmark: virtual villagers, partners and
// coordinators, signed in as browsers are, drive an open-loop mix of steps at a fixed
// arrival rate (DESIGN.md's county training day) against one or two Cunlu servers on
// loopback, and it reports p50, p95, p99, errors, 500s and 503s per kind of step, with a
// line per budget. bench/countyday.sh runs it; bench/COUNTYDAY.md explains the figures.
//
// Modes (-mode):
//
//	mix       warm-up, then the mix at -rate steps/s for -duration
//	search    warm-up, then trials at rising rates, then bisection: the highest rate that
//	          meets p95 ≤ -p95, p99 ≤ -p99 with no errors
//	burst     40 villagers sign in with phone and PIN within 5 s, then, as a classroom, the
//	          same 40 submit one quiz and check out within one second
//	checkout  checkouts at low load by learners with few and with many past orders
//	coord     coordinators at once (closed loop) on the overview and its drill-downs
//	startup   waits for /healthz and prints the time since -since (the server's start)
//	freeport  prints a free TCP port on 127.0.0.1, for the script
//
// It talks only to loopback addresses, and every run is bounded in time and stops by itself.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

type bench struct {
	out         io.Writer
	label       string
	bases       []string
	tr          *http.Transport
	mix         []mixEntry
	pools       *pools
	maxInFlight int
	sampler     *sampler
	key         answerKey // the quizzes' right answers, for learners who studied
	sess        *sessions
	seed        uint64
	password    string
	pin         string

	auds     map[string]*audience
	products []string // product ids the shop lists
	pickup   []string // those that can be picked up at a centre
	users    []*user
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("countyday", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mode := fs.String("mode", "mix", "mix, search, burst, checkout, coord, startup or freeport")
	bases := fs.String("base", "http://127.0.0.1:8080", "the servers' base URLs, comma-separated (loopback only); users are spread over them")
	pids := fs.String("pids", "", "the servers' process ids, comma-separated: their memory (VmRSS) and CPU are sampled")
	label := fs.String("label", "SQLite", "what this run measures (printed with each budget)")
	villagers := fs.Int("villagers", 40, "virtual villagers in the mix")
	villagerFirst := fs.Int("villager-first", 43, "the first of them: lv00043 (lv00001–lv00042 are kept for checkout and the bursts)")
	partners := fs.Int("partners", 20, "virtual partners in the mix (they learn too, and look after their villagers)")
	partnerFirst := fs.Int("partner-first", 1, "the first of them: lp00001")
	coords := fs.Int("coordinators", 1, "virtual coordinators (each its own session of loadcoord)")
	password := fs.String("password", "load-test-pass", "the generated accounts' password")
	pin := fs.String("pin", "260418", "the generated villagers' PIN (demo.LoadPIN)")
	sessFile := fs.String("sessions", "", "file to keep signed-in sessions in between runs")
	rate := fs.Float64("rate", 200, "mix: steps per second")
	dur := fs.Duration("duration", 15*time.Second, "mix and coord: how long to measure")
	warm := fs.Duration("warmup", 5*time.Second, "mix and search: warm-up before measuring")
	warmRate := fs.Float64("warmup-rate", 50, "mix and search: the warm-up's steps per second")
	grace := fs.Duration("grace", 10*time.Second, "how long steps still under way at the end may take before they count as timeouts")
	maxInFlight := fs.Int("max-inflight", 2000, "the most steps under way at once; a step due beyond it is not sent and counts as an error")
	startRate := fs.Float64("start-rate", 100, "search: the first trial's rate")
	maxRate := fs.Float64("max-rate", 5000, "search: the highest rate tried")
	trials := fs.Int("max-trials", 10, "search: the most trials")
	trialDur := fs.Duration("trial", 15*time.Second, "search: each trial's length")
	p95 := fs.Duration("p95", 100*time.Millisecond, "search: the p95 a trial must meet")
	p99 := fs.Duration("p99", 300*time.Millisecond, "search: the p99 a trial must meet")
	burstFirst := fs.Int("burst-first", 3, "burst: the first of the villagers (lv00003)")
	burstSize := fs.Int("burst-size", 40, "burst: how many villagers sign in, then take the quiz and check out")
	shoppers := fs.String("shoppers", "lv00001,lv00002", "checkout: the learners who check out (loadgen: 1 and 2,000 past orders)")
	samples := fs.Int("samples", 40, "checkout: checkouts per learner")
	since := fs.Int64("since", 0, "startup: when the server was started, in Unix nanoseconds")
	seed := fs.Uint64("seed", 1, "seed of every random choice (runs are repeatable)")
	courses := fs.String("courses", "courses", "the courses directory: learners who studied (6 in 10) give its right answers")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	b := &bench{out: stdout, label: *label, maxInFlight: *maxInFlight, seed: *seed, password: *password, pin: *pin, sess: loadSessions(*sessFile)}
	for _, s := range strings.Split(*bases, ",") {
		u, err := url.Parse(strings.TrimRight(s, "/"))
		if err != nil || u.Scheme != "http" || !loopback(u.Hostname()) {
			fmt.Fprintf(stderr, "countyday: -base %q: only http:// on a loopback address\n", s)
			return 2
		}
		b.bases = append(b.bases, u.String())
	}
	var err error
	if *mode == "startup" || *mode == "freeport" {
		// These take no quiz.
	} else if b.key, err = loadAnswerKey(*courses); err != nil {
		fmt.Fprintln(stderr, "countyday: -courses:", err)
		return 2
	}
	if b.sampler, err = newSampler(*pids); err != nil {
		fmt.Fprintln(stderr, "countyday:", err)
		return 2
	}
	b.tr = &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: 90 * time.Second,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	// Every part ends by itself well before this; it bounds a server that stops answering.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	switch *mode {
	case "startup":
		return b.startup(*since)
	case "freeport":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(stderr, "countyday:", err)
			return 1
		}
		fmt.Fprintln(stdout, l.Addr().(*net.TCPAddr).Port)
		l.Close()
		return 0
	case "mix", "search":
		if err = b.setup(ctx, *villagers, *villagerFirst, *partners, *partnerFirst, *coords); err != nil {
			break
		}
		b.warmup(*warmRate, *warm)
		if *mode == "mix" {
			b.mixRun(*rate, *dur, *grace)
		} else {
			b.search(*startRate, *maxRate, *trials, *trialDur, *grace, *p95, *p99)
		}
	case "burst":
		if err = b.setup(ctx, 1, *villagerFirst, 0, 0, 0); err != nil {
			break
		}
		err = b.burst(ctx, *burstFirst, *burstSize)
	case "checkout":
		if err = b.setup(ctx, 1, *villagerFirst, 0, 0, 0); err != nil {
			break
		}
		err = b.checkouts(ctx, strings.Split(*shoppers, ","), *samples)
	case "coord":
		if err = b.setup(ctx, 0, 0, 0, 0, *coords); err != nil {
			break
		}
		b.coordRun(ctx, *dur)
	default:
		fmt.Fprintf(stderr, "countyday: unknown -mode %q\n", *mode)
		return 2
	}
	if serr := b.sess.save(); serr != nil && err == nil {
		err = serr
	}
	if err != nil {
		fmt.Fprintln(stderr, "countyday:", err)
		return 1
	}
	return 0
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newUserN makes virtual user number n of the run, on one of the servers in turn.
func (b *bench) newUserN(i, n int, login, role string) *user {
	u := newUser(n, login, role, b.bases[i%len(b.bases)], b.tr, b.seed)
	u.b = b
	return u
}

// setup signs in the mix's users (reusing saved sessions), learns the courses each kind of
// learner sees and the shop's products, and puts the users in their pools.
func (b *bench) setup(ctx context.Context, villagers, villagerFirst, partners, partnerFirst, coords int) error {
	start := time.Now()
	for i := 0; i < villagers; i++ {
		n := villagerFirst + i
		b.users = append(b.users, b.newUserN(len(b.users), n, fmt.Sprintf("lv%05d", n), "villager"))
	}
	for i := 0; i < partners; i++ {
		n := partnerFirst + i
		b.users = append(b.users, b.newUserN(len(b.users), n, fmt.Sprintf("lp%05d", n), "partner"))
	}
	for i := 0; i < coords; i++ {
		b.users = append(b.users, b.newUserN(len(b.users), i+1, "loadcoord", "coordinator"))
	}
	if err := b.signInAll(ctx, b.users); err != nil {
		return err
	}
	b.auds = map[string]*audience{}
	b.pools = newPools(b.seed)
	for _, u := range b.users {
		if u.role == "coordinator" {
			b.pools.add("coord", u)
			continue
		}
		a, err := b.audienceOf(ctx, u)
		if err != nil {
			return err
		}
		u.aud = a
		u.lesson = a.lessons[u.r.IntN(min(3, len(a.lessons)))]
		b.pools.add("learner", u)
		if u.role == "partner" {
			b.pools.add("partner", u)
		}
	}
	if err := b.findProducts(ctx); err != nil {
		return err
	}
	b.mix = countyDayMix()
	fmt.Fprintf(b.out, "set-up: %d villagers, %d partners, %d coordinators signed in on %s in %.1f s; %d products (%d for pickup)\n",
		villagers, partners, coords, strings.Join(b.bases, " and "), time.Since(start).Seconds(), len(b.products), len(b.pickup))
	return nil
}

// signInAll signs users in four at a time: every sign-in attempt is counted against the
// client's address until it succeeds, and the app allows 100 at once per address.
func (b *bench) signInAll(ctx context.Context, users []*user) error {
	sem := make(chan struct{}, 4)
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			u.cacheKey = fmt.Sprintf("%s#%d", u.login, u.n)
			if err := b.sess.ensureSignedIn(ctx, u, b.password); err != nil {
				mu.Lock()
				first = cmp.Or(first, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// audienceOf reads the catalogue and course pages as this kind of learner sees them (once
// per kind).
func (b *bench) audienceOf(ctx context.Context, u *user) (*audience, error) {
	if a := b.auds[u.role]; a != nil {
		return a, nil
	}
	get := func(path string) (string, error) {
		res, err := u.do(ctx, http.MethodGet, path, nil)
		if err != nil {
			return "", err
		}
		if res.code != http.StatusOK {
			return "", fmt.Errorf("GET %s as %s: %d", path, u.login, res.code)
		}
		return res.body, nil
	}
	cat, err := get("/courses")
	if err != nil {
		return nil, err
	}
	a := &audience{}
	for _, m := range reCourseLink.FindAllStringSubmatch(cat, -1) {
		if !slices.Contains(a.courses, m[1]) {
			a.courses = append(a.courses, m[1])
		}
	}
	for _, c := range a.courses {
		page, err := get(c)
		if err != nil {
			return nil, err
		}
		for _, m := range reLessonLink.FindAllStringSubmatch(page, -1) {
			if strings.HasPrefix(m[1], c+"/") && !slices.Contains(a.lessons, m[1]) {
				a.lessons = append(a.lessons, m[1])
			}
		}
	}
	if len(a.lessons) == 0 {
		return nil, fmt.Errorf("no lessons found for %s", u.role)
	}
	b.auds[u.role] = a
	return a, nil
}

// findProducts lists the shop's products from its search pages.
func (b *bench) findProducts(ctx context.Context) error {
	var u *user
	for _, x := range b.users {
		if x.role != "coordinator" {
			u = x
			break
		}
	}
	if u == nil {
		return nil
	}
	for _, pickup := range []bool{false, true} {
		for page := 1; page <= 10; page++ {
			q := url.Values{"page": {strconv.Itoa(page)}}
			if pickup {
				q.Set("pickup", "1")
			}
			res, err := u.do(ctx, http.MethodGet, "/shop/search?"+q.Encode(), nil)
			if err != nil {
				return err
			}
			if res.code != http.StatusOK {
				return fmt.Errorf("GET /shop/search: %d", res.code)
			}
			ids := reProduct.FindAllStringSubmatch(res.body, -1)
			for _, m := range ids {
				if pickup && !slices.Contains(b.pickup, m[1]) {
					b.pickup = append(b.pickup, m[1])
				}
				if !pickup && !slices.Contains(b.products, m[1]) {
					b.products = append(b.products, m[1])
				}
			}
			if len(ids) == 0 || !strings.Contains(res.body, "page="+strconv.Itoa(page+1)) {
				break
			}
		}
	}
	if len(b.products) == 0 || len(b.pickup) == 0 {
		return fmt.Errorf("the shop lists no products")
	}
	return nil
}

// startup waits until /healthz answers and prints how long after since that was.
func (b *bench) startup(since int64) int {
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Transport: b.tr, Timeout: time.Second}
	for time.Now().Before(deadline) {
		res, err := client.Get(b.bases[0] + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				fmt.Fprintf(b.out, "%d\n", (time.Now().UnixNano()-since)/1e6)
				return 0
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	fmt.Fprintln(os.Stderr, "countyday: the server did not answer /healthz within 30 s")
	return 1
}

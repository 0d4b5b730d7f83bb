package app_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"cunlu/app/apptest"
	"cunlu/app/course"
	"cunlu/app/db"
	"cunlu/app/db/dbtest"
	"cunlu/app/demo"
	"cunlu/app/sandbox"
)

// crashCycles is how many times TestCrashSafety kills the server.
const crashCycles = 6

// TestCrashSafety runs the real binary under concurrent quiz submissions and checkouts,
// kills it with SIGKILL at a random moment, restarts it on the same database, and checks
// that nothing acknowledged was lost and nothing was half-written: the integrity check
// passes, every quiz attempt and order that got its 303 is there, and the money, stock
// and statistics add up. It does this crashCycles times per database kind.
func TestCrashSafety(t *testing.T) {
	bin := buildCunlu(t)
	lessons := quizLessons(t)
	for _, kind := range dbtest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			rng := rand.New(rand.NewPCG(seed, 0x63756e6c75))
			dbURL := dbtest.URL(t, kind)
			dir := t.TempDir()
			began := time.Now()

			srv := startChild(t, bin, dir, dbURL)
			learners := crashLearners(t, srv, dbURL)
			products := cheapProducts(t, dbURL)
			var acks crashAcks
			for cycle := 1; cycle <= crashCycles; cycle++ {
				loadFor := time.Duration(200+rng.IntN(601)) * time.Millisecond
				before := acks.count()
				killed := srv
				killed.runLoad(t, rng.Uint64(), learners, lessons, products, loadFor, &acks)
				srv = startChild(t, bin, dir, dbURL)
				quiz, orders := acks.snapshot()
				checkDatabase(t, kind, dbURL, quiz, orders)
				if t.Failed() {
					t.Fatalf("cycle %d: the database is not as it should be after the kill; the killed server logged:\n%s", cycle, killed.stderr)
				}
				// Sessions are in the database: the learners stay signed in across the crash.
				if res, body := srv.get(t, learners[0].client(nil), "/"); res.StatusCode != http.StatusOK {
					t.Fatalf("cycle %d: GET / after the restart = %d, want 200\n%s", cycle, res.StatusCode, body)
				}
				t.Logf("cycle %d: killed %s after the first writes of the round; %d writes acknowledged in the round", cycle, loadFor, acks.count()-before)
			}
			quiz, orders := acks.snapshot()
			refused, problems := acks.summary()
			for _, p := range problems {
				t.Error(p)
			}
			if len(quiz) < crashCycles || len(orders) < crashCycles {
				t.Errorf("too little load to mean anything: %d quiz attempts and %d orders acknowledged", len(quiz), len(orders))
			}
			t.Logf("%d kill/restart cycles in %s: %d quiz attempts and %d checkouts acknowledged and found after the kills; refused as expected: %v",
				crashCycles, time.Since(began).Round(time.Millisecond), len(quiz), len(orders), refused)
			srv.kill()
		})
	}
}

// quizLessons lists the lessons with a quiz that a partner may take at once (a lesson
// behind a prerequisite would only be refused).
func quizLessons(t *testing.T) []*course.Lesson {
	t.Helper()
	cat, findings, err := course.Load(apptest.Assets(t).Courses, sandbox.KnownTask)
	if err != nil || len(findings) > 0 {
		t.Fatalf("load courses: %v %v", err, findings)
	}
	var lessons []*course.Lesson
	for _, c := range cat.Courses {
		for _, l := range c.Lessons {
			if len(l.Prerequisites) == 0 && len(l.In(course.Langs[0]).Quiz.Questions) > 0 {
				lessons = append(lessons, l)
			}
		}
	}
	if len(lessons) == 0 {
		t.Fatal("no lesson without prerequisites has a quiz")
	}
	return lessons
}

// buildCunlu builds the program into a temporary folder, once per test.
func buildCunlu(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go") // go test puts its own go first on PATH
	if err != nil {
		t.Fatalf("the go command is needed to build the server: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "cunlu")
	start := time.Now()
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	cmd.Dir = apptest.ModuleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built the server in %s", time.Since(start).Round(time.Millisecond))
	return bin
}

// child is the real program running as a child process.
type child struct {
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	base   string
	exited chan struct{}
}

// startChild starts the program on dbURL with the demo data and a free loopback port,
// and returns once it says it is listening.
func startChild(t *testing.T, bin, dir, dbURL string) *child {
	t.Helper()
	c := &child{stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	c.cmd = exec.Command(bin, "-demo", "-addr", "127.0.0.1:0", "-database-url", dbURL, "-log-level", "warn")
	if kf := dbtest.KeyFile(t, dbURL); kf != "" {
		c.cmd.Args = append(c.cmd.Args, "-key-file", kf)
	}
	c.cmd.Dir = dir
	c.cmd.Env = childEnv()
	c.cmd.Stdout, c.cmd.Stderr = c.stdout, c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { c.cmd.Wait(); close(c.exited) }()
	t.Cleanup(c.kill)
	deadline := time.After(30 * time.Second)
	for {
		if m := listening.FindStringSubmatch(c.stdout.String()); m != nil {
			c.base = "http://" + m[1]
			return c
		}
		select {
		case <-c.exited:
			t.Fatalf("the server exited before listening: %v\nstdout:\n%s\nstderr:\n%s", c.cmd.ProcessState, c.stdout, c.stderr)
		case <-deadline:
			t.Fatalf("the server did not say it was listening within 30 s\nstdout:\n%s\nstderr:\n%s", c.stdout, c.stderr)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// kill ends the process with SIGKILL (Process.Kill on Unix): no shutdown, no deferred
// close, exactly like a crash or the OOM killer.
func (c *child) kill() {
	c.cmd.Process.Kill()
	<-c.exited
}

// childEnv is this environment without the program's own settings, so only the flags count.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CUNLU_") || strings.HasPrefix(kv, "DATABASE_URL=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func (c *child) get(t *testing.T, hc *http.Client, path string) (*http.Response, string) {
	t.Helper()
	res, err := hc.Get(c.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return res, readBody(t, res)
}

// crashLearner is one signed-in demo partner; the cookie jar outlives the server's
// restarts, since cookies do not depend on the port.
type crashLearner struct {
	login string
	id    uint
	jar   *cookiejar.Jar
}

func (l *crashLearner) client(tr http.RoundTripper) *http.Client {
	return &http.Client{Jar: l.jar, Transport: tr, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (l *crashLearner) csrf(base string) string {
	u, _ := url.Parse(base)
	for _, ck := range l.jar.Cookies(u) {
		if ck.Name == "_csrf" {
			return ck.Value
		}
	}
	return ""
}

const crashPIN = "135790"

// crashLearners signs in eight demo partners and sets their payment PINs.
func crashLearners(t *testing.T, c *child, dbURL string) []*crashLearner {
	t.Helper()
	var out []*crashLearner
	for i := 5; i < 13; i++ {
		jar, _ := cookiejar.New(nil)
		l := &crashLearner{login: fmt.Sprintf("partner%02d", i), jar: jar}
		hc := l.client(nil)
		if res, body := c.get(t, hc, "/login"); res.StatusCode != http.StatusOK {
			t.Fatalf("GET /login = %d\n%s\nstderr:\n%s", res.StatusCode, body, c.stderr)
		}
		res, err := hc.PostForm(c.base+"/login", url.Values{"_csrf": {l.csrf(c.base)}, "login": {l.login}, "password": {demo.PartnerPassword}})
		if err != nil {
			t.Fatal(err)
		}
		if body := readBody(t, res); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in as %s: %d\n%s", l.login, res.StatusCode, body)
		}
		res, err = hc.PostForm(c.base+"/shop/wallet/pin", url.Values{"_csrf": {l.csrf(c.base)}, "pin": {crashPIN}, "confirm": {crashPIN}})
		if err != nil {
			t.Fatal(err)
		}
		if body := readBody(t, res); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("set the payment PIN of %s: %d\n%s", l.login, res.StatusCode, body)
		}
		out = append(out, l)
	}
	g := openCheck(t, dbURL)
	defer closeCheck(g)
	for _, l := range out {
		if err := g.Raw("SELECT id FROM users WHERE login = ?", l.login).Scan(&l.id).Error; err != nil || l.id == 0 {
			t.Fatalf("find user %s: %v", l.login, err)
		}
	}
	return out
}

// cheapProducts lists products a partner can buy many of: picked up at a centre, cheap,
// plenty in stock.
func cheapProducts(t *testing.T, dbURL string) []uint {
	t.Helper()
	g := openCheck(t, dbURL)
	defer closeCheck(g)
	var ids []uint
	err := g.Raw(`SELECT id FROM shop_products WHERE active AND pickup AND stock >= 100 AND price_cents <= 3000
		AND (scam_id IS NULL OR scam_id = '') ORDER BY id`).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		t.Fatalf("no cheap products to buy (%v)", err)
	}
	return ids
}

// ackedWrite is a write the server answered with success: it must survive a crash.
type ackedWrite struct {
	userID  uint
	key     string
	payment string // checkouts only
}

// crashAcks collects what the clients saw.
type crashAcks struct {
	mu       sync.Mutex
	quiz     []ackedWrite
	orders   []ackedWrite
	refused  map[string]int // expected refusals by request and status, e.g. "checkout 409"
	problems []string
}

func (a *crashAcks) ack(quiz bool, w ackedWrite) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if quiz {
		a.quiz = append(a.quiz, w)
	} else {
		a.orders = append(a.orders, w)
	}
}

func (a *crashAcks) refuse(what string, status int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.refused == nil {
		a.refused = map[string]int{}
	}
	a.refused[fmt.Sprintf("%s %d", what, status)]++
}

func (a *crashAcks) problem(format string, args ...any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.problems) < 20 {
		a.problems = append(a.problems, fmt.Sprintf(format, args...))
	}
}

func (a *crashAcks) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.quiz) + len(a.orders)
}

func (a *crashAcks) counts() (quiz, orders int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.quiz), len(a.orders)
}

func (a *crashAcks) snapshot() (quiz, orders []ackedWrite) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]ackedWrite(nil), a.quiz...), append([]ackedWrite(nil), a.orders...)
}

func (a *crashAcks) summary() (map[string]int, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refused, a.problems
}

// runLoad sends quiz submissions (one client per learner) and cart-and-checkout rounds
// (two clients per learner: two checkouts of one cart at once are part of the test), kills the server loadFor after
// both kinds of write were first acknowledged, and waits for the clients to notice.
func (c *child) runLoad(t *testing.T, seed uint64, learners []*crashLearner, lessons []*course.Lesson, products []uint, loadFor time.Duration, acks *crashAcks) {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	var killed, stop atomic.Bool
	var wg sync.WaitGroup
	// post returns the status, or 0 when no answer came (the server is gone).
	post := func(hc *http.Client, l *crashLearner, what, path string, form url.Values) int {
		form.Set("_csrf", l.csrf(c.base))
		res, err := hc.PostForm(c.base+path, form)
		if err != nil {
			if !killed.Load() {
				acks.problem("%s %s as %s failed before the kill: %v", what, path, l.login, err)
			}
			return 0
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			if res.StatusCode == http.StatusConflict || what == "cart" && res.StatusCode == http.StatusBadRequest ||
				res.StatusCode == http.StatusServiceUnavailable {
				// A declined payment, a sold-out item, a cart the other client just checked
				// out, a cart line at its most; or "busy, try again" when the machine is too
				// slow for the load (admission control): not acknowledged, nothing changed.
				acks.refuse(what, res.StatusCode)
			} else {
				acks.problem("%s %s as %s: status %d", what, path, l.login, res.StatusCode)
			}
		}
		return res.StatusCode
	}
	for i, l := range learners {
		hc := l.client(tr)
		{
			r := rand.New(rand.NewPCG(seed, uint64(i*8)))
			wg.Go(func() {
				for !stop.Load() {
					les := lessons[r.IntN(len(lessons))]
					key := fmt.Sprintf("crash-quiz-%016x", r.Uint64())
					form := quizForm(les, r)
					form.Set("key", key)
					switch post(hc, l, "quiz", les.URL()+"/quiz", form) {
					case 0:
						return
					case http.StatusSeeOther:
						acks.ack(true, ackedWrite{userID: l.id, key: key})
					}
				}
			})
		}
		for j := range 2 {
			r := rand.New(rand.NewPCG(seed, uint64(i*8+4+j)))
			wg.Go(func() {
				for !stop.Load() {
					add := url.Values{"product_id": {fmt.Sprint(products[r.IntN(len(products))])}, "qty": {fmt.Sprint(1 + r.IntN(2))}}
					if post(hc, l, "cart", "/shop/cart", add) == 0 {
						return
					}
					key := fmt.Sprintf("crash-checkout-%016x", r.Uint64())
					payment := sandbox.PaymentWallet
					if r.IntN(3) == 0 {
						payment = sandbox.PaymentCash
					}
					form := url.Values{"key": {key}, "delivery": {sandbox.DeliveryPickup}, "payment": {payment}, "pin": {crashPIN}}
					switch post(hc, l, "checkout", "/shop/checkout", form) {
					case 0:
						return
					case http.StatusSeeOther:
						acks.ack(false, ackedWrite{userID: l.id, key: key, payment: payment})
					}
				}
			})
		}
	}
	// The kill comes loadFor after both kinds of write are flowing: after the first quiz
	// attempt and the first order of this round were acknowledged.
	quiz0, orders0 := acks.counts()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		if quiz, orders := acks.counts(); quiz > quiz0 && orders > orders0 {
			break
		}
		if time.Now().After(deadline) {
			acks.problem("no quiz attempt and order were both acknowledged within 20 s of load")
			break
		}
	}
	time.Sleep(loadFor)
	killed.Store(true)
	c.kill()
	stop.Store(true)
	wg.Wait()
}

// quizForm answers every question of the lesson: usually right, sometimes with one
// option picked at random.
func quizForm(l *course.Lesson, r *rand.Rand) url.Values {
	form := url.Values{}
	right := r.IntN(4) > 0
	for _, q := range l.In(course.Langs[0]).Quiz.Questions {
		if !right {
			form.Add(q.ID, q.Options[r.IntN(len(q.Options))].ID)
			continue
		}
		for _, o := range q.Options {
			if o.Correct {
				form.Add(q.ID, o.ID)
			}
		}
	}
	return form
}

// openCheck opens the database for the test's own checks, without migrating it.
func openCheck(t *testing.T, dbURL string) *gorm.DB {
	t.Helper()
	var d gorm.Dialector
	if db.IsPostgres(dbURL) {
		d = postgres.Open(dbURL)
	} else {
		d = sqlite.Open("file:" + strings.TrimPrefix(dbURL, "file:") + "?mode=rw&_busy_timeout=10000")
	}
	g, err := gorm.Open(d, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("open %s for checking: %v", dbURL, err)
	}
	return g
}

func closeCheck(g *gorm.DB) {
	if sqlDB, err := g.DB(); err == nil {
		sqlDB.Close()
	}
}

// checkDatabase checks the invariants of checkConsistent and that every acknowledged quiz
// attempt and checkout is stored, with the payment that was asked for.
func checkDatabase(t *testing.T, kind, dbURL string, quiz, orders []ackedWrite) {
	t.Helper()
	g := openCheck(t, dbURL)
	defer closeCheck(g)
	checkConsistent(t, kind, g)
	checkStock(t, g)

	type row struct {
		UserID  uint
		Key     string
		Payment string
	}
	var rows []row
	if err := g.Raw("SELECT user_id, attempt_key AS key FROM quiz_attempts").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	stored := map[ackedWrite]bool{}
	for _, r := range rows {
		stored[ackedWrite{userID: r.UserID, key: r.Key}] = true
	}
	lost := 0
	for _, w := range quiz {
		if !stored[w] {
			if lost++; lost <= 5 {
				t.Errorf("acknowledged quiz attempt %s of user %d is missing", w.key, w.userID)
			}
		}
	}
	rows = nil
	if err := g.Raw("SELECT user_id, checkout_key AS key, payment FROM sandbox_orders").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	clear(stored)
	for _, r := range rows {
		stored[ackedWrite{userID: r.UserID, key: r.Key, payment: r.Payment}] = true
	}
	for _, w := range orders {
		if !stored[w] {
			if lost++; lost <= 10 {
				t.Errorf("acknowledged checkout %s (%s) of user %d is missing", w.key, w.payment, w.userID)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d acknowledged writes lost", lost)
	}
}

// checkConsistent checks what holds in every committed state of a Cunlu database, so a
// half-done transaction shows: SQLite's own integrity and foreign key checks; every quiz
// attempt complete with its answers, counted in the lesson's progress and in the
// coordinators' statistics; every wallet's balance equal to the start plus its ledger,
// and to the start minus wallet-paid orders plus refunds plus its other movements; every
// wallet order paid exactly once and every order with its items.
func checkConsistent(t *testing.T, kind string, g *gorm.DB) {
	t.Helper()
	if kind == "sqlite" {
		var res []string
		if err := g.Raw("PRAGMA integrity_check").Scan(&res).Error; err != nil || len(res) != 1 || res[0] != "ok" {
			t.Errorf("PRAGMA integrity_check = %q, %v; want ok", res, err)
		}
		var fk []map[string]any
		if err := g.Raw("PRAGMA foreign_key_check").Scan(&fk).Error; err != nil || len(fk) > 0 {
			t.Errorf("PRAGMA foreign_key_check found %d problems (%v): %v", len(fk), err, fk)
		}
	}
	none := func(what, query string) {
		t.Helper()
		var n int64
		if err := g.Raw("SELECT COUNT(*) FROM (" + query + ") x").Scan(&n).Error; err != nil {
			t.Errorf("%s: %v", what, err)
		} else if n > 0 {
			var sample []map[string]any
			g.Raw(query + " LIMIT 3").Scan(&sample)
			for _, row := range sample {
				for k, v := range row {
					// SQLite's untyped columns come back as pointers.
					for rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && !rv.IsNil(); rv = rv.Elem() {
						row[k] = rv.Elem().Interface()
					}
				}
			}
			t.Errorf("%s: %d rows, e.g. %v", what, n, sample)
		}
	}
	none("quiz attempts without all their answers", `SELECT a.id FROM quiz_attempts a
		WHERE a.total <> (SELECT COUNT(*) FROM quiz_answers q WHERE q.attempt_id = a.id)`)
	none("quiz attempts of no user", `SELECT a.id FROM quiz_attempts a WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.user_id)`)
	none("certificates of no user", `SELECT c.id FROM certificates c WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = c.user_id)`)
	none("lesson progress whose attempt count is not the number of attempts", `SELECT p.user_id, p.course, p.lesson FROM lesson_progress p
		WHERE p.attempts <> (SELECT COUNT(*) FROM quiz_attempts a WHERE a.user_id = p.user_id AND a.course = p.course AND a.lesson = p.lesson)`)
	none("quiz attempts without lesson progress", `SELECT a.id FROM quiz_attempts a WHERE NOT EXISTS
		(SELECT 1 FROM lesson_progress p WHERE p.user_id = a.user_id AND p.course = a.course AND p.lesson = a.lesson)`)
	none("learner statistics whose attempts are not the lessons' attempts", `SELECT * FROM (SELECT s.user_id, s.attempts,
		CAST((SELECT COALESCE(SUM(p.attempts), 0) FROM lesson_progress p WHERE p.user_id = s.user_id) AS BIGINT) AS lessons FROM learner_stats s) x
		WHERE attempts <> lessons`)
	none("question statistics that do not count every answer", `SELECT * FROM (SELECT CAST((SELECT COALESCE(SUM(answers), 0) FROM question_stats) AS BIGINT) AS counted,
		(SELECT COUNT(*) FROM quiz_answers) AS answers) x WHERE counted <> answers`)
	none("score statistics that do not count every attempt", `SELECT * FROM (SELECT CAST((SELECT COALESCE(SUM(attempts), 0) FROM score_stats) AS BIGINT) AS counted,
		(SELECT COUNT(*) FROM quiz_attempts) AS attempts) x WHERE counted <> attempts`)

	none("orders without items", `SELECT o.id FROM sandbox_orders o WHERE NOT EXISTS (SELECT 1 FROM sandbox_order_items i WHERE i.order_id = o.id)`)
	none("orders whose goods total is not the sum of their items", `SELECT o.id FROM sandbox_orders o
		WHERE o.goods_cents <> (SELECT COALESCE(SUM(i.price_cents * i.qty), 0) FROM sandbox_order_items i WHERE i.order_id = o.id)`)
	none("wallet orders not paid exactly once from the wallet", `SELECT o.id FROM sandbox_orders o WHERE o.payment = 'wallet' AND 1 <>
		(SELECT COUNT(*) FROM sandbox_ledger l WHERE l.order_id = o.id AND l.kind = 'payment' AND l.amount_cents = -o.total_cents)`)
	none("other orders paid from the wallet", `SELECT o.id FROM sandbox_orders o WHERE o.payment <> 'wallet' AND EXISTS
		(SELECT 1 FROM sandbox_ledger l WHERE l.order_id = o.id AND l.kind = 'payment')`)
	none("wallet payments of no order", `SELECT l.id FROM sandbox_ledger l WHERE l.kind = 'payment' AND NOT EXISTS
		(SELECT 1 FROM sandbox_orders o WHERE o.id = l.order_id AND o.payment = 'wallet')`)
	none("ledger entries without a wallet", `SELECT l.id FROM sandbox_ledger l WHERE NOT EXISTS (SELECT 1 FROM sandbox_wallets w WHERE w.user_id = l.user_id)`)

	type wallet struct {
		UserID   uint
		Balance  int64
		Ledger   int64
		Paid     int64
		Refunded int64
		Other    int64
	}
	var wallets []wallet
	err := g.Raw(`SELECT w.user_id, w.balance_cents AS balance,
		CAST((SELECT COALESCE(SUM(l.amount_cents), 0) FROM sandbox_ledger l WHERE l.user_id = w.user_id) AS BIGINT) AS ledger,
		CAST((SELECT COALESCE(SUM(o.total_cents), 0) FROM sandbox_orders o WHERE o.user_id = w.user_id AND o.payment = 'wallet') AS BIGINT) AS paid,
		CAST((SELECT COALESCE(SUM(a.amount_cents), 0) FROM sandbox_aftersales a WHERE a.user_id = w.user_id AND a.refund_to = 'wallet' AND a.refunded_at IS NOT NULL) AS BIGINT) AS refunded,
		CAST((SELECT COALESCE(SUM(l.amount_cents), 0) FROM sandbox_ledger l WHERE l.user_id = w.user_id AND l.kind NOT IN ('payment', 'refund')) AS BIGINT) AS other
		FROM sandbox_wallets w ORDER BY w.user_id`).Scan(&wallets).Error
	if err != nil {
		t.Fatalf("read wallets: %v", err)
	}
	for _, w := range wallets {
		if w.Balance != sandbox.StartBalance+w.Ledger {
			t.Errorf("wallet of user %d: balance %d, but start %d + ledger %d = %d", w.UserID, w.Balance, sandbox.StartBalance, w.Ledger, sandbox.StartBalance+w.Ledger)
		}
		if want := sandbox.StartBalance - w.Paid + w.Refunded + w.Other; w.Balance != want {
			t.Errorf("wallet of user %d: balance %d, but start − wallet orders %d + refunds into it %d + other movements %d = %d",
				w.UserID, w.Balance, w.Paid, w.Refunded, w.Other, want)
		}
		if w.Balance < 0 {
			t.Errorf("wallet of user %d: negative balance %d", w.UserID, w.Balance)
		}
	}
}

// checkStock checks that each learner's stock of a product is the catalogue's less what
// their orders took (true while no "sold out" practice code was used).
func checkStock(t *testing.T, g *gorm.DB) {
	t.Helper()
	var n int64
	err := g.Raw(`SELECT COUNT(*) FROM sandbox_stock s JOIN shop_products p ON p.id = s.product_id
		WHERE s.stock <> p.stock - (SELECT COALESCE(SUM(i.qty), 0) FROM sandbox_order_items i JOIN sandbox_orders o ON o.id = i.order_id
			WHERE o.user_id = s.user_id AND i.product_id = s.product_id)`).Scan(&n).Error
	if err != nil || n > 0 {
		t.Errorf("%d stock rows are not the catalogue's stock less the orders (%v)", n, err)
	}
	err = g.Raw(`SELECT COUNT(*) FROM sandbox_order_items i JOIN sandbox_orders o ON o.id = i.order_id
		WHERE NOT EXISTS (SELECT 1 FROM sandbox_stock s WHERE s.user_id = o.user_id AND s.product_id = i.product_id)`).Scan(&n).Error
	if err != nil || n > 0 {
		t.Errorf("%d order lines took no stock (%v)", n, err)
	}
}

package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app"
	"cunlu/app/apptest"
	"cunlu/app/course"
	"cunlu/app/db/dbtest"
	"cunlu/app/demo"
)

// TestBackupWhileServing backs up a live SQLite database while learners submit quizzes,
// then starts a second server on the backup, and finally restores the backup the way the
// README says and signs in on it.
func TestBackupWhileServing(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "cunlu.db")
	backupPath := filepath.Join(dir, "backups", "cunlu-backup.db")
	if err := os.Mkdir(filepath.Dir(backupPath), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := start(t, "-database-url", dbPath, "-demo")
	w := startQuizWriters(t, srv, dbPath, quizLessons(t), 4)

	w.waitFor(t, 10)
	lo := countRows(t, dbPath, "quiz_attempts")
	ackedBefore := w.acked()
	var stdout, stderr bytes.Buffer
	began := time.Now()
	code := app.Run(context.Background(), apptest.Assets(t), []string{"backup", "-database-url", dbPath, backupPath},
		func(string) string { return "" }, &stdout, &stderr)
	took := time.Since(began)
	hi := countRows(t, dbPath, "quiz_attempts")
	if code != 0 {
		t.Fatalf("backup returned %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	if !strings.Contains(stdout.String(), "integrity check of the copy: ok") || !strings.Contains(stdout.String(), backupPath) {
		t.Errorf("backup did not say what it did:\n%s", &stdout)
	}
	// The server kept serving: writes go on being acknowledged after the backup.
	during := len(w.acked()) - len(ackedBefore)
	w.waitFor(t, len(w.acked())+10)
	acked := w.stop(t)
	t.Logf("backup took %s; %d quiz attempts acknowledged while it ran, %d in all", took.Round(time.Millisecond), during, len(acked))

	if _, err := os.Stat(backupPath + "-wal"); err == nil {
		t.Errorf("the backup left a -wal file beside it")
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(backupPath), ".*tmp*"))
	if len(leftovers) > 0 {
		t.Errorf("the backup left temporary files: %v", leftovers)
	}
	// The copy is one moment of the database: between what was there before and after.
	n := countRows(t, backupPath, "quiz_attempts")
	if n < lo || n > hi {
		t.Errorf("the backup holds %d quiz attempts; the database had %d when the backup began and %d when it ended", n, lo, hi)
	}
	g := openCheck(t, backupPath)
	checkConsistent(t, "sqlite", g)
	keys := storedQuizKeys(t, g)
	closeCheck(g)
	for _, a := range ackedBefore {
		if !keys[a] {
			t.Errorf("quiz attempt %s, acknowledged before the backup began, is not in the backup", a.key)
		}
	}
	if final := countRows(t, dbPath, "quiz_attempts"); final <= n {
		t.Fatalf("no writes after the backup (%d attempts, the backup has %d): the restore below would prove nothing", final, n)
	}

	// A second server opens a copy of the backup beside the first, and the demo sign-ins work.
	verify := filepath.Join(dir, "verify.db")
	copyFile(t, backupPath, verify)
	second := start(t, "-database-url", verify, "-demo")
	if strings.Contains(second.stdout.String(), "Demo data loaded.") {
		t.Errorf("the server on the backup loaded the demo data again: the backup looked empty")
	}
	for _, s := range []struct{ login, password, home string }{
		{demo.AdminLogin, demo.AdminPassword, "/admin"},
		{demo.CoordLogin, demo.CoordPassword, "/coord"},
		{demo.PartnerLogin, demo.PartnerPassword, "/"},
		{demo.VillagerLogin, demo.VillagerPassword, "/"},
	} {
		c := newClient()
		res, body := second.signIn(t, c, "/login", url.Values{"login": {s.login}, "password": {s.password}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != s.home {
			t.Errorf("on the backup, sign in as %s: %d to %q, want 303 to %s\n%s", s.login, res.StatusCode, res.Header.Get("Location"), s.home, body)
		}
	}
	second.stop(t)

	// Restore, as README.md says: stop, copy the backup over the database, remove the old
	// -wal and -shm, start.
	srv.stop(t)
	copyFile(t, backupPath, dbPath)
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(dbPath + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	restored := start(t, "-database-url", dbPath, "-demo")
	if got := countRows(t, dbPath, "quiz_attempts"); got != n {
		t.Errorf("after the restore the database has %d quiz attempts, want the backup's %d", got, n)
	}
	c := newClient()
	res, body := restored.signIn(t, c, "/login", url.Values{"login": {"partner03"}, "password": {demo.PartnerPassword}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in after the restore: %d\n%s", res.StatusCode, body)
	}
	// New writes work on the restored database (its row ids go on from the backup's).
	l := quizLessons(t)[0]
	form := quizForm(l, rand.New(rand.NewPCG(1, 2)))
	form.Set("key", "after-restore-0000000001")
	if res, body := postForm(t, restored, c, l.URL()+"/quiz", form); res.StatusCode != http.StatusSeeOther {
		t.Errorf("quiz submission after the restore: %d\n%s", res.StatusCode, body)
	}
	restored.stop(t)
	g = openCheck(t, dbPath)
	checkConsistent(t, "sqlite", g)
	closeCheck(g)
}

// TestBackupRefuses checks that backup never overwrites a file, never creates a database
// that was not there, and sends PostgreSQL users to pg_dump.
func TestBackupRefuses(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "cunlu.db")
	srv := start(t, "-database-url", dbPath, "-demo")
	srv.stop(t)
	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stderr string
	}{
		{name: "no file", args: []string{"backup", "-database-url", dbPath}, code: 2, stderr: "usage: cunlu backup"},
		{name: "two files", args: []string{"backup", "-database-url", dbPath, "a.db", "b.db"}, code: 2, stderr: "usage: cunlu backup"},
		{name: "existing file", args: []string{"backup", "-database-url", dbPath, existing}, code: 1, stderr: "already exists"},
		{name: "missing database", args: []string{"backup", "-database-url", filepath.Join(dir, "missing.db"), filepath.Join(dir, "m.db")}, code: 1, stderr: "missing.db"},
		{name: "postgres", args: []string{"backup", filepath.Join(dir, "p.db")}, env: map[string]string{"DATABASE_URL": "postgres://cunlu:secret@db.example.cn/cunlu"}, code: 1, stderr: "pg_dump"},
		{name: "file before flag", args: []string{"backup", filepath.Join(dir, "ok.db"), "-database-url", dbPath}, code: 0},
		{name: "from DATABASE_URL", args: []string{"backup", filepath.Join(dir, "env.db")}, env: map[string]string{"DATABASE_URL": dbPath}, code: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := app.Run(context.Background(), apptest.Assets(t), tt.args, func(k string) string { return tt.env[k] }, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("backup returned %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr does not mention %q:\n%s", tt.stderr, &stderr)
			}
			if strings.Contains(stderr.String(), "secret") {
				t.Errorf("stderr shows the database password:\n%s", &stderr)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Errorf("backup changed an existing file: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Errorf("backup of a missing database created it")
	}
	for _, name := range []string{"ok.db", "env.db"} {
		g := openCheck(t, filepath.Join(dir, name))
		checkConsistent(t, "sqlite", g)
		closeCheck(g)
	}
}

// TestPostgresDumpRestore does what README.md says for PostgreSQL: pg_dump of a live
// database, pg_restore into an empty one, and the restored database has the same rows
// and serves.
func TestPostgresDumpRestore(t *testing.T) {
	if os.Getenv(dbtest.PostgresEnv) == "" {
		t.Skipf("%s is not set", dbtest.PostgresEnv)
	}
	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Fatalf("%s is set but pg_dump is not installed (PostgreSQL's client tools): %v", dbtest.PostgresEnv, err)
	}
	pgRestore, err := exec.LookPath("pg_restore")
	if err != nil {
		t.Fatalf("%s is set but pg_restore is not installed (PostgreSQL's client tools): %v", dbtest.PostgresEnv, err)
	}
	src := dbtest.URL(t, "postgres")
	srv := start(t, "-database-url", src, "-demo")
	w := startQuizWriters(t, srv, src, quizLessons(t), 3)
	w.waitFor(t, 10)
	// pg_dump reads one snapshot while the server keeps writing.
	dump := filepath.Join(t.TempDir(), "cunlu.dump")
	runTool(t, pgDump, "--format=custom", "--file="+dump, "--dbname="+src)
	w.stop(t)
	srv.stop(t)
	// Stopped, so the counts below compare like with like.
	dump2 := filepath.Join(t.TempDir(), "cunlu.dump")
	runTool(t, pgDump, "--format=custom", "--file="+dump2, "--dbname="+src)

	dst := dbtest.URL(t, "postgres")
	runTool(t, pgRestore, "--no-owner", "--no-privileges", "--exit-on-error", "--dbname="+dst, dump2)
	want, got := tableCounts(t, src), tableCounts(t, dst)
	if len(want) < 10 {
		t.Fatalf("only %d tables in the source database", len(want))
	}
	for table, n := range want {
		if got[table] != n {
			t.Errorf("table %s: %d rows restored, want %d", table, got[table], n)
		}
	}
	if want["quiz_attempts"] < 10 {
		t.Errorf("the source had only %d quiz attempts", want["quiz_attempts"])
	}
	for table := range got {
		if _, ok := want[table]; !ok {
			t.Errorf("table %s restored but not in the source", table)
		}
	}

	// The live dump restores too, and a server starts on it as on any database.
	live := dbtest.URL(t, "postgres")
	runTool(t, pgRestore, "--no-owner", "--no-privileges", "--exit-on-error", "--dbname="+live, dump)
	g := openCheck(t, live)
	checkConsistent(t, "postgres", g)
	closeCheck(g)

	restored := start(t, "-database-url", dst, "-demo")
	if strings.Contains(restored.stdout.String(), "Demo data loaded.") {
		t.Errorf("the server on the restored database loaded the demo data again")
	}
	c := newClient()
	if res, body := restored.signIn(t, c, "/login", url.Values{"login": {demo.PartnerLogin}, "password": {demo.PartnerPassword}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in on the restored database: %d\n%s", res.StatusCode, body)
	}
	// New rows get new ids: pg_restore set the sequences.
	l := quizLessons(t)[0]
	form := quizForm(l, rand.New(rand.NewPCG(1, 2)))
	form.Set("key", "after-restore-0000000001")
	if res, body := postForm(t, restored, c, l.URL()+"/quiz", form); res.StatusCode != http.StatusSeeOther {
		t.Errorf("quiz submission on the restored database: %d\n%s", res.StatusCode, body)
	}
	restored.stop(t)
}

func runTool(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", filepath.Base(name), err, out)
	}
}

// tableCounts counts the rows of every table of a PostgreSQL database.
func tableCounts(t *testing.T, dbURL string) map[string]int64 {
	t.Helper()
	g := openCheck(t, dbURL)
	defer closeCheck(g)
	var tables []string
	if err := g.Raw(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`).Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, table := range tables {
		var n int64
		if err := g.Raw(`SELECT COUNT(*) FROM "` + table + `"`).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func countRows(t *testing.T, dbURL, table string) int64 {
	t.Helper()
	g := openCheck(t, dbURL)
	defer closeCheck(g)
	var n int64
	if err := g.Raw("SELECT COUNT(*) FROM " + table).Scan(&n).Error; err != nil {
		t.Fatalf("count %s in %s: %v", table, dbURL, err)
	}
	return n
}

func storedQuizKeys(t *testing.T, g *gorm.DB) map[ackedWrite]bool {
	t.Helper()
	var rows []struct {
		UserID uint
		Key    string
	}
	if err := g.Raw("SELECT user_id, attempt_key AS key FROM quiz_attempts").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[ackedWrite]bool{}
	for _, r := range rows {
		out[ackedWrite{userID: r.UserID, key: r.Key}] = true
	}
	return out
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// postForm posts a form with the client's CSRF token to the in-process server.
func postForm(t *testing.T, r *running, c *http.Client, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	u, _ := url.Parse(r.base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "_csrf" {
			form.Set("_csrf", ck.Value)
		}
	}
	res, err := c.PostForm(r.base+path, form)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return res, readBody(t, res)
}

// quizWriters are demo partners submitting quizzes to an in-process server until stopped.
type quizWriters struct {
	mu       sync.Mutex
	done     []ackedWrite
	problems []string
	stopping atomic.Bool
	wg       sync.WaitGroup
}

func startQuizWriters(t *testing.T, r *running, dbURL string, lessons []*course.Lesson, n int) *quizWriters {
	t.Helper()
	w := &quizWriters{}
	g := openCheck(t, dbURL)
	defer closeCheck(g)
	for i := range n {
		login := fmt.Sprintf("partner%02d", 13+i)
		var id uint
		if err := g.Raw("SELECT id FROM users WHERE login = ?", login).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("find %s: %v", login, err)
		}
		c := newClient()
		if res, body := r.signIn(t, c, "/login", url.Values{"login": {login}, "password": {demo.PartnerPassword}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in as %s: %d\n%s", login, res.StatusCode, body)
		}
		u, _ := url.Parse(r.base)
		token := ""
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == "_csrf" {
				token = ck.Value
			}
		}
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))
		w.wg.Go(func() {
			for !w.stopping.Load() {
				l := lessons[rng.IntN(len(lessons))]
				key := fmt.Sprintf("backup-quiz-%016x", rng.Uint64())
				form := quizForm(l, rng)
				form.Set("key", key)
				form.Set("_csrf", token)
				res, err := c.PostForm(r.base+l.URL()+"/quiz", form)
				if err != nil {
					w.problem(fmt.Sprintf("POST %s/quiz as %s: %v", l.URL(), login, err))
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusSeeOther {
					w.problem(fmt.Sprintf("POST %s/quiz as %s: status %d", l.URL(), login, res.StatusCode))
					continue
				}
				w.mu.Lock()
				w.done = append(w.done, ackedWrite{userID: id, key: key})
				w.mu.Unlock()
			}
		})
	}
	t.Cleanup(func() { w.stopping.Store(true); w.wg.Wait() })
	return w
}

func (w *quizWriters) problem(p string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.problems = append(w.problems, p)
}

func (w *quizWriters) acked() []ackedWrite {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]ackedWrite(nil), w.done...)
}

// waitFor waits until n quiz attempts were acknowledged in all.
func (w *quizWriters) waitFor(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); len(w.acked()) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d quiz attempts acknowledged within 30 s; problems: %v", len(w.acked()), n, w.problems)
		}
	}
}

// stop stops the writers and fails the test if any request failed.
func (w *quizWriters) stop(t *testing.T) []ackedWrite {
	t.Helper()
	w.stopping.Store(true)
	w.wg.Wait()
	for _, p := range w.problems {
		t.Error(p)
	}
	return w.acked()
}

package report_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"cunlu/app/account"
	"cunlu/app/db"
	"cunlu/app/report"
)

// BenchmarkCounty times each coordinator read model on a database made by "cunlu loadgen"
// (CUNLU_COUNTY_DB: a copy of the SQLite file, which is migrated, or a postgres:// URL), and
// with -v prints where each one's time goes, statement by statement:
//
//	CUNLU_COUNTY_DB=/tmp/copy.db go test -run '^$' -bench County -v ./app/report/
func BenchmarkCounty(b *testing.B) {
	url := os.Getenv("CUNLU_COUNTY_DB")
	if url == "" {
		b.Skip("CUNLU_COUNTY_DB is not set")
	}
	ctx := context.Background()
	g, err := db.Open(ctx, url, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close(g) })
	// The database was made from the shipped courses, so the reports read those.
	cat, err := loadCourses("../../courses")
	if err != nil {
		b.Fatal(err)
	}
	timer := &statementTimer{took: map[string]time.Duration{}, example: map[string]string{}}
	timed := g.Session(&gorm.Session{Logger: timer})
	rs := report.NewService(timed, catalog{cat}, nil)
	var county, township account.Region
	if err := g.Where("level = ?", account.LevelCounty).Order("id").Take(&county).Error; err != nil {
		b.Fatal(err)
	}
	if err := g.Where("level = ?", account.LevelTownship).Order("id").Take(&township).Error; err != nil {
		b.Fatal(err)
	}
	var partner uint
	if err := g.Table("users").Select("id").Where("role = ?", account.RolePartner).Order("id").Offset(98).Limit(1).Scan(&partner).Error; err != nil {
		b.Fatal(err)
	}
	pages := []struct {
		name string
		run  func() error
	}{
		{"overview-county", func() error { _, err := rs.Overview(ctx, &county); return err }},
		{"overview-township", func() error { _, err := rs.Overview(ctx, &township); return err }},
		{"matrix-county", func() error { _, _, err := rs.Matrix(ctx, &county, 1); return err }},
		{"matrix-township", func() error { _, _, err := rs.Matrix(ctx, &township, 1); return err }},
		{"alerts-county", func() error { _, err := rs.Alerts(ctx, &county); return err }},
		{"questions-county", func() error { _, err := rs.DifficultQuestions(ctx, &county, "", 50); return err }},
		{"partner", func() error { _, err := rs.Partner(ctx, &county, partner); return err }},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			timer.reset()
			cpu := cpuTime()
			for b.Loop() {
				if err := p.run(); err != nil {
					b.Fatal(err)
				}
			}
			// The process's CPU time says more than the wall clock on a shared machine.
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
			if testing.Verbose() {
				b.Log(timer.report(b.N, g))
			}
		})
	}
}

var literals = regexp.MustCompile(`"[^"]*"|'[^']*'|\b[0-9]+\b`)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// statementTimer is a gorm logger that adds up the time of each statement (by its text).
type statementTimer struct {
	mu      sync.Mutex
	took    map[string]time.Duration
	example map[string]string // one statement of each shape, values in place
}

func (t *statementTimer) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.took)
}

// report lists the statements by time taken per run, each with its plan on SQLite.
func (t *statementTimer) report(n int, g *gorm.DB) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	type row struct {
		sql  string
		took time.Duration
	}
	var rows []row
	for s, d := range t.took {
		rows = append(rows, row{s, d})
	}
	slices.SortFunc(rows, func(a, b row) int { return int(b.took - a.took) })
	var sb strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&sb, "\n  %8s  %.160s", (r.took / time.Duration(n)).Round(time.Microsecond), r.sql)
		if !db.IsSQLite(g) {
			continue
		}
		var plan []struct{ Detail string }
		g.Raw("EXPLAIN QUERY PLAN " + t.example[r.sql]).Scan(&plan)
		for _, p := range plan {
			fmt.Fprintf(&sb, "\n              %s", p.Detail)
		}
	}
	return sb.String()
}

func (t *statementTimer) LogMode(logger.LogLevel) logger.Interface { return t }
func (t *statementTimer) Info(context.Context, string, ...any)     {}
func (t *statementTimer) Warn(context.Context, string, ...any)     {}
func (t *statementTimer) Error(context.Context, string, ...any)    {}
func (t *statementTimer) Trace(_ context.Context, begin time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	// One entry per statement shape: the values bound differ from call to call.
	shape := literals.ReplaceAllString(strings.Join(strings.Fields(sql), " "), "?")
	if i := strings.Index(shape, "IN (?,"); i >= 0 {
		shape = shape[:i] + "IN (…)"
	}
	t.mu.Lock()
	t.took[shape] += time.Since(begin)
	t.example[shape] = sql
	t.mu.Unlock()
}

package demo_test

import (
	"context"
	"io"
	"os"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/course"
	"cunlu/app/db/dbtest"
	"cunlu/app/demo"
	"cunlu/app/report"
	"cunlu/app/sandbox"
)

type lib struct{ cat *course.Catalog }

func (l lib) Catalog() *course.Catalog { return l.cat }

// TestGenerateIsConsistent checks that a generated data set's roll-ups are exactly what
// its rows add up to, as the live writes keep them, so speed is measured on honest data.
func TestGenerateIsConsistent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		ctx := context.Background()
		cat, findings, err := course.Load(os.DirFS("../../courses"), sandbox.KnownTask)
		if err != nil || len(findings) > 0 {
			t.Fatalf("courses: %v %v", err, findings)
		}
		accounts := account.NewService(g, account.Options{})
		if err := sandbox.NewService(g, accounts, nil, nil).LoadCatalog(ctx); err != nil {
			t.Fatal(err)
		}
		size := demo.LoadSize{Townships: 2, Villages: 2, Partners: 40, Villagers: 60, Answers: 3000, ShopOrders: 300, ActiveWeeks: 4, BusyShopperOrders: 50}
		if err := demo.Generate(ctx, g, cat, size, accounts.HashPassword, accounts.HashPIN, io.Discard); err != nil {
			t.Fatal(err)
		}
		count := func(table string) int64 {
			var n int64
			if err := g.Table(table).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		sum := func(q string) int64 {
			var n int64
			if err := g.Raw(q).Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count("users"); n != 1+40+60 {
			t.Errorf("%d accounts, want 101", n)
		}
		if n := count("quiz_answers"); n < 3000 {
			t.Errorf("%d answers, want at least 3000", n)
		}
		if n := count("sandbox_orders"); n != 300+1+50 {
			t.Errorf("%d orders, want 351", n)
		}
		// The two shoppers set aside for the checkout benchmark have exactly their orders.
		for login, want := range map[string]int64{"lv00001": 1, "lv00002": 50} {
			var n int64
			if err := g.Table("sandbox_orders").Joins("JOIN users ON users.id = sandbox_orders.user_id").Where("users.login = ?", login).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Errorf("%s has %d past orders, want %d", login, n, want)
			}
		}
		checks := map[string][2]string{
			"attempts":        {"SELECT COALESCE(SUM(attempts), 0) FROM learner_stats", "SELECT COUNT(*) FROM quiz_attempts"},
			"question totals": {"SELECT COALESCE(SUM(answers), 0) FROM question_stats", "SELECT COUNT(*) FROM quiz_answers"},
			"wrong answers":   {"SELECT COALESCE(SUM(wrong), 0) FROM question_stats", "SELECT COUNT(*) FROM quiz_answers WHERE NOT correct"},
			"score buckets":   {"SELECT COALESCE(SUM(attempts), 0) FROM score_stats", "SELECT COUNT(*) FROM quiz_attempts"},
			"centre mastery":  {"SELECT COALESCE(SUM(mastered), 0) FROM centre_stats", "SELECT COALESCE(SUM(lessons_mastered), 0) FROM learner_stats"},
			"centre tasks":    {"SELECT COALESCE(SUM(tasks), 0) FROM centre_stats", "SELECT COUNT(*) FROM task_completions"},
			"passed lessons":  {"SELECT COALESCE(SUM(lessons_passed), 0) FROM learner_stats", "SELECT COUNT(*) FROM lesson_progress WHERE passed_at IS NOT NULL"},
			"course mastery":  {"SELECT COALESCE(SUM(mastered), 0) FROM learner_course_stats", "SELECT COALESCE(SUM(lessons_mastered), 0) FROM learner_stats"},
			"centre learners": {"SELECT COALESCE(SUM(learners), 0) FROM centre_stats", "SELECT COUNT(*) FROM users WHERE active AND role IN ('partner', 'villager') AND centre_id IS NOT NULL"},
		}
		for name, q := range checks {
			if a, b := sum(q[0]), sum(q[1]); a != b || a == 0 && name != "centre mastery" && name != "course mastery" {
				t.Errorf("%s: roll-up %d, rows %d", name, a, b)
			}
		}
		// Villagers sign in with their phone and the PIN; partners have none.
		if err := account.CheckPIN(demo.LoadPIN); err != nil {
			t.Errorf("LoadPIN %s breaks the PIN rules: %v", demo.LoadPIN, err)
		}
		u, err := accounts.SignInPIN(ctx, demo.LoadPhone(account.RoleVillager, 3), demo.LoadPIN, "192.0.2.1")
		if err != nil || u.Login != "lv00003" {
			t.Errorf("PIN sign-in of lv00003: %v, %v", u, err)
		}
		if _, err := accounts.SignInPIN(ctx, demo.LoadPhone(account.RolePartner, 3), demo.LoadPIN, "192.0.2.1"); err == nil {
			t.Error("a partner signed in with the villagers' PIN")
		}
		if u, err := accounts.SignIn(ctx, "lp00002", demo.LoadPassword, "192.0.2.1"); err != nil || u.PhoneNumber() != demo.LoadPhone(account.RolePartner, 2) {
			t.Errorf("password sign-in of lp00002: %v, %v", u, err)
		}
		// Each centre's learners, as account.CountLearners would have counted them.
		if n := sum(`SELECT COUNT(*) FROM centre_stats WHERE learners <> (SELECT COUNT(*) FROM users
			WHERE users.centre_id = centre_stats.centre_id AND users.role = centre_stats.role AND users.active)`); n != 0 {
			t.Errorf("%d centres' learner counts differ from their accounts", n)
		}
		// The coordinator's overview agrees with the rows.
		var county account.Region
		if err := g.Where("level = ?", account.LevelCounty).Take(&county).Error; err != nil {
			t.Fatal(err)
		}
		ov, err := report.NewService(g, lib{cat}, nil).Overview(ctx, &county)
		if err != nil {
			t.Fatal(err)
		}
		if ov.Total.Partners != 40 || ov.Total.Villagers != 60 || int64(ov.Total.Tasks) != count("task_completions") || len(ov.Rows) != 2 {
			t.Errorf("overview total %+v with %d rows", ov.Total, len(ov.Rows))
		}
	})
}

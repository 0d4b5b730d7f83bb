package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"cunlu/app"
	"cunlu/app/apptest"
)

// TestEveryModeAgainstTheApp runs each part of the benchmark, briefly and with few users,
// against the real Cunlu on a small generated data set, and checks that every step was
// acknowledged as a browser expects: the benchmark reads the app's own forms (CSRF tokens,
// quiz questions, keys, villagers, regions), so a change to a page that breaks it fails here
// rather than in the next benchmark run.
func TestEveryModeAgainstTheApp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the app and signs in a dozen people")
	}
	db := filepath.Join(t.TempDir(), "small.db")
	var gen bytes.Buffer
	if code := app.Run(context.Background(), apptest.Assets(t), []string{"loadgen", "-scale", "small", "-database-url", db},
		func(string) string { return "" }, &gen, &gen); code != 0 {
		t.Fatalf("loadgen: %d\n%s", code, gen.String())
	}
	env := apptest.New(t, apptest.DatabaseURL(db), apptest.NoDemo())
	sessions := filepath.Join(t.TempDir(), "sessions.json")
	common := []string{"-base", env.URL, "-label", "test", "-sessions", sessions, "-p95", "1h", "-p99", "1h", "-courses", filepath.Join(apptest.ModuleRoot(t), "courses")}
	for _, tc := range []struct {
		name  string
		args  []string
		steps []string // kinds of step that must have happened
	}{
		{"mix", []string{"-mode", "mix", "-villagers", "6", "-partners", "3", "-coordinators", "1", "-rate", "40", "-duration", "3s", "-warmup", "1s", "-warmup-rate", "20"},
			[]string{"lesson", "quiz-submit", "catalogue", "partner-villagers"}},
		// The same users again: their saved sessions are reused.
		{"search", []string{"-mode", "search", "-villagers", "6", "-partners", "3", "-coordinators", "1", "-start-rate", "20", "-max-trials", "1", "-trial", "1s", "-warmup", "0"},
			nil},
		{"burst", []string{"-mode", "burst", "-burst-size", "3"},
			[]string{"pin-signin", "classroom quiz-submit", "classroom checkout"}},
		{"checkout", []string{"-mode", "checkout", "-samples", "2"},
			[]string{"checkout [lv00001, 1+ past orders]", "checkout [lv00002, 2000+ past orders]"}},
		{"coord", []string{"-mode", "coord", "-coordinators", "2", "-duration", "1s"},
			[]string{"coord-overview", "coord-township", "coord-village", "coord-partner"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if code := run(append(append([]string(nil), common...), tc.args...), &out, &out); code != 0 {
				t.Fatalf("exit %d\n%s", code, out.String())
			}
			text := out.String()
			rows := reAllSteps.FindAllStringSubmatch(text, -1)
			if len(rows) == 0 {
				t.Fatalf("no totals in the output:\n%s", text)
			}
			for _, r := range rows {
				if r[1] == "0" || r[2] != "0" || r[4] != "0" {
					t.Errorf("%s steps, %s errors, %s 503s:\n%s", r[1], r[2], r[4], text)
				}
			}
			for _, kind := range tc.steps {
				if !regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(kind) + `\s+[1-9]`).MatchString(text) {
					t.Errorf("no %q steps:\n%s", kind, text)
				}
			}
			if !strings.Contains(text, "BUDGET | ") {
				t.Errorf("no budget lines:\n%s", text)
			}
		})
	}
}

// reAllSteps matches a table's total row: its count, then errors, 500s and 503s at the end.
var reAllSteps = regexp.MustCompile(`(?m)^\s*all steps\s+(\d+)\s.*\s(\d+)\s+(\d+)\s+(\d+)\s*$`)

// TestStudiedLearnersKnowTheAnswers: the page does not say which options are right, so the
// answer key from the course files must find them on the page as the app renders it: every
// question of a lesson gets its right options, in both languages.
func TestStudiedLearnersKnowTheAnswers(t *testing.T) {
	key, err := loadAnswerKey(filepath.Join(apptest.ModuleRoot(t), "courses"))
	if err != nil {
		t.Fatal(err)
	}
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	for _, lang := range []string{"zh-CN", "en"} {
		c.Post("/lang", map[string][]string{"lang": {lang}})
		f, qs := quizOf(c.Get(l.URL()).Body, key)
		if f == nil || len(qs) != len(l.In(lang).Quiz.Questions) {
			t.Fatalf("%s: %d questions read", lang, len(qs))
		}
		for _, q := range qs {
			if len(q.expected) == 0 {
				t.Errorf("%s: no right option found for %s", lang, q.name)
			}
		}
	}
}

package course_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cunlu/app/course"
	"cunlu/app/sandbox"
)

// The shipped courses: clean under the same checks as `cunlu courses lint` (Load and Lint),
// and big enough.
func TestRealCourses(t *testing.T) {
	cat, findings, err := course.Load(os.DirFS("../../courses"), sandbox.KnownTask)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Error(f)
	}
	// The editorial rules, with the interface messages for the glossary, as `courses lint` runs them.
	texts := map[string][]byte{}
	locales, err := filepath.Glob("../web/locales/*.toml")
	if err != nil || len(locales) == 0 {
		t.Fatalf("no interface messages in ../web/locales: %v", err)
	}
	for _, name := range locales {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		texts["app/web/locales/"+filepath.Base(name)] = b
	}
	report, err := course.Lint(os.DirFS("../../courses"), cat, texts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range report.Findings {
		t.Error(f)
	}
	for _, c := range report.Cues {
		t.Log("cues", c)
	}
	if n := len(cat.Courses); n < 6 {
		t.Errorf("%d courses, want at least 6", n)
	}
	if n := cat.LessonCount(); n < 36 {
		t.Errorf("%d lessons, want at least 36", n)
	}
	withTask := 0
	shopping := map[string]bool{} // buy-* and pay-* task ids used in the buying and paying courses
	for _, c := range cat.Courses {
		for _, l := range c.Lessons {
			for _, lang := range course.Langs {
				if lt := l.Text[lang]; lt == nil {
					t.Errorf("%s: no %s text", l.Key(), lang)
				} else if n := len(lt.Quiz.Questions); n < course.MinQuestions || n > course.MaxQuestions {
					t.Errorf("%s (%s): %d questions, want %d to %d", l.Key(), lang, n, course.MinQuestions, course.MaxQuestions)
				}
			}
			if len(l.Tasks) > 0 {
				withTask++
			}
			if c.Slug == "buying-online" || c.Slug == "paying-safely" {
				for _, id := range l.Tasks {
					if strings.HasPrefix(id, "buy-") || strings.HasPrefix(id, "pay-") {
						shopping[id] = true
					}
				}
			}
		}
	}
	if total := cat.LessonCount(); withTask*3 < total*2 {
		t.Errorf("%d of %d lessons have a practice task, want at least two thirds", withTask, total)
	}
	if len(shopping) < 12 {
		t.Errorf("buying-online and paying-safely use %d distinct buy-/pay- tasks, want at least 12: %v", len(shopping), shopping)
	}
	// Every task the sandbox can check is some lesson's (lint keeps it to one lesson).
	for _, id := range sandbox.TaskIDs {
		if len(cat.TaskLessons(id)) == 0 {
			t.Errorf("practice task %s is no lesson's task", id)
		}
	}
	t.Logf("%d courses, %d lessons, %d with a task, %d buy/pay tasks", len(cat.Courses), cat.LessonCount(), withTask, len(shopping))
}

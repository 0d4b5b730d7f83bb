package course_test

import (
	"bytes"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"cunlu/app/course"
)

// FuzzLesson loads any bytes as lesson c/l.zh-CN.md of a small valid course. Load must never
// panic or fail (findings are fine), what it renders must stay safe, and grading any answers
// against whatever loaded must stay consistent.
//
//	go test -run='^$' -fuzz=FuzzLesson -fuzztime=60s ./app/course/
//
// A run is a few milliseconds, so the default minute spent minimising each new input takes
// most of a short run; add -fuzzminimizetime=5s to explore more.
func FuzzLesson(f *testing.F) {
	// A few real lessons, one per course.
	lessons, _ := filepath.Glob("../../courses/*/*.zh-CN.md")
	seen := map[string]bool{}
	for _, name := range lessons {
		dir := filepath.Base(filepath.Dir(name))
		if strings.HasSuffix(name, "/course.zh-CN.md") || seen[dir] {
			continue
		}
		seen[dir] = true
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	// Every Markdown file of the broken cases.
	added := map[string]bool{}
	for _, c := range findingCases() {
		for name, mf := range c.fsys {
			if strings.HasSuffix(name, ".md") && mf != nil && !added[string(mf.Data)] {
				added[string(mf.Data)] = true
				f.Add(mf.Data)
			}
		}
	}
	f.Add([]byte(""))
	f.Add([]byte("---\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("---\r\ntitle: x\r\n---\r\n## Quiz {#quiz}\r\n"))
	// Heading attributes that are not texts (goldmark gives numbers, booleans and lists).
	f.Add([]byte(lessonMD(zh, quizTitle("## 小测验 {id=1}"))))
	f.Add([]byte(lessonMD(zh, body("## 一 {class=2 data-x=true}\n\n文字。\n"))))
	f.Add([]byte(lessonMD(zh, addQuestions("### 问 {#q .a title=[1, 2]}\n"))))

	// The rest of a minimal course: its course files, the English twin (to compare quizzes
	// against) and an image to show.
	base := merge(courseFiles("c"), put("c/l.en.md", lessonMD(en)), fstest.MapFS{"c/images/x.svg": file(svg)})

	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"c/l.zh-CN.md": &fstest.MapFile{Data: data}}
		for name, mf := range base {
			fsys[name] = mf
		}
		cat, findings, err := course.Load(fsys, knownBuy)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if cat == nil {
			t.Fatal("Load: nil catalogue")
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, fd := range findings {
			if fd.File == "" || fd.Msg == "" || fd.Line < 0 {
				t.Errorf("malformed finding %#v", fd)
			}
			if fd.File == "c/l.zh-CN.md" && fd.Line > lines {
				t.Errorf("finding %s: the file has %d lines", fd, lines)
			}
		}

		h := fnv.New64a()
		h.Write(data)
		rnd := rand.New(rand.NewPCG(h.Sum64(), 1))
		for _, c := range cat.Courses {
			for _, l := range c.Lessons {
				for lang, lt := range l.Text {
					checkSafeHTML(t, l.Key()+" "+lang+" body", string(lt.Body))
					for _, q := range lt.Quiz.Questions {
						checkSafeHTML(t, l.Key()+" "+lang+" "+q.ID, string(q.Prompt)+string(q.Context))
						for _, o := range q.Options {
							checkSafeHTML(t, l.Key()+" "+lang+" "+q.ID+o.ID, string(o.Text)+string(o.Explanation))
						}
					}
				}
				if l.Text[course.Langs[0]] != nil {
					gradeAnything(t, l, rnd)
				}
			}
		}
	})
}

// checkSafeHTML fails on a script tag or a javascript: link in rendered content.
func checkSafeHTML(t *testing.T, where, h string) {
	t.Helper()
	low := strings.ToLower(h)
	if strings.Contains(low, "<script") || strings.Contains(low, `href="javascript:`) || strings.Contains(low, `src="javascript:`) {
		t.Errorf("%s: unsafe HTML: %s", where, h)
	}
}

// gradeAnything grades the right answers and some random ones, and checks the results add up.
func gradeAnything(t *testing.T, l *course.Lesson, rnd *rand.Rand) {
	t.Helper()
	qs := l.Text[course.Langs[0]].Quiz.Questions
	rightAnswers := course.Answers{}
	for _, q := range qs {
		for _, o := range q.Options {
			if o.Correct {
				rightAnswers[q.ID] = append(rightAnswers[q.ID], o.ID)
			}
		}
	}
	if g, ok := l.Grade(rightAnswers); ok && (g.Right != g.Total || !g.Passed) {
		t.Errorf("%s: the right answers got %d/%d, passed %v", l.Key(), g.Right, g.Total, g.Passed)
	}
	for range 8 {
		a := course.Answers{}
		for i := range rnd.IntN(len(qs) + 2) {
			id := "q" + string(rune('1'+i))
			for range rnd.IntN(3) {
				a[id] = append(a[id], string(rune('a'+rnd.IntN(7))))
			}
		}
		g, ok := l.Grade(a)
		if !ok {
			continue
		}
		if g.Total != len(qs) || len(g.Questions) != g.Total || g.Right < 0 || g.Right > g.Total {
			t.Errorf("%s: graded %+v for %d questions", l.Key(), g, len(qs))
		}
		if g.Passed != (g.Right >= l.PassMark()) {
			t.Errorf("%s: %d right, pass mark %d, passed %v", l.Key(), g.Right, l.PassMark(), g.Passed)
		}
	}
}

package course_test

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"cunlu/app/course"
)

// The fixtures below build small courses in memory. A file is front matter (one "key: value"
// line each, in order), a body, and for lessons a quiz; edits change one part of it, so a
// broken case names only what it breaks.

const (
	zh = "zh-CN"
	en = "en"
)

// doc is one course file before it is written out.
type doc struct {
	front     []string // "key: value" lines
	text      string   // the body before the quiz
	quizTitle string   // "" for no quiz section
	questions []string
}

// edit changes a doc.
type edit func(*doc)

// set replaces the front matter line of key, or adds one at the end.
func set(key, value string) edit {
	return func(d *doc) {
		line := key + ": " + value
		for i, l := range d.front {
			if strings.HasPrefix(l, key+":") {
				d.front[i] = line
				return
			}
		}
		d.front = append(d.front, line)
	}
}

// del removes the front matter line of key.
func del(key string) edit {
	return func(d *doc) {
		d.front = slices.DeleteFunc(d.front, func(l string) bool { return strings.HasPrefix(l, key+":") })
	}
}

// body replaces the text before the quiz.
func body(s string) edit { return func(d *doc) { d.text = s } }

// quiz replaces the questions.
func quiz(qs ...string) edit { return func(d *doc) { d.questions = qs } }

// addQuestions appends questions to the default ones.
func addQuestions(qs ...string) edit {
	return func(d *doc) { d.questions = append(d.questions, qs...) }
}

// quizTitle replaces the quiz's ## heading; "" removes the quiz section.
func quizTitle(s string) edit { return func(d *doc) { d.quizTitle = s } }

func (d *doc) String() string {
	var b strings.Builder
	b.WriteString("---\n" + strings.Join(d.front, "\n") + "\n---\n" + d.text)
	if d.quizTitle != "" {
		b.WriteString("\n" + d.quizTitle + "\n")
		for _, q := range d.questions {
			b.WriteString("\n" + q)
		}
	}
	return b.String()
}

// courseMD is a valid course.<lang>.md (order 1, for everyone), changed by edits.
func courseMD(lang string, edits ...edit) string {
	d := &doc{
		front: []string{"title: " + pick(lang, "课程", "Course"), "summary: " + pick(lang, "简介", "About"),
			"order: 1", "audience: [partner, villager]"},
		text: pick(lang, "这门课讲网上购物。\n", "This course is about shopping online.\n"),
	}
	for _, e := range edits {
		e(d)
	}
	return d.String()
}

// lessonMD is a valid lesson in lang (order 1, for everyone, reviewed, with a source, three
// questions: single, multiple and true/false), changed by edits.
func lessonMD(lang string, edits ...edit) string {
	d := &doc{
		front: []string{"title: " + pick(lang, "标题", "Title"), "summary: " + pick(lang, "摘要", "Summary"),
			"order: 1", "minutes: 5", "audience: [partner, villager]", "prerequisites: []", "tasks: []",
			"reviewed: 2026-12-07", "sources: [" + pick(lang, "消费者权益保护法 第二十五条", "Consumer Rights Protection Law, Article 25") + "]",
			"no_task: " + pick(lang, "只读一课。", "A reading lesson.")},
		text:      pick(lang, "## 第一节\n\n一段话。\n", "## Part one\n\nA paragraph.\n"),
		quizTitle: pick(lang, "## 小测验 {#quiz}", "## Quiz {#quiz}"),
		questions: defaultQuestions(lang),
	}
	for _, e := range edits {
		e(d)
	}
	return d.String()
}

func defaultQuestions(lang string) []string {
	if lang == zh {
		return []string{
			question("单选题？", right("甲", "甲对。"), wrong("乙", "乙错。"), wrong("丙", "丙错。")),
			question("多选题？", right("甲", "甲对。"), right("乙", "乙也对。"), wrong("丙", "丙错。")),
			question("判断题。", right("对", "是对的。"), wrong("错", "不是错的。")),
		}
	}
	return []string{
		question("Single?", right("A", "A is right."), wrong("B", "B is wrong."), wrong("C", "C is wrong.")),
		question("Multiple?", right("A", "A is right."), right("B", "B is right too."), wrong("C", "C is wrong.")),
		question("True or false.", right("True", "It is true."), wrong("False", "It is not false.")),
	}
}

// question is a ### question followed by its options (or by any other Markdown lines).
func question(prompt string, lines ...string) string {
	return "### " + prompt + "\n\n" + strings.Join(lines, "\n") + "\n"
}

func right(text, why string) string { return "- [x] " + text + "\n  > " + why }
func wrong(text, why string) string { return "- [ ] " + text + "\n  > " + why }

func pick(lang, zhText, enText string) string {
	if lang == zh {
		return zhText
	}
	return enText
}

// both is a lesson's two language files with the same edits.
func both(course, slug string, edits ...edit) fstest.MapFS {
	return fstest.MapFS{
		course + "/" + slug + ".zh-CN.md": file(lessonMD(zh, edits...)),
		course + "/" + slug + ".en.md":    file(lessonMD(en, edits...)),
	}
}

// courseFiles is a course's two course.<lang>.md files with the same edits.
func courseFiles(course string, edits ...edit) fstest.MapFS {
	return fstest.MapFS{
		course + "/course.zh-CN.md": file(courseMD(zh, edits...)),
		course + "/course.en.md":    file(courseMD(en, edits...)),
	}
}

// svg is a tiny image file.
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`

// baseFS is the smallest valid catalogue: course c with lesson l and one image.
func baseFS() fstest.MapFS {
	return merge(courseFiles("c"), both("c", "l"), fstest.MapFS{"c/images/x.svg": file(svg)})
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s), Mode: 0o644} }

// merge combines file systems; later ones replace files of earlier ones, and a nil file
// removes it.
func merge(parts ...fstest.MapFS) fstest.MapFS {
	out := fstest.MapFS{}
	for _, p := range parts {
		for name, f := range p {
			if f == nil {
				delete(out, name)
				continue
			}
			out[name] = f
		}
	}
	return out
}

// load parses fsys and fails the test on an error (findings are returned).
func load(t testing.TB, fsys fstest.MapFS, known func(string) bool) (*course.Catalog, []course.Finding) {
	t.Helper()
	cat, findings, err := course.Load(fsys, known)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cat, findings
}

// mustLoad parses fsys and fails the test on any finding.
func mustLoad(t testing.TB, fsys fstest.MapFS) *course.Catalog {
	t.Helper()
	cat, findings := load(t, fsys, nil)
	for _, f := range findings {
		t.Errorf("unexpected finding: %s", f)
	}
	if t.Failed() {
		t.FailNow()
	}
	return cat
}

// lineOf is the 1-based number of the first line from line 2 on that contains marker, or 0.
// (Line 1 of every file is the --- that opens the front matter.)
func lineOf(content, marker string) int {
	for i, l := range strings.Split(content, "\n") {
		if i > 0 && strings.Contains(l, marker) {
			return i + 1
		}
	}
	return 0
}

package course

import (
	"bytes"
	"compress/gzip"
	"encoding/xml"
	"fmt"
	"html/template"
	stdimage "image"
	_ "image/gif"  // lesson image sizes
	_ "image/jpeg" // lesson image sizes
	_ "image/png"  // lesson image sizes
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yuin/goldmark"
	meta "github.com/yuin/goldmark-meta"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	_ "golang.org/x/image/webp" // lesson image sizes
)

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// reservedSlugs cannot be lesson slugs: they are URL segments of their own.
var reservedSlugs = []string{"images", "quiz", "certificate"}

// newMarkdown returns goldmark as authors use it: GitHub tables, task lists (quiz options),
// strikethrough and autolinks; YAML front matter; heading ids ({#quiz}). The HTML renderer
// stays in its safe mode: raw HTML is dropped and javascript: links are neutralised.
func newMarkdown() goldmark.Markdown {
	return goldmark.New(
		goldmark.WithExtensions(extension.GFM, meta.Meta),
		goldmark.WithParserOptions(parser.WithAttribute(), parser.WithAutoHeadingID()),
		goldmark.WithRendererOptions(html.WithXHTML()),
	)
}

// file is one parsed Markdown file before links are resolved.
type file struct {
	name   string // path inside courses/
	src    []byte
	doc    ast.Node
	meta   map[string]any
	course string
	slug   string // "" for course.*.md
	lang   string
}

type loader struct {
	fsys     fs.FS
	md       goldmark.Markdown
	known    func(taskID string) bool
	findings []Finding
	broken   map[string]bool // files that exist but could not be parsed
}

func (ld *loader) add(name string, line int, format string, args ...any) {
	ld.findings = append(ld.findings, Finding{File: name, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Load reads every course under fsys. knownTask reports whether a practice task id exists.
// It returns the catalogue and every finding; a catalogue with findings should not be served.
func Load(fsys fs.FS, knownTask func(string) bool) (*Catalog, []Finding, error) {
	ld := &loader{fsys: fsys, md: newMarkdown(), known: knownTask, broken: map[string]bool{}}
	cat := &Catalog{bySlug: map[string]*Course{}}
	dirs, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, nil, fmt.Errorf("read courses: %w", err)
	}
	files := map[string]*file{} // by name
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		if !slugPattern.MatchString(d.Name()) {
			ld.add(d.Name(), 0, "course folder name %q is not a slug (lowercase letters, digits and -)", d.Name())
			continue
		}
		entries, err := fs.ReadDir(fsys, d.Name())
		if err != nil {
			return nil, nil, err
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".md") {
				continue
			}
			f, err := ld.parseFile(d.Name(), e.Name())
			if err != nil {
				return nil, nil, err
			}
			if f != nil {
				files[f.name] = f
			}
		}
	}
	// Build courses and lessons from the source-language files.
	for _, d := range dirs {
		if !d.IsDir() || !slugPattern.MatchString(d.Name()) {
			continue
		}
		if c := ld.buildCourse(d.Name(), files); c != nil {
			cat.Courses = append(cat.Courses, c)
			cat.bySlug[c.Slug] = c
		}
	}
	slices.SortStableFunc(cat.Courses, func(a, b *Course) int { return a.Order - b.Order })
	ld.checkOrders(cat, files)
	ld.checkTasks(cat, files)
	// Render once links can be resolved against the whole catalogue.
	for _, c := range cat.Courses {
		for _, lang := range Langs {
			if f := files[path.Join(c.Slug, "course."+lang+".md")]; f != nil {
				body, _ := ld.render(f, cat)
				c.Text[lang].Intro = body
			}
		}
		for _, l := range c.Lessons {
			for _, lang := range Langs {
				f := files[path.Join(c.Slug, l.Slug+"."+lang+".md")]
				if f == nil {
					continue
				}
				ld.renderLesson(f, l, cat)
			}
			ld.compareTranslations(l, files)
		}
	}
	slices.SortStableFunc(ld.findings, func(a, b Finding) int {
		if a.File != b.File {
			return strings.Compare(a.File, b.File)
		}
		return a.Line - b.Line
	})
	return cat, ld.findings, nil
}

// parseFile parses one file's front matter and Markdown. Names must be
// "course.<lang>.md" or "<slug>.<lang>.md".
func (ld *loader) parseFile(course, base string) (*file, error) {
	name := path.Join(course, base)
	stem := strings.TrimSuffix(base, ".md")
	i := strings.LastIndexByte(stem, '.')
	if i < 0 || !slices.Contains(Langs, stem[i+1:]) {
		ld.add(name, 0, "file name must end in .%s.md", strings.Join(Langs, ".md or ."))
		return nil, nil
	}
	slug, lang := stem[:i], stem[i+1:]
	src, err := fs.ReadFile(ld.fsys, name)
	if err != nil {
		return nil, err
	}
	f := &file{name: name, src: src, course: course, lang: lang}
	if slug != "course" {
		f.slug = slug
		if !slugPattern.MatchString(slug) || slices.Contains(reservedSlugs, slug) {
			ld.add(name, 0, "lesson slug %q must be lowercase letters, digits and -, and not one of %v", slug, reservedSlugs)
			return nil, nil
		}
	}
	if !bytes.HasPrefix(src, []byte("---\n")) && !bytes.HasPrefix(src, []byte("---\r\n")) {
		ld.add(name, 1, "missing front matter: the file must start with a --- line")
		ld.broken[name] = true
		return nil, nil
	}
	pc := parser.NewContext()
	if f.doc, err = ld.parse(src, pc); err != nil {
		ld.add(name, 0, "cannot read the Markdown (%v): a {…} after a heading takes #id, .class or name=\"text\"", err)
		ld.broken[name] = true
		return nil, nil
	}
	m, err := meta.TryGet(pc)
	if err != nil {
		// yaml.v2 may place an error at the end of input one line past the file's last line.
		line := min(yamlLine(err), bytes.Count(src, []byte("\n"))+1)
		ld.add(name, line, "bad front matter: %v (put a text containing \": \" in quotes)", err)
		ld.broken[name] = true
		return nil, nil
	}
	f.meta = m
	return f, nil
}

// parse runs goldmark, turning a panic into an error: its heading parser panics on an id
// that is not a text, such as {id=1}.
func (ld *loader) parse(src []byte, pc parser.Context) (doc ast.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			ld.md = newMarkdown() // do not reuse a parser stopped half-way
			doc, err = nil, fmt.Errorf("%v", r)
		}
	}()
	doc = ld.md.Parser().Parse(text.NewReader(src), parser.WithContext(pc))
	return doc, nil
}

var yamlLineRe = regexp.MustCompile(`line (\d+)`)

func yamlLine(err error) int {
	if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
		var n int
		fmt.Sscan(m[1], &n)
		return n + 1 // the --- line comes first
	}
	return 2 // yaml.v2 leaves the line out when it is the first line of the YAML
}

// metaLine finds the line of a front-matter key, for findings.
func metaLine(src []byte, key string) int {
	for i, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(line, key+":") {
			return i + 1
		}
		if i > 0 && strings.TrimSpace(line) == "---" {
			return i + 1
		}
	}
	return 1
}

// lineOf returns the 1-based line of a node, from its own position or its nearest
// positioned ancestor or descendant.
func lineOf(src []byte, n ast.Node) int {
	for p := n; p != nil; p = p.Parent() {
		if pos := nodePos(p); pos >= 0 {
			return bytes.Count(src[:min(pos, len(src))], []byte("\n")) + 1
		}
	}
	return 0
}

func nodePos(n ast.Node) int {
	if n.Type() == ast.TypeBlock && n.Lines().Len() > 0 {
		return n.Lines().At(0).Start
	}
	if pn, ok := n.(interface{ Pos() int }); ok && pn.Pos() >= 0 {
		return pn.Pos()
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if p := nodePos(c); p >= 0 {
			return p
		}
	}
	return -1
}

type fields struct {
	ld   *loader
	f    *file
	seen map[string]bool
}

func (fl *fields) str(key string, required bool) string {
	fl.seen[key] = true
	v, ok := fl.f.meta[key]
	s, isStr := v.(string)
	if !ok || !isStr || strings.TrimSpace(s) == "" {
		if required || (ok && !isStr) {
			fl.ld.add(fl.f.name, metaLine(fl.f.src, key), "front matter %q must be a non-empty text", key)
		}
		return ""
	}
	return strings.TrimSpace(s)
}

// date reads a date written as 2006-01-02 (YAML may have made it a time already).
func (fl *fields) date(key string, required bool) string {
	fl.seen[key] = true
	v, ok := fl.f.meta[key]
	var s string
	switch d := v.(type) {
	case time.Time:
		s = d.Format(time.DateOnly)
	case string:
		if _, err := time.Parse(time.DateOnly, strings.TrimSpace(d)); err == nil {
			s = strings.TrimSpace(d)
		}
	}
	if s == "" && (required || ok) {
		fl.ld.add(fl.f.name, metaLine(fl.f.src, key), "front matter %q must be a date like 2026-12-07", key)
	}
	return s
}

func (fl *fields) num(key string, required bool, lo, hi int) int {
	fl.seen[key] = true
	v, ok := fl.f.meta[key]
	n, isInt := v.(int)
	if !ok {
		if required {
			fl.ld.add(fl.f.name, metaLine(fl.f.src, key), "front matter %q is missing (a number from %d to %d)", key, lo, hi)
		}
		return 0
	}
	if !isInt || n < lo || n > hi {
		fl.ld.add(fl.f.name, metaLine(fl.f.src, key), "front matter %q must be a number from %d to %d", key, lo, hi)
		return 0
	}
	return n
}

func (fl *fields) list(key string, required bool) []string {
	fl.seen[key] = true
	v, ok := fl.f.meta[key]
	if !ok {
		if required {
			fl.ld.add(fl.f.name, metaLine(fl.f.src, key), "front matter %q is missing (a list, [] when empty)", key)
		}
		return nil
	}
	raw, isList := v.([]any)
	if !isList {
		fl.ld.add(fl.f.name, metaLine(fl.f.src, key), "front matter %q must be a list like [a, b]", key)
		return nil
	}
	out := make([]string, 0, len(raw))
	for _, x := range raw {
		s, ok := x.(string)
		if !ok || s == "" {
			fl.ld.add(fl.f.name, metaLine(fl.f.src, key), "front matter %q must list texts", key)
			continue
		}
		out = append(out, s)
	}
	return out
}

func (fl *fields) unknown() {
	for k := range fl.f.meta {
		if !fl.seen[k] {
			fl.ld.add(fl.f.name, metaLine(fl.f.src, k), "unknown front matter field %q", k)
		}
	}
}

func (ld *loader) audience(f *file, fl *fields) []string {
	a := fl.list("audience", true)
	for _, x := range a {
		if x != AudiencePartner && x != AudienceVillager {
			ld.add(f.name, metaLine(f.src, "audience"), "audience %q must be %s or %s", x, AudiencePartner, AudienceVillager)
		}
	}
	if len(a) == 0 {
		ld.add(f.name, metaLine(f.src, "audience"), "audience must name at least one of %s, %s", AudiencePartner, AudienceVillager)
	}
	return a
}

func (ld *loader) buildCourse(slug string, files map[string]*file) *Course {
	srcName := path.Join(slug, "course."+Langs[0]+".md")
	src := files[srcName]
	if src == nil {
		if !ld.broken[srcName] { // a broken file has its own finding
			ld.add(srcName, 0, "course %q has no %s", slug, path.Base(srcName))
		}
		return nil
	}
	c := &Course{Slug: slug, Text: map[string]*CourseText{}, bySlug: map[string]*Lesson{}}
	for _, lang := range Langs {
		f := files[path.Join(slug, "course."+lang+".md")]
		if f == nil {
			if ld.broken[path.Join(slug, "course."+lang+".md")] {
				continue
			}
			ld.add(path.Join(slug, "course."+lang+".md"), 0, "translation missing: %s has no %s version", srcName, lang)
			continue
		}
		fl := &fields{ld: ld, f: f, seen: map[string]bool{}}
		c.Text[lang] = &CourseText{Title: fl.str("title", true), Summary: fl.str("summary", true)}
		order := fl.num("order", true, 1, 999)
		aud := ld.audience(f, fl)
		fl.unknown()
		if lang == Langs[0] {
			c.Order, c.Audience = order, aud
		} else if order != c.Order || !slices.Equal(aud, c.Audience) {
			ld.add(f.name, metaLine(f.src, "order"), "translation front matter differs from %s (order and audience must match)", srcName)
		}
	}
	// Lessons, from the source-language files; every translation is checked against them.
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f := files[name]
		if f.course != slug || f.slug == "" {
			continue
		}
		if f.lang != Langs[0] {
			if source := path.Join(slug, f.slug+"."+Langs[0]+".md"); files[source] == nil && !ld.broken[source] {
				ld.add(f.name, 0, "translation without a source: there is no %s.%s.md", f.slug, Langs[0])
			}
			continue
		}
		l := ld.buildLesson(c, f)
		c.Lessons = append(c.Lessons, l)
		c.bySlug[l.Slug] = l
	}
	slices.SortStableFunc(c.Lessons, func(a, b *Lesson) int { return a.Order - b.Order })
	return c
}

func (ld *loader) buildLesson(c *Course, f *file) *Lesson {
	fl := &fields{ld: ld, f: f, seen: map[string]bool{}}
	l := &Lesson{Course: c, Slug: f.slug, Text: map[string]*LessonText{}}
	l.Order = fl.num("order", true, 1, 999)
	l.Minutes = fl.num("minutes", true, 1, 120)
	l.Audience = ld.audience(f, fl)
	l.Prerequisites = fl.list("prerequisites", true)
	l.Tasks = fl.list("tasks", true)
	l.Pass = ld.passRule(f, fl)
	l.Reviewed = fl.date("reviewed", false)
	fl.str("title", true)
	fl.str("summary", true)
	fl.list("sources", false) // read with the text, by renderLesson
	ld.checkNoTask(f, l.Tasks, fl.str("no_task", false))
	fl.unknown()
	for _, t := range l.Tasks {
		if ld.known != nil && !ld.known(t) {
			ld.add(f.name, metaLine(f.src, "tasks"), "unknown practice task id %q", t)
		}
	}
	return l
}

// checkNoTask: a lesson whose tasks is [] says why in no_task, and only such a lesson has
// one. (A missing or malformed tasks is reported on its own.)
func (ld *loader) checkNoTask(f *file, tasks []string, noTask string) {
	if _, isList := f.meta["tasks"].([]any); !isList {
		return
	}
	switch {
	case len(tasks) == 0 && noTask == "":
		ld.add(f.name, metaLine(f.src, "tasks"), "a lesson without a practice task says why in no_task: <reason> (at most %d lessons may)", MaxNoTask)
	case len(tasks) > 0 && noTask != "":
		ld.add(f.name, metaLine(f.src, "no_task"), "no_task is only for a lesson whose tasks is []")
	}
}

// checkTasks: each practice task belongs to one lesson, which the learner does for that
// lesson (two lessons naming the same id would pass each other), and at most MaxNoTask
// lessons go without one.
func (ld *loader) checkTasks(cat *Catalog, files map[string]*file) {
	owner := map[string]*Lesson{}
	without := 0
	for _, c := range cat.Courses {
		for _, l := range c.Lessons {
			name := path.Join(c.Slug, l.Slug+"."+Langs[0]+".md")
			line := 0
			if f := files[name]; f != nil {
				line = metaLine(f.src, "tasks")
			}
			for _, t := range l.Tasks {
				if first := owner[t]; first != nil {
					ld.add(name, line, "practice task %q is already the task of lesson %s: each lesson has its own", t, first.Key())
					continue
				}
				owner[t] = l
			}
			if len(l.Tasks) == 0 {
				if without++; without > MaxNoTask {
					ld.add(name, line, "more than %d lessons have no practice task: give this one a task that practises it", MaxNoTask)
				}
			}
		}
	}
}

func (ld *loader) passRule(f *file, fl *fields) int {
	fl.seen["pass"] = true
	switch v := f.meta["pass"].(type) {
	case nil:
		return 0
	case string:
		if v == "all" {
			return 0
		}
	case int:
		if v >= 1 {
			return v
		}
	}
	ld.add(f.name, metaLine(f.src, "pass"), `front matter "pass" must be "all" or a number of questions`)
	return 0
}

// checkOrders finds duplicate orders and prerequisites that do not exist or come later.
func (ld *loader) checkOrders(cat *Catalog, files map[string]*file) {
	seen := map[int]string{}
	for _, c := range cat.Courses {
		name := path.Join(c.Slug, "course."+Langs[0]+".md")
		if prev, dup := seen[c.Order]; dup {
			ld.add(name, metaLine(files[name].src, "order"), "course order %d is also used by %s", c.Order, prev)
		}
		seen[c.Order] = c.Slug
		lessonOrder := map[int]string{}
		for _, l := range c.Lessons {
			lname := path.Join(c.Slug, l.Slug+"."+Langs[0]+".md")
			if prev, dup := lessonOrder[l.Order]; dup {
				ld.add(lname, 0, "lesson order %d is also used by %s", l.Order, prev)
			}
			lessonOrder[l.Order] = l.Slug
			for _, p := range l.Prerequisites {
				pl := c.Lesson(p)
				switch {
				case pl == nil:
					ld.add(lname, 0, "prerequisite %q is not a lesson of course %s", p, c.Slug)
				case pl.Order >= l.Order:
					ld.add(lname, 0, "prerequisite %q must come before this lesson (order %d ≥ %d)", p, pl.Order, l.Order)
				}
			}
		}
	}
}

// renderLesson fills l.Text[f.lang]: title, summary, quiz and the body without the quiz.
func (ld *loader) renderLesson(f *file, l *Lesson, cat *Catalog) {
	fl := &fields{ld: ld, f: f, seen: map[string]bool{}}
	t := &LessonText{}
	if f.lang != Langs[0] {
		// The source file's fields were read (and checked) by buildLesson; read and check ours.
		t.Title, t.Summary = fl.str("title", true), fl.str("summary", true)
		tr := &Lesson{}
		tr.Order = fl.num("order", true, 1, 999)
		tr.Minutes = fl.num("minutes", true, 1, 120)
		tr.Audience = fl.list("audience", true)
		tr.Prerequisites = fl.list("prerequisites", true)
		tr.Tasks = fl.list("tasks", true)
		tr.Pass = ld.passRule(f, fl)
		tr.Reviewed = fl.date("reviewed", false)
		t.Sources = fl.list("sources", false)
		t.NoTask = fl.str("no_task", false)
		ld.checkNoTask(f, tr.Tasks, t.NoTask)
		fl.unknown()
		if tr.Order != l.Order || tr.Minutes != l.Minutes || tr.Pass != l.Pass || tr.Reviewed != l.Reviewed || !slices.Equal(tr.Audience, l.Audience) ||
			!slices.Equal(tr.Prerequisites, l.Prerequisites) || !slices.Equal(tr.Tasks, l.Tasks) {
			ld.add(f.name, 1, "translation front matter differs from the %s file (order, minutes, audience, prerequisites, tasks, pass and reviewed must match)", Langs[0])
		}
	} else {
		t.Title, t.Summary = metaString(f.meta, "title"), metaString(f.meta, "summary")
		t.Sources, _ = metaStrings(f.meta, "sources")
		t.NoTask = metaString(f.meta, "no_task")
	}
	// Resolve links and images before the quiz is cut out, so the quiz's are checked too.
	images, urls := ld.resolve(f, cat)
	t.Images = urls
	t.Quiz = ld.extractQuiz(f, l)
	body := ld.renderDoc(f) // without the quiz
	t.Body = body
	var quizHTML strings.Builder
	for _, q := range t.Quiz.Questions {
		quizHTML.WriteString(string(q.Prompt) + string(q.Context))
		for _, o := range q.Options {
			quizHTML.WriteString(string(o.Text) + string(o.Explanation))
		}
	}
	t.Bytes = gzipSize(string(body)+quizHTML.String()) + images
	l.Text[f.lang] = t
}

// metaStrings is a list of texts from front matter already checked by fields.list.
func metaStrings(m map[string]any, key string) ([]string, bool) {
	raw, ok := m[key].([]any)
	var out []string
	for _, x := range raw {
		if s, isStr := x.(string); isStr && s != "" {
			out = append(out, s)
		}
	}
	return out, ok
}

func metaString(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return strings.TrimSpace(s)
}

func gzipSize(s string) int {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
	w.Write([]byte(s))
	w.Close()
	return b.Len()
}

// extractQuiz reads the quiz section (from "## … {#quiz}" to the end), checks it, and
// removes it from the document so the body renders without it.
func (ld *loader) extractQuiz(f *file, l *Lesson) Quiz {
	var start ast.Node
	for n := f.doc.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok && h.Level == 2 {
			if id, ok := h.AttributeString("id"); ok && string(id.([]byte)) == "quiz" {
				start = n
				break
			}
		}
	}
	if start == nil {
		ld.add(f.name, 0, `no quiz: the lesson must end with a "## … {#quiz}" section`)
		return Quiz{}
	}
	var quiz Quiz
	var q *Question
	var nodes []ast.Node
	for n := start; n != nil; n = n.NextSibling() {
		nodes = append(nodes, n)
	}
	for _, n := range nodes[1:] {
		line := lineOf(f.src, n)
		switch n := n.(type) {
		case *ast.Heading:
			if n.Level != 3 {
				ld.add(f.name, line, "inside the quiz, questions are level-3 headings (###)")
				continue
			}
			quiz.Questions = append(quiz.Questions, Question{ID: fmt.Sprintf("q%d", len(quiz.Questions)+1), Prompt: ld.inline(f, n)})
			q = &quiz.Questions[len(quiz.Questions)-1]
		case *ast.Paragraph:
			if q == nil || len(q.Options) > 0 {
				ld.add(f.name, line, "text in the quiz must come right after a question's ### heading")
				continue
			}
			q.Context += ld.block(f, n)
		case *ast.List:
			if q == nil || len(q.Options) > 0 {
				ld.add(f.name, line, "options must follow a ### question, one list per question")
				continue
			}
			q.Options = ld.options(f, n)
			ld.checkQuestion(f, line, q)
		default:
			ld.add(f.name, line, "unexpected %s in the quiz", n.Kind())
		}
	}
	for _, n := range nodes {
		f.doc.RemoveChild(f.doc, n)
	}
	switch n := len(quiz.Questions); {
	case n == 0:
		ld.add(f.name, lineOf(f.src, start), "the quiz has no questions: add ### questions with their options")
	case n > MaxQuestions:
		ld.add(f.name, lineOf(f.src, start), "the quiz has %d questions; a lesson's quiz has at most %d", n, MaxQuestions)
	case l.Pass > n:
		ld.add(f.name, metaLine(f.src, "pass"), "pass %d is more than the %d questions", l.Pass, n)
	}
	for i := range quiz.Questions {
		if len(quiz.Questions[i].Options) == 0 {
			ld.add(f.name, lineOf(f.src, start), "question %d has no options", i+1)
		}
	}
	return quiz
}

func (ld *loader) options(f *file, list *ast.List) []Option {
	var out []Option
	for item := list.FirstChild(); item != nil; item = item.NextSibling() {
		line := lineOf(f.src, item)
		first := item.FirstChild()
		var box *extast.TaskCheckBox
		if first != nil {
			box, _ = first.FirstChild().(*extast.TaskCheckBox)
		}
		if box == nil {
			ld.add(f.name, line, "an option must start with [x] (right) or [ ] (wrong)")
			continue
		}
		first.RemoveChild(first, box)
		o := Option{ID: optionID(len(out)), Correct: box.IsChecked, Text: ld.inline(f, first)}
		for n := first.NextSibling(); n != nil; n = n.NextSibling() {
			if bq, ok := n.(*ast.Blockquote); ok && o.Explanation == "" {
				var b strings.Builder
				for c := bq.FirstChild(); c != nil; c = c.NextSibling() {
					b.WriteString(string(ld.block(f, c)))
				}
				o.Explanation = template.HTML(b.String())
				continue
			}
			ld.add(f.name, lineOf(f.src, n), "under an option only one > explanation may follow")
		}
		if strings.TrimSpace(string(o.Explanation)) == "" {
			ld.add(f.name, line, "option %q has no explanation: add a line \"  > why\" under it", plain(string(o.Text)))
		}
		out = append(out, o)
	}
	return out
}

var tagRe = regexp.MustCompile(`<[^>]*>`)

func plain(h string) string { return strings.TrimSpace(tagRe.ReplaceAllString(h, "")) }

// checkQuestion derives the question's kind and checks its options.
func (ld *loader) checkQuestion(f *file, line int, q *Question) {
	right := 0
	for _, o := range q.Options {
		if o.Correct {
			right++
		}
	}
	texts := make([]string, len(q.Options))
	for i, o := range q.Options {
		texts[i] = plain(string(o.Text))
	}
	switch {
	case len(q.Options) < 2 || len(q.Options) > 5:
		ld.add(f.name, line, "a question needs 2 to 5 options, not %d", len(q.Options))
	case right == 0:
		ld.add(f.name, line, "no right answer: mark at least one option [x]")
	}
	switch {
	case slices.Equal(texts, []string{"对", "错"}) || slices.Equal(texts, []string{"True", "False"}):
		q.Kind = TrueFalse
		if right != 1 {
			ld.add(f.name, line, "a true/false question has exactly one right option")
		}
	case right > 1:
		q.Kind = Multiple
	default:
		q.Kind = Single
	}
}

// inline renders a block's inline content (a heading, a paragraph) without its wrapping tag.
func (ld *loader) inline(f *file, n ast.Node) template.HTML {
	var b bytes.Buffer
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		ld.md.Renderer().Render(&b, f.src, c)
	}
	return template.HTML(strings.TrimSpace(b.String()))
}

func (ld *loader) block(f *file, n ast.Node) template.HTML {
	var b bytes.Buffer
	ld.md.Renderer().Render(&b, f.src, n)
	return template.HTML(b.String())
}

// render resolves links and images, then renders the document. It returns the HTML and the
// total size of the images it shows.
func (ld *loader) render(f *file, cat *Catalog) (template.HTML, int) {
	images, _ := ld.resolve(f, cat)
	return ld.renderDoc(f), images
}

// resolve rewrites the document's links and images to their URLs, reports broken ones, and
// returns the total size of the images and their URLs. Images load lazily and carry their
// size, so a phone downloads only what comes into view and the text does not jump.
func (ld *loader) resolve(f *file, cat *Catalog) (int, []string) {
	images := 0
	var urls []string
	var unsafe []*ast.AutoLink
	ast.Walk(f.doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			n.Destination = []byte(ld.resolveLink(f, n, cat))
		case *ast.Image:
			img := ld.resolveImage(f, n)
			n.Destination = []byte(img.url)
			if img.url == "" {
				break
			}
			images += img.size
			if !slices.Contains(urls, img.url) {
				urls = append(urls, img.url)
			}
			n.SetAttributeString("loading", []byte("lazy"))
			n.SetAttributeString("decoding", []byte("async"))
			if img.width > 0 && img.height > 0 {
				n.SetAttributeString("width", []byte(strconv.Itoa(img.width)))
				n.SetAttributeString("height", []byte(strconv.Itoa(img.height)))
			}
		case *ast.AutoLink:
			// <scheme:…> autolinks follow the same rule as other links.
			dest := string(n.URL(f.src))
			scheme, _, _ := strings.Cut(dest, ":")
			if n.AutoLinkType == ast.AutoLinkURL && !allowedScheme(strings.ToLower(scheme)) {
				ld.add(f.name, lineOf(f.src, n), "link %q uses a scheme that is not allowed", dest)
				unsafe = append(unsafe, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, n := range unsafe {
		n.Parent().ReplaceChild(n.Parent(), n, ast.NewString(n.Label(f.src)))
	}
	return images, urls
}

func allowedScheme(scheme string) bool {
	return scheme == "http" || scheme == "https" || scheme == "mailto" || scheme == "tel"
}

func (ld *loader) renderDoc(f *file) template.HTML {
	var b bytes.Buffer
	if err := ld.md.Renderer().Render(&b, f.src, f.doc); err != nil {
		ld.add(f.name, 0, "render: %v", err)
	}
	return template.HTML(b.String())
}

// resolveLink turns "other-lesson.md" or "../course/lesson.md" into the lesson's URL and
// reports links to lessons or files that do not exist.
func (ld *loader) resolveLink(f *file, n *ast.Link, cat *Catalog) string {
	dest := string(n.Destination)
	u, err := url.Parse(dest)
	if err != nil {
		ld.add(f.name, lineOf(f.src, n), "broken link %q: %v", dest, err)
		return "#"
	}
	if u.Scheme != "" || strings.HasPrefix(dest, "#") {
		if u.Scheme != "" && !allowedScheme(u.Scheme) {
			ld.add(f.name, lineOf(f.src, n), "link %q uses a scheme that is not allowed", dest)
			return "#"
		}
		return dest
	}
	target := path.Clean(path.Join(f.course, u.Path))
	if strings.HasSuffix(target, ".md") {
		parts := strings.Split(strings.TrimSuffix(target, ".md"), "/")
		if len(parts) == 2 {
			slug := parts[1]
			for _, lang := range Langs { // tolerate a language suffix in the link
				slug = strings.TrimSuffix(slug, "."+lang)
			}
			if l := cat.Lesson(parts[0], slug); l != nil {
				out := l.URL()
				if u.Fragment != "" {
					out += "#" + u.Fragment
				}
				return out
			}
			if slug == "course" && cat.Course(parts[0]) != nil {
				return "/courses/" + parts[0]
			}
		}
		ld.add(f.name, lineOf(f.src, n), "broken link %q: no such lesson", dest)
		return "#"
	}
	ld.add(f.name, lineOf(f.src, n), "broken link %q: link to a lesson (.md) or to a web address", dest)
	return "#"
}

// Images must suit a phone on slow data: small files, not wider than a large phone screen.
const (
	maxImageBytes = 150 << 10
	maxImageWidth = 1280
)

// image is a lesson image as the page shows it.
type image struct {
	url           string
	size          int // bytes of the file
	width, height int // in CSS pixels; 0 when unknown
}

// resolveImage checks that an image exists under the course's images/ folder, is light
// enough for a phone, and returns its URL, size and dimensions.
func (ld *loader) resolveImage(f *file, n *ast.Image) image {
	dest := string(n.Destination)
	target := path.Clean(path.Join(f.course, dest))
	if strings.Contains(dest, ":") || !strings.HasPrefix(target, f.course+"/images/") {
		ld.add(f.name, lineOf(f.src, n), "image %q must be a file in %s/images/", dest, f.course)
		return image{}
	}
	st, err := fs.Stat(ld.fsys, target)
	if err != nil || st.IsDir() {
		ld.add(f.name, lineOf(f.src, n), "broken image %q: file not found", dest)
		return image{}
	}
	if len(plain(string(ld.inline(f, n)))) == 0 {
		ld.add(f.name, lineOf(f.src, n), "image %q needs alt text: ![what it shows](%s)", dest, dest)
	}
	img := image{url: "/courses/" + target, size: int(st.Size())}
	if b, err := fs.ReadFile(ld.fsys, target); err == nil {
		img.width, img.height = imageDimensions(b)
	}
	if img.size > maxImageBytes {
		ld.add(f.name, lineOf(f.src, n), "image %q is %d KB; make it smaller than %d KB so it loads on slow phones", dest, (img.size+1023)/1024, maxImageBytes>>10)
	}
	if img.width > maxImageWidth {
		ld.add(f.name, lineOf(f.src, n), "image %q is %d px wide; resize it to at most %d px for phones", dest, img.width, maxImageWidth)
	}
	return img
}

// imageDimensions reads an image's width and height: from the root element of an SVG (its
// width and height, else its viewBox), or from the header of a PNG, JPEG, GIF or WebP.
func imageDimensions(b []byte) (width, height int) {
	if cfg, _, err := stdimage.DecodeConfig(bytes.NewReader(b)); err == nil {
		return cfg.Width, cfg.Height
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err != nil {
			return 0, 0
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if el.Name.Local != "svg" {
			return 0, 0
		}
		var w, h, box string
		for _, a := range el.Attr {
			switch a.Name.Local {
			case "width":
				w = a.Value
			case "height":
				h = a.Value
			case "viewBox":
				box = a.Value
			}
		}
		width, height = svgLength(w), svgLength(h)
		if width > 0 && height > 0 {
			return width, height
		}
		if f := strings.Fields(strings.ReplaceAll(box, ",", " ")); len(f) == 4 {
			return svgLength(f[2]), svgLength(f[3])
		}
		return 0, 0
	}
}

// svgLength reads a length in pixels ("240", "240px", "240.5"); other units give 0.
func svgLength(s string) int {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "px"), 64)
	if err != nil || v <= 0 {
		return 0
	}
	return int(v + 0.5)
}

// compareTranslations checks that every translation's quiz matches the source's question
// for question and option for option, with the same right answers.
func (ld *loader) compareTranslations(l *Lesson, files map[string]*file) {
	src := l.Text[Langs[0]]
	srcName := path.Join(l.Course.Slug, l.Slug+"."+Langs[0]+".md")
	for _, lang := range Langs[1:] {
		name := path.Join(l.Course.Slug, l.Slug+"."+lang+".md")
		t := l.Text[lang]
		if t == nil {
			if files[name] == nil && !ld.broken[name] {
				ld.add(name, 0, "translation missing: %s has no %s version", srcName, lang)
			}
			continue
		}
		if src == nil {
			continue
		}
		if len(t.Quiz.Questions) != len(src.Quiz.Questions) {
			ld.add(name, 0, "translation quiz has %d questions, the source has %d", len(t.Quiz.Questions), len(src.Quiz.Questions))
			continue
		}
		for i := range src.Quiz.Questions {
			a, b := src.Quiz.Questions[i], t.Quiz.Questions[i]
			if a.CorrectMask() != b.CorrectMask() || len(a.Options) != len(b.Options) || a.Kind != b.Kind {
				ld.add(name, 0, "translation quiz question %d does not match the source (options, right answers or kind)", i+1)
			}
		}
	}
}

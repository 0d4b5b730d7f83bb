package course

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v2"
)

// The editorial rules Lint checks beyond what Load needs to serve a catalogue.
const (
	// MinQuestions is the smallest quiz a lesson may have, so that an exam can draw
	// questions from a lesson's pool.
	MinQuestions = 5
	// MaxQuestions is the largest quiz Load accepts: more is a test, not a lesson's check.
	MaxQuestions = 8
	// CueMargin is how far above its fair share (1 in n) the right option of a course's
	// single-choice questions may be the longest before learners can pass by picking the
	// longest option.
	CueMargin = 0.10
	// GlossaryFile is the glossary in the courses folder: one word for one thing.
	GlossaryFile = "glossary.yaml"
)

// Report is what Lint found: the findings, and the quiz cue figures of every course.
type Report struct {
	Findings []Finding
	Cues     []Cues // in catalogue order
}

// Cues are a course's quiz cue figures, counted on its source-language (zh-CN) quizzes,
// which every translation mirrors option for option.
type Cues struct {
	Course string
	// Single is the number of single-choice questions; Longest those whose right option is
	// strictly longer (in characters) than every wrong one; Fair the share Longest would
	// have by chance, the mean of 1/n over them.
	Single, Longest int
	Fair            float64
	// True and False count the true/false questions whose right answer is 对 and 错.
	True, False int
	// AllButOne is the number of multiple-choice questions with every option right but one.
	AllButOne int
	// Hits name the single-choice questions whose right option is the longest, as
	// "lesson.zh-CN.md q3", for authors to rework.
	Hits []string
}

// LongestShare is the share of single-choice questions whose right option is the longest.
func (c Cues) LongestShare() float64 {
	if c.Single == 0 {
		return 0
	}
	return float64(c.Longest) / float64(c.Single)
}

// TooLong reports whether the right option is the longest more often than chance allows.
func (c Cues) TooLong() bool { return c.Single > 0 && c.LongestShare() > c.Fair+CueMargin }

func (c Cues) String() string {
	return fmt.Sprintf("%s: right option longest in %d of %d single-choice questions (%.0f%%, fair share %.0f%%); true/false right answers %d true, %d false; multiple choice with all but one right: %d",
		c.Course, c.Longest, c.Single, 100*c.LongestShare(), 100*c.Fair, c.True, c.False, c.AllButOne)
}

// Term is one glossary entry: write Use, never any of Not.
type Term struct {
	Use string   `yaml:"use"`
	Not []string `yaml:"not"`
}

// Lint checks a catalogue that Load read from fsys against the editorial rules of
// docs/COURSE_FORMAT.md: every lesson names when it was reviewed and the sources it rests
// on, has at least MinQuestions questions, and no course's quizzes let the longest option
// give the answer away. Every course file, and every file of texts (the interface messages,
// by the name to report), must use the words of fsys's glossary.yaml. An error means
// fsys could not be read.
func Lint(fsys fs.FS, cat *Catalog, texts map[string][]byte) (Report, error) {
	var r Report
	add := func(name string, line int, format string, args ...any) {
		r.Findings = append(r.Findings, Finding{File: name, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	src := func(name string) []byte {
		b, _ := fs.ReadFile(fsys, name)
		return b
	}
	for _, c := range cat.Courses {
		for _, l := range c.Lessons {
			zhName := path.Join(c.Slug, l.Slug+"."+Langs[0]+".md")
			if l.Reviewed == "" {
				add(zhName, metaLine(src(zhName), "reviewed"), `front matter "reviewed" is missing: the date the lesson's facts were last checked against its sources, like 2026-12-07 (the same in every language)`)
			}
			for _, lang := range Langs {
				t := l.Text[lang]
				name := path.Join(c.Slug, l.Slug+"."+lang+".md")
				if t == nil {
					continue
				}
				if len(t.Sources) == 0 {
					add(name, metaLine(src(name), "sources"), `front matter "sources" is missing: list the laws, standards or official pages the lesson rests on, by name and article`)
				}
			}
			if t := l.Text[Langs[0]]; t != nil && len(t.Quiz.Questions) > 0 && len(t.Quiz.Questions) < MinQuestions {
				add(zhName, quizLine(src(zhName)), "the quiz has %d questions; a lesson needs at least %d, so that an exam can draw from them", len(t.Quiz.Questions), MinQuestions)
			}
		}
		cues := courseCues(c)
		r.Cues = append(r.Cues, cues)
		if cues.TooLong() {
			add(path.Join(c.Slug, "course."+Langs[0]+".md"), 0,
				"the right option is the longest in %d of %d single-choice questions (%.0f%%), more than the fair share %.0f%% plus %.0f points: make wrong options as long and as specific as right ones (`courses lint -v` lists them)",
				cues.Longest, cues.Single, 100*cues.LongestShare(), 100*cues.Fair, 100*CueMargin)
		}
	}
	terms, err := readGlossary(fsys)
	if err != nil {
		var bad *glossaryError
		if !errors.As(err, &bad) {
			return r, err
		}
		add(GlossaryFile, bad.line, "%s", bad.msg)
	}
	if len(terms) > 0 {
		err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(name, ".md") {
				return err
			}
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				return err
			}
			r.Findings = append(r.Findings, checkTerms(name, b, terms)...)
			return nil
		})
		if err != nil {
			return r, err
		}
		names := make([]string, 0, len(texts))
		for name := range texts {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			r.Findings = append(r.Findings, checkTerms(name, texts[name], terms)...)
		}
	}
	slices.SortStableFunc(r.Findings, func(a, b Finding) int {
		if a.File != b.File {
			return strings.Compare(a.File, b.File)
		}
		return a.Line - b.Line
	})
	return r, nil
}

// quizLine is the line of the quiz heading, "## … {#quiz}".
func quizLine(src []byte) int {
	for i, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(line, "## ") && strings.Contains(line, "{#quiz}") {
			return i + 1
		}
	}
	return 0
}

// courseCues counts a course's quiz cues on its source-language quizzes.
func courseCues(c *Course) Cues {
	cues := Cues{Course: c.Slug}
	var fair float64
	for _, l := range c.Lessons {
		t := l.Text[Langs[0]]
		if t == nil {
			continue
		}
		for _, q := range t.Quiz.Questions {
			right := 0
			for _, o := range q.Options {
				if o.Correct {
					right++
				}
			}
			switch q.Kind {
			case TrueFalse:
				if len(q.Options) > 0 && q.Options[0].Correct {
					cues.True++
				} else {
					cues.False++
				}
			case Multiple:
				if right == len(q.Options)-1 {
					cues.AllButOne++
				}
			case Single:
				if len(q.Options) < 2 {
					continue
				}
				cues.Single++
				fair += 1 / float64(len(q.Options))
				if rightIsLongest(q) {
					cues.Longest++
					cues.Hits = append(cues.Hits, l.Slug+"."+Langs[0]+".md "+q.ID)
				}
			}
		}
	}
	if cues.Single > 0 {
		cues.Fair = fair / float64(cues.Single)
	}
	return cues
}

// rightIsLongest reports whether a single-choice question's right option has more
// characters than every other option.
func rightIsLongest(q Question) bool {
	longest := -1
	for _, o := range q.Options {
		if o.Correct {
			longest = optionLen(o)
		}
	}
	for _, o := range q.Options {
		if !o.Correct && optionLen(o) >= longest {
			return false
		}
	}
	return true
}

func optionLen(o Option) int {
	return utf8.RuneCountInString(html.UnescapeString(plain(string(o.Text))))
}

type glossaryError struct {
	line int
	msg  string
}

func (e *glossaryError) Error() string { return e.msg }

// readGlossary reads glossary.yaml; a courses folder without one has no glossary.
func readGlossary(fsys fs.FS) ([]Term, error) {
	b, err := fs.ReadFile(fsys, GlossaryFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var terms []Term
	if err := yaml.UnmarshalStrict(b, &terms); err != nil {
		return nil, &glossaryError{line: yamlLine(err) - 1, msg: fmt.Sprintf("bad glossary: %v (a list of entries with use: and not: [...])", err)}
	}
	for i, t := range terms {
		if strings.TrimSpace(t.Use) == "" || len(t.Not) == 0 || slices.Contains(t.Not, "") {
			return nil, &glossaryError{msg: fmt.Sprintf("glossary entry %d needs a word to use and the words not to use (use: …, not: [...])", i+1)}
		}
		for _, n := range t.Not {
			if strings.Contains(strings.ToLower(t.Use), strings.ToLower(n)) {
				return nil, &glossaryError{msg: fmt.Sprintf("glossary entry %d: %q bans %q, which is part of the word to use", i+1, t.Use, n)}
			}
		}
	}
	return terms, nil
}

// checkTerms reports every line of a text that uses a word the glossary says not to use.
// Case is ignored, so "Payment password" is caught like "payment password".
func checkTerms(name string, b []byte, terms []Term) []Finding {
	var out []Finding
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, len(b)+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.ToLower(sc.Text())
		for _, t := range terms {
			for _, not := range t.Not {
				if strings.Contains(line, strings.ToLower(not)) {
					out = append(out, Finding{File: name, Line: n, Msg: fmt.Sprintf("write %q, not %q (%s: one word for one thing)", t.Use, not, GlossaryFile)})
				}
			}
		}
	}
	return out
}

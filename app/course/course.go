// Package course reads the Markdown courses in courses/ into a catalogue of courses,
// lessons and quizzes, renders them to safe HTML once, and grades quiz answers. It knows
// nothing of the database or HTTP. Lint findings (with file and line) are what
// `cunlu courses lint` prints and what stops the server from starting with broken content.
package course

import (
	"fmt"
	"html/template"
	"slices"
)

// Langs are the content languages; the first is the source every translation follows.
var Langs = []string{"zh-CN", "en"}

// Audiences a course or lesson may be for.
const (
	AudiencePartner  = "partner"
	AudienceVillager = "villager"
)

// Catalog is every course, in catalogue order.
type Catalog struct {
	Courses []*Course
	bySlug  map[string]*Course
}

// Course returns the course with slug, or nil.
func (c *Catalog) Course(slug string) *Course { return c.bySlug[slug] }

// Lesson returns the lesson, or nil when either slug is unknown.
func (c *Catalog) Lesson(course, lesson string) *Lesson {
	if co := c.bySlug[course]; co != nil {
		return co.Lesson(lesson)
	}
	return nil
}

// TaskLessons returns the lessons that name a practice task (one, once lint passes).
func (c *Catalog) TaskLessons(task string) []*Lesson {
	var out []*Lesson
	for _, co := range c.Courses {
		for _, l := range co.Lessons {
			if slices.Contains(l.Tasks, task) {
				out = append(out, l)
			}
		}
	}
	return out
}

// LessonCount is the number of lessons in all courses.
func (c *Catalog) LessonCount() int {
	n := 0
	for _, co := range c.Courses {
		n += len(co.Lessons)
	}
	return n
}

// Course is one folder of courses/.
type Course struct {
	Slug     string
	Order    int
	Audience []string
	Text     map[string]*CourseText // by language
	Lessons  []*Lesson              // in order
	bySlug   map[string]*Lesson
}

// CourseText is a course's words in one language.
type CourseText struct {
	Title   string
	Summary string
	Intro   template.HTML
}

// Lesson returns the lesson with slug, or nil.
func (c *Course) Lesson(slug string) *Lesson { return c.bySlug[slug] }

// In returns the course's text in lang, falling back to the source language.
func (c *Course) In(lang string) *CourseText {
	if t := c.Text[lang]; t != nil {
		return t
	}
	return c.Text[Langs[0]]
}

// For reports whether a person of the given audience sees the course.
func (c *Course) For(audience string) bool { return forAudience(c.Audience, audience) }

// LessonsFor lists the lessons a person of the given audience sees.
func (c *Course) LessonsFor(audience string) []*Lesson {
	var out []*Lesson
	for _, l := range c.Lessons {
		if l.For(audience) {
			out = append(out, l)
		}
	}
	return out
}

func forAudience(list []string, audience string) bool {
	// Partners teach villagers, so they see everything; villagers see what is for them.
	return audience == AudiencePartner || slices.Contains(list, audience)
}

// Lesson is one lesson with its quiz, in every language.
type Lesson struct {
	Course        *Course
	Slug          string
	Order         int
	Minutes       int
	Audience      []string
	Prerequisites []string // slugs of lessons in the same course
	Tasks         []string // practice task ids, each named by this lesson only
	Pass          int      // questions right needed to pass; 0 means all
	Reviewed      string   // when its facts were last checked against its sources, 2006-01-02
	Text          map[string]*LessonText
}

// MaxNoTask is how many lessons may go without a practice task (each saying why in its
// front matter's no_task): every other lesson practises what it teaches in the sandbox.
const MaxNoTask = 5

// LessonText is a lesson's words in one language.
type LessonText struct {
	Title   string
	Summary string
	Sources []string      // the laws, standards and official pages its facts rest on
	NoTask  string        // why the lesson has no practice task (only when Tasks is empty)
	Body    template.HTML // the lesson without its quiz
	Quiz    Quiz
	Bytes   int      // compressed size of the lesson's text and images, for "download size"
	Images  []string // URLs of the images the lesson and its quiz show, for saving it offline
}

// In returns the lesson's text in lang, falling back to the source language.
func (l *Lesson) In(lang string) *LessonText {
	if t := l.Text[lang]; t != nil {
		return t
	}
	return l.Text[Langs[0]]
}

// For reports whether a person of the given audience sees the lesson.
func (l *Lesson) For(audience string) bool { return forAudience(l.Audience, audience) }

// Key identifies a lesson across the program: "course/lesson".
func (l *Lesson) Key() string { return l.Course.Slug + "/" + l.Slug }

// URL is the lesson's page.
func (l *Lesson) URL() string { return "/courses/" + l.Course.Slug + "/" + l.Slug }

// PassMark is how many questions must be right in one attempt to pass.
func (l *Lesson) PassMark() int {
	n := len(l.Text[Langs[0]].Quiz.Questions)
	if l.Pass > 0 && l.Pass < n {
		return l.Pass
	}
	return n
}

// Kind is a question's kind, derived from its options.
type Kind string

const (
	Single    Kind = "single"    // exactly one right option
	Multiple  Kind = "multiple"  // choose all that are right
	TrueFalse Kind = "truefalse" // options 对/错 or True/False
)

// Quiz is a lesson's questions.
type Quiz struct {
	Questions []Question
}

// Question is one quiz question. IDs ("q1", and options "a", "b", …) are positions, the
// same in every language, so answers in either language are graded alike.
type Question struct {
	ID      string
	Prompt  template.HTML
	Context template.HTML
	Kind    Kind
	Options []Option
}

// Option is one answer to choose, with the explanation shown after grading.
type Option struct {
	ID          string
	Text        template.HTML
	Correct     bool
	Explanation template.HTML
}

// Mask returns the bit set of the option ids (bit 0 = "a").
func (q *Question) Mask(ids []string) (uint8, bool) {
	var m uint8
	for _, id := range ids {
		i := optionIndex(id)
		if i < 0 || i >= len(q.Options) {
			return 0, false
		}
		m |= 1 << i
	}
	return m, true
}

// CorrectMask is the bit set of the right options.
func (q *Question) CorrectMask() uint8 {
	var m uint8
	for i, o := range q.Options {
		if o.Correct {
			m |= 1 << i
		}
	}
	return m
}

func optionID(i int) string { return string(rune('a' + i)) }

func optionIndex(id string) int {
	if len(id) != 1 || id[0] < 'a' || id[0] > 'z' {
		return -1
	}
	return int(id[0] - 'a')
}

// Finding is one problem in the course files, reported with its place.
type Finding struct {
	File string
	Line int
	Msg  string
}

func (f Finding) String() string {
	if f.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Msg)
	}
	return fmt.Sprintf("%s: %s", f.File, f.Msg)
}

package course_test

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"cunlu/app/course"
)

// want is one expected finding. Its line is line, or when at is set, the first line (from
// line 2 on) of the file that contains at.
type want struct {
	file string
	line int
	at   string
	msg  string
}

// Shorthands for the cases: files of course c that replace those of baseFS.
func put(name, content string) fstest.MapFS { return fstest.MapFS{name: file(content)} }
func gone(name string) fstest.MapFS         { return fstest.MapFS{name: nil} }
func zhLesson(edits ...edit) fstest.MapFS   { return put("c/l.zh-CN.md", lessonMD(zh, edits...)) }
func enLesson(edits ...edit) fstest.MapFS   { return put("c/l.en.md", lessonMD(en, edits...)) }
func bothLesson(edits ...edit) fstest.MapFS { return both("c", "l", edits...) }

// withBase is baseFS changed by parts.
func withBase(parts ...fstest.MapFS) fstest.MapFS {
	return merge(append([]fstest.MapFS{baseFS()}, parts...)...)
}

const (
	zhL = "c/l.zh-CN.md"
	enL = "c/l.en.md"
	zhC = "c/course.zh-CN.md"
	enC = "c/course.en.md"
	// closing is the at of the front matter's closing --- line, where a missing key is reported.
	closing = "---"
)

// Questions with one thing wrong, for quiz cases.
var (
	q1 = question("单选题？", right("甲", "甲对。"), wrong("乙", "乙错。"), wrong("丙", "丙错。"))
	q2 = question("多选题？", right("甲", "甲对。"), right("乙", "乙也对。"), wrong("丙", "丙错。"))
	q3 = question("判断题。", right("对", "是对的。"), wrong("错", "不是错的。"))
)

// findingCase is a catalogue with something wrong, and every finding it must give.
type findingCase struct {
	name  string
	fsys  fstest.MapFS
	known func(string) bool
	want  []want
}

func knownBuy(id string) bool { return id == "buy-first-order" }

// findingCases cover every kind of finding Load reports (the fuzz test seeds from them too).
func findingCases() []findingCase {
	return []findingCase{
		// Names of folders and files.
		{name: "course folder not a slug", fsys: withBase(courseFiles("Buying_Online")),
			want: []want{{file: "Buying_Online", msg: `course folder name "Buying_Online" is not a slug`}}},
		{name: "file name without language", fsys: withBase(put("c/notes.md", "notes\n")),
			want: []want{{file: "c/notes.md", msg: "file name must end in .zh-CN.md or .en.md"}}},
		{name: "file name with unknown language", fsys: withBase(put("c/l.fr.md", lessonMD(en))),
			want: []want{{file: "c/l.fr.md", msg: "file name must end in .zh-CN.md or .en.md"}}},
		{name: "files that are not Markdown are ignored", fsys: withBase(put("c/notes.txt", "x"), put("README", "x"))},
		{name: "reserved lesson slug", fsys: withBase(put("c/quiz.zh-CN.md", lessonMD(zh, set("order", "2")))),
			want: []want{{file: "c/quiz.zh-CN.md", msg: `lesson slug "quiz" must be lowercase letters, digits and -, and not one of [images quiz certificate]`}}},
		{name: "reserved lesson slug images", fsys: withBase(put("c/images.en.md", lessonMD(en))),
			want: []want{{file: "c/images.en.md", msg: `lesson slug "images" must be`}}},
		{name: "lesson slug not a slug", fsys: withBase(put("c/Step_One.zh-CN.md", lessonMD(zh, set("order", "2")))),
			want: []want{{file: "c/Step_One.zh-CN.md", msg: `lesson slug "Step_One" must be`}}},

		// Front matter syntax.
		{name: "missing front matter", fsys: withBase(put(zhL, "# 标题\n\n没有前言。\n")),
			want: []want{{file: zhL, line: 1, msg: "missing front matter: the file must start with a --- line"}}},
		{name: "translation without front matter", fsys: withBase(put(enL, "Just text.\n")),
			want: []want{{file: enL, line: 1, msg: "missing front matter"}}},
		{name: "front matter not on the first line", fsys: withBase(put(zhL, "\n"+lessonMD(zh))),
			want: []want{{file: zhL, line: 1, msg: "missing front matter"}}},
		{name: "YAML error in title", fsys: withBase(zhLesson(set("title", "标题: 副标题"))),
			want: []want{{file: zhL, at: "title:", msg: "bad front matter: yaml: mapping values are not allowed"}}},
		{name: "YAML error further down", fsys: withBase(enLesson(set("summary", "Why: because"))),
			want: []want{{file: enL, at: "summary:", msg: `bad front matter: yaml: line 2: mapping values are not allowed in this context (put a text containing ": " in quotes)`}}},
		{name: "YAML error in a list", fsys: withBase(bothLesson(set("tasks", "[a, b"))),
			want: []want{
				{file: enL, at: "tasks:", msg: "bad front matter: yaml: line 7: did not find expected ',' or ']'"},
				{file: zhL, at: "tasks:", msg: "bad front matter: yaml: line 7: did not find expected ',' or ']'"},
			}},
		{name: "front matter that is not a map", fsys: withBase(put(zhL, "---\n- a\n- b\n---\n正文\n")),
			want: []want{{file: zhL, line: 2, msg: "bad front matter: yaml: unmarshal errors"}}},
		{name: "course file without front matter", fsys: withBase(put(zhC, "# 课程\n")),
			want: []want{{file: zhC, line: 1, msg: "missing front matter"}}},
		{name: "heading id that is a number", fsys: withBase(zhLesson(body("## 一 {id=1}\n\n文字。\n"))),
			want: []want{{file: zhL, msg: `): a {…} after a heading takes #id, .class or name="text"`}}},
		{name: "quiz heading id written id=quiz", fsys: withBase(bothLesson(quizTitle(`## 小测验 {id="quiz"}`)))},
		{name: "heading attributes that are numbers or lists", fsys: withBase(bothLesson(
			body("## 一 {title=1 data-n=2.5 data-l=[1, 2] data-b=true}\n\n文字。\n"), quizTitle("## 小测验 {#quiz data-n=3}")))},
		{name: "YAML error in course file", fsys: withBase(put(enC, courseMD(en, set("title", "Buy: online")))),
			want: []want{{file: enC, at: "title:", msg: "bad front matter"}}},
		{name: "Windows line ends are fine", fsys: merge(
			courseFiles("c"), fstest.MapFS{"c/images/x.svg": file(svg)},
			put(zhL, strings.ReplaceAll(lessonMD(zh), "\n", "\r\n")),
			put(enL, strings.ReplaceAll(lessonMD(en), "\n", "\r\n")))},

		// Title and summary.
		{name: "title missing", fsys: withBase(zhLesson(del("title"))),
			want: []want{{file: zhL, at: closing, msg: `front matter "title" must be a non-empty text`}}},
		{name: "title empty", fsys: withBase(zhLesson(set("title", `"  "`))),
			want: []want{{file: zhL, at: "title:", msg: `front matter "title" must be a non-empty text`}}},
		{name: "title not a text", fsys: withBase(zhLesson(set("title", "[a, b]"))),
			want: []want{{file: zhL, at: "title:", msg: `front matter "title" must be a non-empty text`}}},
		{name: "translation summary missing", fsys: withBase(enLesson(del("summary"))),
			want: []want{{file: enL, at: closing, msg: `front matter "summary" must be a non-empty text`}}},
		{name: "translation title a number", fsys: withBase(enLesson(set("title", "42"))),
			want: []want{{file: enL, at: "title:", msg: `front matter "title" must be a non-empty text`}}},
		{name: "course title missing", fsys: withBase(put(zhC, courseMD(zh, del("title")))),
			want: []want{{file: zhC, at: closing, msg: `front matter "title" must be a non-empty text`}}},
		{name: "course summary empty in translation", fsys: withBase(put(enC, courseMD(en, set("summary", `""`)))),
			want: []want{{file: enC, at: "summary:", msg: `front matter "summary" must be a non-empty text`}}},

		// Numbers.
		{name: "lesson order missing", fsys: withBase(bothLesson(del("order"))),
			want: []want{
				{file: enL, at: closing, msg: `front matter "order" is missing (a number from 1 to 999)`},
				{file: zhL, at: closing, msg: `front matter "order" is missing (a number from 1 to 999)`},
			}},
		{name: "lesson order not a number", fsys: withBase(bothLesson(set("order", "first"))),
			want: []want{
				{file: enL, at: "order:", msg: `front matter "order" must be a number from 1 to 999`},
				{file: zhL, at: "order:", msg: `front matter "order" must be a number from 1 to 999`},
			}},
		{name: "lesson order zero", fsys: withBase(bothLesson(set("order", "0"))),
			want: []want{
				{file: enL, at: "order:", msg: `front matter "order" must be a number from 1 to 999`},
				{file: zhL, at: "order:", msg: `front matter "order" must be a number from 1 to 999`},
			}},
		{name: "lesson order a fraction", fsys: withBase(bothLesson(set("order", "1.5"))),
			want: []want{
				{file: enL, at: "order:", msg: `"order" must be a number`},
				{file: zhL, at: "order:", msg: `"order" must be a number`},
			}},
		{name: "course order missing", fsys: withBase(courseFiles("c", del("order"))),
			want: []want{
				{file: enC, at: closing, msg: `front matter "order" is missing (a number from 1 to 999)`},
				{file: zhC, at: closing, msg: `front matter "order" is missing (a number from 1 to 999)`},
			}},
		{name: "course order too big", fsys: withBase(courseFiles("c", set("order", "1000"))),
			want: []want{
				{file: enC, at: "order:", msg: `front matter "order" must be a number from 1 to 999`},
				{file: zhC, at: "order:", msg: `front matter "order" must be a number from 1 to 999`},
			}},
		{name: "minutes missing", fsys: withBase(bothLesson(del("minutes"))),
			want: []want{
				{file: enL, at: closing, msg: `front matter "minutes" is missing (a number from 1 to 120)`},
				{file: zhL, at: closing, msg: `front matter "minutes" is missing (a number from 1 to 120)`},
			}},
		{name: "minutes too many", fsys: withBase(bothLesson(set("minutes", "121"))),
			want: []want{
				{file: enL, at: "minutes:", msg: `front matter "minutes" must be a number from 1 to 120`},
				{file: zhL, at: "minutes:", msg: `front matter "minutes" must be a number from 1 to 120`},
			}},
		{name: "minutes a text", fsys: withBase(bothLesson(set("minutes", "ten"))),
			want: []want{
				{file: enL, at: "minutes:", msg: `front matter "minutes" must be a number from 1 to 120`},
				{file: zhL, at: "minutes:", msg: `front matter "minutes" must be a number from 1 to 120`},
			}},

		// Audience.
		{name: "audience with a bad value", fsys: withBase(bothLesson(set("audience", "[partner, farmer]"))),
			want: []want{{file: zhL, at: "audience:", msg: `audience "farmer" must be partner or villager`}}},
		{name: "audience empty", fsys: withBase(bothLesson(set("audience", "[]"))),
			want: []want{{file: zhL, at: "audience:", msg: "audience must name at least one of partner, villager"}}},
		{name: "audience missing", fsys: withBase(bothLesson(del("audience"))),
			want: []want{
				{file: enL, at: closing, msg: `front matter "audience" is missing (a list, [] when empty)`},
				{file: zhL, at: closing, msg: `front matter "audience" is missing (a list, [] when empty)`},
				{file: zhL, at: closing, msg: "audience must name at least one of partner, villager"},
			}},
		{name: "audience not a list", fsys: withBase(bothLesson(set("audience", "villager"))),
			want: []want{
				{file: enL, at: "audience:", msg: `front matter "audience" must be a list like [a, b]`},
				{file: zhL, at: "audience:", msg: `front matter "audience" must be a list like [a, b]`},
				{file: zhL, at: "audience:", msg: "audience must name at least one"},
			}},
		{name: "audience lists a number", fsys: withBase(bothLesson(set("audience", "[1]"))),
			want: []want{
				{file: enL, at: "audience:", msg: `front matter "audience" must list texts`},
				{file: zhL, at: "audience:", msg: `front matter "audience" must list texts`},
				{file: zhL, at: "audience:", msg: "audience must name at least one"},
			}},
		{name: "course audience with a bad value", fsys: withBase(courseFiles("c", set("audience", "[everyone]"))),
			want: []want{
				{file: enC, at: "audience:", msg: `audience "everyone" must be partner or villager`},
				{file: zhC, at: "audience:", msg: `audience "everyone" must be partner or villager`},
			}},
		{name: "course audience empty", fsys: withBase(courseFiles("c", set("audience", "[]"))),
			want: []want{
				{file: enC, at: "audience:", msg: "audience must name at least one"},
				{file: zhC, at: "audience:", msg: "audience must name at least one"},
			}},

		// Prerequisites.
		{name: "prerequisite unknown", fsys: withBase(bothLesson(set("prerequisites", "[nope]"))),
			want: []want{{file: zhL, msg: `prerequisite "nope" is not a lesson of course c`}}},
		{name: "prerequisite comes later", fsys: withBase(
			bothLesson(set("prerequisites", "[m]")), both("c", "m", set("order", "2"))),
			want: []want{{file: zhL, msg: `prerequisite "m" must come before this lesson (order 2 ≥ 1)`}}},
		{name: "prerequisite is the lesson itself", fsys: withBase(bothLesson(set("prerequisites", "[l]"))),
			want: []want{{file: zhL, msg: `prerequisite "l" must come before this lesson (order 1 ≥ 1)`}}},
		{name: "prerequisite in another course", fsys: withBase(
			bothLesson(set("prerequisites", "[x]")), courseFiles("d", set("order", "2")), both("d", "x")),
			want: []want{{file: zhL, msg: `prerequisite "x" is not a lesson of course c`}}},
		{name: "prerequisites missing", fsys: withBase(bothLesson(del("prerequisites"))),
			want: []want{
				{file: enL, at: closing, msg: `front matter "prerequisites" is missing (a list, [] when empty)`},
				{file: zhL, at: closing, msg: `front matter "prerequisites" is missing (a list, [] when empty)`},
			}},
		{name: "prerequisite that comes first is fine", fsys: withBase(both("c", "m", set("order", "2"), set("prerequisites", "[l]")))},

		// Tasks.
		{name: "unknown task id", known: knownBuy, fsys: withBase(bothLesson(set("tasks", "[buy-first-order, fly-to-moon]"), del("no_task"))),
			want: []want{{file: zhL, at: "tasks:", msg: `unknown practice task id "fly-to-moon"`}}},
		{name: "task ids unchecked without knownTask", fsys: withBase(bothLesson(set("tasks", "[fly-to-moon]"), del("no_task")))},
		{name: "tasks missing", fsys: withBase(bothLesson(del("tasks"))),
			want: []want{
				{file: enL, at: closing, msg: `front matter "tasks" is missing (a list, [] when empty)`},
				{file: zhL, at: closing, msg: `front matter "tasks" is missing (a list, [] when empty)`},
			}},
		{name: "no tasks and no reason", fsys: withBase(bothLesson(del("no_task"))),
			want: []want{
				{file: enL, at: "tasks:", msg: "a lesson without a practice task says why in no_task"},
				{file: zhL, at: "tasks:", msg: "a lesson without a practice task says why in no_task"},
			}},
		{name: "a reason for no task beside a task", known: knownBuy, fsys: withBase(bothLesson(set("tasks", "[buy-first-order]"))),
			want: []want{
				{file: enL, at: "no_task:", msg: "no_task is only for a lesson whose tasks is []"},
				{file: zhL, at: "no_task:", msg: "no_task is only for a lesson whose tasks is []"},
			}},
		{name: "two lessons share a task", known: knownBuy, fsys: withBase(
			bothLesson(set("tasks", "[buy-first-order]"), del("no_task")),
			both("c", "m", set("order", "2"), set("tasks", "[buy-first-order]"), del("no_task"))),
			want: []want{{file: "c/m.zh-CN.md", at: "tasks:", msg: `practice task "buy-first-order" is already the task of lesson c/l`}}},
		{name: "six lessons without a task", fsys: withBase(
			both("c", "m2", set("order", "2")), both("c", "m3", set("order", "3")), both("c", "m4", set("order", "4")),
			both("c", "m5", set("order", "5")), both("c", "m6", set("order", "6"))),
			want: []want{{file: "c/m6.zh-CN.md", at: "tasks:", msg: "more than 5 lessons have no practice task"}}},
		{name: "tasks not a list", known: knownBuy, fsys: withBase(bothLesson(set("tasks", "buy-first-order"))),
			want: []want{
				{file: enL, at: "tasks:", msg: `front matter "tasks" must be a list like [a, b]`},
				{file: zhL, at: "tasks:", msg: `front matter "tasks" must be a list like [a, b]`},
			}},

		// Pass.
		{name: "pass a word", fsys: withBase(bothLesson(set("pass", "most"))),
			want: []want{
				{file: enL, at: "pass:", msg: `front matter "pass" must be "all" or a number of questions`},
				{file: zhL, at: "pass:", msg: `front matter "pass" must be "all" or a number of questions`},
			}},
		{name: "pass zero", fsys: withBase(bothLesson(set("pass", "0"))),
			want: []want{
				{file: enL, at: "pass:", msg: `front matter "pass" must be "all"`},
				{file: zhL, at: "pass:", msg: `front matter "pass" must be "all"`},
			}},
		{name: "pass more than the questions", fsys: withBase(bothLesson(set("pass", "4"))),
			want: []want{
				{file: enL, at: "pass:", msg: "pass 4 is more than the 3 questions"},
				{file: zhL, at: "pass:", msg: "pass 4 is more than the 3 questions"},
			}},
		{name: "pass all and pass equal to the questions are fine",
			fsys: withBase(bothLesson(set("pass", "all")), both("c", "m", set("order", "2"), set("pass", "3")))},

		// Unknown fields.
		{name: "unknown lesson field", fsys: withBase(bothLesson(set("colour", "red"))),
			want: []want{
				{file: enL, at: "colour:", msg: `unknown front matter field "colour"`},
				{file: zhL, at: "colour:", msg: `unknown front matter field "colour"`},
			}},
		{name: "unknown course field", fsys: withBase(put(zhC, courseMD(zh, set("author", "王站长")))),
			want: []want{{file: zhC, at: "author:", msg: `unknown front matter field "author"`}}},
		{name: "lesson field in a course file", fsys: withBase(courseFiles("c", set("minutes", "5"))),
			want: []want{
				{file: enC, at: "minutes:", msg: `unknown front matter field "minutes"`},
				{file: zhC, at: "minutes:", msg: `unknown front matter field "minutes"`},
			}},

		// Orders.
		{name: "duplicate course order", fsys: withBase(courseFiles("d"), both("d", "l")),
			want: []want{{file: "d/course.zh-CN.md", at: "order:", msg: "course order 1 is also used by c"}}},
		{name: "duplicate lesson order", fsys: withBase(both("c", "m")),
			want: []want{{file: "c/m.zh-CN.md", msg: "lesson order 1 is also used by l"}}},

		// Missing and extra files.
		{name: "course without course.zh-CN.md", fsys: withBase(gone(zhC)),
			want: []want{{file: zhC, msg: `course "c" has no course.zh-CN.md`}}},
		{name: "course translation missing", fsys: withBase(gone(enC)),
			want: []want{{file: enC, msg: "translation missing: c/course.zh-CN.md has no en version"}}},
		{name: "lesson translation missing", fsys: withBase(gone(enL)),
			want: []want{{file: enL, msg: "translation missing: c/l.zh-CN.md has no en version"}}},
		{name: "translation without a source", fsys: withBase(put("c/m.en.md", lessonMD(en, set("order", "2")))),
			want: []want{{file: "c/m.en.md", msg: "translation without a source: there is no m.zh-CN.md"}}},

		// Translations that differ.
		{name: "course translation order differs", fsys: withBase(put(enC, courseMD(en, set("order", "2")))),
			want: []want{{file: enC, at: "order:", msg: "translation front matter differs from c/course.zh-CN.md (order and audience must match)"}}},
		{name: "course translation audience differs", fsys: withBase(put(enC, courseMD(en, set("audience", "[villager]")))),
			want: []want{{file: enC, at: "order:", msg: "translation front matter differs from c/course.zh-CN.md"}}},
		{name: "lesson translation minutes differ", fsys: withBase(enLesson(set("minutes", "6"))),
			want: []want{{file: enL, line: 1, msg: "translation front matter differs from the zh-CN file (order, minutes, audience, prerequisites, tasks, pass and reviewed must match)"}}},
		{name: "lesson translation reviewed differs", fsys: withBase(zhLesson(set("reviewed", "2026-12-07")), enLesson(set("reviewed", "2026-12-01"))),
			want: []want{{file: enL, line: 1, msg: "translation front matter differs from the zh-CN file"}}},
		{name: "reviewed is not a date", fsys: withBase(zhLesson(set("reviewed", "last week")), enLesson(set("reviewed", "last week"))),
			want: []want{{file: enL, at: "reviewed:", msg: `front matter "reviewed" must be a date like 2026-12-07`}, {file: zhL, at: "reviewed:", msg: `front matter "reviewed" must be a date like 2026-12-07`}}},
		{name: "sources is not a list", fsys: withBase(zhLesson(set("sources", "消费者权益保护法"))),
			want: []want{{file: zhL, at: "sources:", msg: `front matter "sources" must be a list`}}},
		{name: "lesson translation tasks differ", fsys: withBase(enLesson(set("tasks", "[buy-first-order]"), del("no_task"))),
			want: []want{{file: enL, line: 1, msg: "translation front matter differs from the zh-CN file"}}},
		{name: "lesson translation pass differs", fsys: withBase(enLesson(set("pass", "2"))),
			want: []want{{file: enL, line: 1, msg: "translation front matter differs from the zh-CN file"}}},
		{name: "lesson translation audience in another order", fsys: withBase(enLesson(set("audience", "[villager, partner]"))),
			want: []want{{file: enL, line: 1, msg: "translation front matter differs from the zh-CN file"}}},
		{name: "translation quiz has more questions", fsys: withBase(enLesson(addQuestions(q1))),
			want: []want{{file: enL, msg: "translation quiz has 4 questions, the source has 3"}}},
		{name: "translation quiz right answer differs", fsys: withBase(enLesson(quiz(
			question("Single?", wrong("A", "No."), right("B", "Yes."), wrong("C", "No.")), q2, q3))),
			want: []want{{file: enL, msg: "translation quiz question 1 does not match the source (options, right answers or kind)"}}},
		{name: "translation quiz option missing", fsys: withBase(enLesson(quiz(
			q1, question("Multiple?", right("A", "Yes."), right("B", "Yes.")), q3))),
			want: []want{{file: enL, msg: "translation quiz question 2 does not match the source"}}},
		{name: "translation quiz kind differs", fsys: withBase(enLesson(quiz(
			q1, q2, question("Yes or no?", right("Yes", "Yes."), wrong("No", "No."))))),
			want: []want{{file: enL, msg: "translation quiz question 3 does not match the source"}}},

		// The quiz section.
		{name: "no quiz", fsys: withBase(bothLesson(quizTitle(""))),
			want: []want{
				{file: enL, msg: `no quiz: the lesson must end with a "## … {#quiz}" section`},
				{file: zhL, msg: `no quiz: the lesson must end with a "## … {#quiz}" section`},
			}},
		{name: "quiz heading without its id", fsys: withBase(zhLesson(quizTitle("## 小测验"))),
			want: []want{
				{file: enL, msg: "translation quiz has 3 questions, the source has 0"},
				{file: zhL, msg: "no quiz"},
			}},
		{name: "quiz heading at level 3", fsys: withBase(bothLesson(quizTitle("### 小测验 {#quiz}"))),
			want: []want{{file: enL, msg: "no quiz"}, {file: zhL, msg: "no quiz"}}},
		{name: "quiz without questions", fsys: withBase(bothLesson(quiz())),
			want: []want{
				{file: enL, at: "{#quiz}", msg: "the quiz has no questions: add ### questions with their options"},
				{file: zhL, at: "{#quiz}", msg: "the quiz has no questions"},
			}},
		{name: "quiz with nine questions", fsys: withBase(bothLesson(addQuestions(q1, q2, q3, q1, q2, q3))),
			want: []want{
				{file: enL, at: "{#quiz}", msg: "the quiz has 9 questions; a lesson's quiz has at most 8"},
				{file: zhL, at: "{#quiz}", msg: "the quiz has 9 questions"},
			}},
		{name: "quiz with eight questions is fine", fsys: withBase(bothLesson(quiz(q1, q2, q3, q1, q2, q3, q1, q2)))},
		{name: "a short quiz is Lint's to judge", fsys: withBase(bothLesson(quiz(q1, q2)))},
		{name: "question without options", fsys: withBase(bothLesson(quiz(q1, "### 空题？\n", q2, q3))),
			want: []want{
				{file: enL, at: "{#quiz}", msg: "question 2 has no options"},
				{file: zhL, at: "{#quiz}", msg: "question 2 has no options"},
			}},
		{name: "option without a check box", fsys: withBase(bothLesson(quiz(
			question("单选题？", right("甲", "甲对。"), "- 乙\n  > 乙错。", wrong("丙", "丙错。")), q2, q3))),
			want: []want{
				{file: enL, at: "- 乙", msg: "an option must start with [x] (right) or [ ] (wrong)"},
				{file: zhL, at: "- 乙", msg: "an option must start with [x] (right) or [ ] (wrong)"},
			}},
		{name: "option without explanation", fsys: withBase(bothLesson(quiz(
			question("单选题？", right("甲", "甲对。"), "- [ ] 乙", wrong("丙", "丙错。")), q2, q3))),
			want: []want{
				{file: enL, at: "- [ ] 乙", msg: `option "乙" has no explanation: add a line "  > why" under it`},
				{file: zhL, at: "- [ ] 乙", msg: `option "乙" has no explanation`},
			}},
		{name: "option with an empty explanation", fsys: withBase(bothLesson(quiz(
			question("单选题？", right("甲", "甲对。"), "- [ ] *乙*\n  >", wrong("丙", "丙错。")), q2, q3))),
			want: []want{
				{file: enL, at: "- [ ] *乙*", msg: `option "乙" has no explanation`},
				{file: zhL, at: "- [ ] *乙*", msg: `option "乙" has no explanation`},
			}},
		{name: "option with two explanations", fsys: withBase(bothLesson(quiz(
			question("单选题？", right("甲", "甲对。")+"\n\n  > 第二条。", wrong("乙", "乙错。")), q2, q3))),
			want: []want{
				{file: enL, at: "第二条", msg: "under an option only one > explanation may follow"},
				{file: zhL, at: "第二条", msg: "under an option only one > explanation may follow"},
			}},
		{name: "no right answer", fsys: withBase(bothLesson(quiz(
			question("单选题？", wrong("甲", "甲错。"), wrong("乙", "乙错。")), q2, q3))),
			want: []want{
				{file: enL, at: "- [ ] 甲", msg: "no right answer: mark at least one option [x]"},
				{file: zhL, at: "- [ ] 甲", msg: "no right answer: mark at least one option [x]"},
			}},
		{name: "one option", fsys: withBase(bothLesson(quiz(question("单选题？", right("甲", "甲对。")), q2, q3))),
			want: []want{
				{file: enL, at: "- [x] 甲", msg: "a question needs 2 to 5 options, not 1"},
				{file: zhL, at: "- [x] 甲", msg: "a question needs 2 to 5 options, not 1"},
			}},
		{name: "six options", fsys: withBase(bothLesson(quiz(question("单选题？", right("甲", "对。"),
			wrong("乙", "错。"), wrong("丙", "错。"), wrong("丁", "错。"), wrong("戊", "错。"), wrong("己", "错。")), q2, q3))),
			want: []want{
				{file: enL, at: "- [x] 甲", msg: "a question needs 2 to 5 options, not 6"},
				{file: zhL, at: "- [x] 甲", msg: "a question needs 2 to 5 options, not 6"},
			}},
		{name: "true/false with two right", fsys: withBase(bothLesson(quiz(q1, q2,
			question("判断题。", right("对", "对。"), right("错", "也对？"))))),
			want: []want{
				{file: enL, at: "- [x] 对", msg: "a true/false question has exactly one right option"},
				{file: zhL, at: "- [x] 对", msg: "a true/false question has exactly one right option"},
			}},
		{name: "true/false with none right", fsys: withBase(bothLesson(quiz(q1, q2,
			question("Judge.", wrong("True", "No."), wrong("False", "No."))))),
			want: []want{
				{file: enL, at: "- [ ] True", msg: "no right answer"},
				{file: enL, at: "- [ ] True", msg: "a true/false question has exactly one right option"},
				{file: zhL, at: "- [ ] True", msg: "no right answer"},
				{file: zhL, at: "- [ ] True", msg: "a true/false question has exactly one right option"},
			}},
		{name: "text after the options", fsys: withBase(bothLesson(quiz(q1+"\n补充一句。\n", q2, q3))),
			want: []want{
				{file: enL, at: "补充一句", msg: "text in the quiz must come right after a question's ### heading"},
				{file: zhL, at: "补充一句", msg: "text in the quiz must come right after a question's ### heading"},
			}},
		{name: "text before the first question", fsys: withBase(bothLesson(quiz("开场白。\n", q1, q2, q3))),
			want: []want{
				{file: enL, at: "开场白", msg: "text in the quiz must come right after"},
				{file: zhL, at: "开场白", msg: "text in the quiz must come right after"},
			}},
		{name: "context paragraph after the question is fine", fsys: withBase(bothLesson(quiz(
			question("单选题？", "王大妈要买化肥。\n", right("甲", "甲对。"), wrong("乙", "乙错。")), q2, q3)))},
		{name: "second option list", fsys: withBase(bothLesson(quiz(q1+"\n* [x] 丁\n  > 丁对。\n", q2, q3))),
			want: []want{
				{file: enL, at: "* [x] 丁", msg: "options must follow a ### question, one list per question"},
				{file: zhL, at: "* [x] 丁", msg: "options must follow a ### question, one list per question"},
			}},
		{name: "options before the first question", fsys: withBase(bothLesson(quiz(right("零", "零。")+"\n", q1, q2, q3))),
			want: []want{
				{file: enL, at: "- [x] 零", msg: "options must follow a ### question"},
				{file: zhL, at: "- [x] 零", msg: "options must follow a ### question"},
			}},
		{name: "level-4 heading in the quiz", fsys: withBase(bothLesson(addQuestions("#### 小标题\n"))),
			want: []want{
				{file: enL, at: "#### 小标题", msg: "inside the quiz, questions are level-3 headings (###)"},
				{file: zhL, at: "#### 小标题", msg: "inside the quiz, questions are level-3 headings (###)"},
			}},
		{name: "level-2 heading after the quiz", fsys: withBase(bothLesson(addQuestions("## 附录\n"))),
			want: []want{
				{file: enL, at: "## 附录", msg: "questions are level-3 headings"},
				{file: zhL, at: "## 附录", msg: "questions are level-3 headings"},
			}},
		{name: "code block in the quiz", fsys: withBase(bothLesson(addQuestions("```\ncode\n```\n"))),
			want: []want{
				{file: enL, at: "code", msg: "unexpected FencedCodeBlock in the quiz"},
				{file: zhL, at: "code", msg: "unexpected FencedCodeBlock in the quiz"},
			}},
		{name: "rule in the quiz", fsys: withBase(bothLesson(addQuestions("***\n"))),
			want: []want{
				{file: enL, at: "***", msg: "unexpected ThematicBreak in the quiz"},
				{file: zhL, at: "***", msg: "unexpected ThematicBreak in the quiz"},
			}},

		// Links.
		{name: "link to a lesson that does not exist", fsys: withBase(zhLesson(body("## 一\n\n先看[别课](nope.md)。\n"))),
			want: []want{{file: zhL, at: "nope.md", msg: `broken link "nope.md": no such lesson`}}},
		{name: "link to a course that does not exist", fsys: withBase(zhLesson(body("## 一\n\n看[别课](../nope/l.md)。\n"))),
			want: []want{{file: zhL, at: "../nope/l.md", msg: `broken link "../nope/l.md": no such lesson`}}},
		{name: "link above the courses", fsys: withBase(zhLesson(body("## 一\n\n看[别课](../../l.md)。\n"))),
			want: []want{{file: zhL, at: "../../l.md", msg: `broken link "../../l.md": no such lesson`}}},
		{name: "javascript link", fsys: withBase(zhLesson(body("## 一\n\n点[这里](javascript:alert(1))。\n"))),
			want: []want{{file: zhL, at: "javascript:", msg: `link "javascript:alert(1)" uses a scheme that is not allowed`}}},
		{name: "javascript autolink", fsys: withBase(zhLesson(body("## 一\n\n点 <JavaScript:alert(1)>。\n"))),
			want: []want{{file: zhL, at: "JavaScript:", msg: `link "JavaScript:alert(1)" uses a scheme that is not allowed`}}},
		{name: "autolink with an unknown scheme", fsys: withBase(zhLesson(body("## 一\n\n看 <weixin://dl/chat>。\n"))),
			want: []want{{file: zhL, at: "weixin:", msg: `link "weixin://dl/chat" uses a scheme that is not allowed`}}},
		{name: "data link", fsys: withBase(enLesson(body("## One\n\nA\n\nSee [this](data:text/html,hi).\n"))),
			want: []want{{file: enL, at: "data:", msg: `link "data:text/html,hi" uses a scheme that is not allowed`}}},
		{name: "link to a file that is not a lesson", fsys: withBase(zhLesson(body("## 一\n\n下载[表格](table.pdf)。\n"))),
			want: []want{{file: zhL, at: "table.pdf", msg: `broken link "table.pdf": link to a lesson (.md) or to a web address`}}},
		{name: "link that is not a URL", fsys: withBase(zhLesson(body("## 一\n\n看[这里](http://a%zz)。\n"))),
			want: []want{{file: zhL, at: "a%zz", msg: `broken link "http://a%zz": `}}},
		{name: "broken link in the quiz", fsys: withBase(bothLesson(quiz(
			question("单选题？", right("见[别课](nope.md)", "甲对。"), wrong("乙", "乙错。")), q2, q3))),
			want: []want{
				{file: enL, at: "nope.md", msg: `broken link "nope.md": no such lesson`},
				{file: zhL, at: "nope.md", msg: `broken link "nope.md": no such lesson`},
			}},
		{name: "broken link in an explanation", fsys: withBase(bothLesson(quiz(
			question("单选题？", right("甲", "见[别课](nope.md)。"), wrong("乙", "乙错。")), q2, q3))),
			want: []want{
				{file: enL, at: "nope.md", msg: `broken link "nope.md": no such lesson`},
				{file: zhL, at: "nope.md", msg: `broken link "nope.md": no such lesson`},
			}},
		{name: "broken link on a paragraph's third line", fsys: withBase(zhLesson(body("## 一\n\n第一行，\n第二行，\n看[别课](nope.md)。\n"))),
			want: []want{{file: zhL, at: "nope.md", msg: `broken link "nope.md": no such lesson`}}},
		{name: "broken link in a course introduction", fsys: withBase(put(zhC, courseMD(zh, body("先学[第一课](first.md)。\n")))),
			want: []want{{file: zhC, at: "first.md", msg: `broken link "first.md": no such lesson`}}},
		{name: "links that are fine", fsys: withBase(zhLesson(body("## 一\n\n" +
			"[本课](l.md) [带语言](l.zh-CN.md) [段落](l.md#part) [课程](course.md) [锚](#quiz)\n" +
			"[网站](https://example.com/a?b=c) [信](mailto:a@example.com) [电话](tel:12345) <https://example.com>\n" +
			"<a@example.com> www.example.com https://example.com/x <mailto:a@example.com>\n")))},

		// Images.
		{name: "image missing", fsys: withBase(zhLesson(body("## 一\n\n![购物车](images/cart.svg)\n"))),
			want: []want{{file: zhL, at: "images/cart.svg", msg: `broken image "images/cart.svg": file not found`}}},
		{name: "image is the images folder", fsys: withBase(zhLesson(body("## 一\n\n![购物车](images/)\n"))),
			want: []want{{file: zhL, at: "images/", msg: `image "images/" must be a file in c/images/`}}},
		{name: "image outside images/", fsys: withBase(put("c/x.svg", svg), zhLesson(body("## 一\n\n![购物车](x.svg)\n"))),
			want: []want{{file: zhL, at: "x.svg", msg: `image "x.svg" must be a file in c/images/`}}},
		{name: "image of another course", fsys: withBase(courseFiles("d", set("order", "2")), both("d", "l"),
			put("d/images/x.svg", svg), zhLesson(body("## 一\n\n![购物车](../d/images/x.svg)\n"))),
			want: []want{{file: zhL, at: "../d/images", msg: `image "../d/images/x.svg" must be a file in c/images/`}}},
		{name: "image on the web", fsys: withBase(zhLesson(body("## 一\n\n![购物车](https://example.com/x.png)\n"))),
			want: []want{{file: zhL, at: "example.com", msg: `image "https://example.com/x.png" must be a file in c/images/`}}},
		{name: "image without alt text", fsys: withBase(zhLesson(body("## 一\n\n文字\n\n![](images/x.svg)\n"))),
			want: []want{{file: zhL, at: "![](images/x.svg)", msg: `image "images/x.svg" needs alt text: ![what it shows](images/x.svg)`}}},
		{name: "image in a quiz explanation", fsys: withBase(bothLesson(quiz(
			question("单选题？", right("甲", "看图：![](images/x.svg)"), wrong("乙", "乙错。")), q2, q3))),
			want: []want{
				{file: enL, at: "![](images/x.svg)", msg: "needs alt text"},
				{file: zhL, at: "![](images/x.svg)", msg: "needs alt text"},
			}},
	}
}

func TestLoadFindings(t *testing.T) {
	for _, tt := range findingCases() {
		t.Run(tt.name, func(t *testing.T) {
			_, findings := load(t, tt.fsys, tt.known)
			if !isSorted(findings) {
				t.Errorf("findings are not sorted by file and line: %v", findings)
			}
			matched := make([]bool, len(findings))
			for _, w := range tt.want {
				line := w.line
				if w.at != "" {
					f := tt.fsys[w.file]
					if f == nil {
						t.Fatalf("bad case: no file %s", w.file)
					}
					if line = lineOf(string(f.Data), w.at); line == 0 {
						t.Fatalf("bad case: %q is not in %s", w.at, w.file)
					}
				}
				found := false
				for i, f := range findings {
					if !matched[i] && f.File == w.file && f.Line == line && strings.Contains(f.Msg, w.msg) {
						matched[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("missing finding %s:%d: …%s…", w.file, line, w.msg)
				}
			}
			for i, f := range findings {
				if !matched[i] {
					t.Errorf("unexpected finding %s", f)
				}
			}
		})
	}
}

func isSorted(fs []course.Finding) bool {
	for i := 1; i < len(fs); i++ {
		a, b := fs[i-1], fs[i]
		if a.File > b.File || (a.File == b.File && a.Line > b.Line) {
			return false
		}
	}
	return true
}

func TestFindingString(t *testing.T) {
	for _, tt := range []struct {
		f    course.Finding
		want string
	}{
		{course.Finding{File: "c/l.zh-CN.md", Line: 7, Msg: "bad"}, "c/l.zh-CN.md:7: bad"},
		{course.Finding{File: "c/l.zh-CN.md", Msg: "bad"}, "c/l.zh-CN.md: bad"},
	} {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

// A file system that cannot be read is an error, not a finding.
func TestLoadUnreadable(t *testing.T) {
	if _, _, err := course.Load(errFS{}, nil); err == nil {
		t.Fatal("Load of an unreadable file system: no error")
	}
}

type errFS struct{}

func (errFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("disk on fire")}
}

// The base fixture itself has no findings, so every finding above comes from its case.
func TestBaseFixtureIsClean(t *testing.T) {
	cat := mustLoad(t, baseFS())
	if len(cat.Courses) != 1 || cat.LessonCount() != 1 {
		t.Fatalf("got %d courses and %d lessons, want 1 and 1", len(cat.Courses), cat.LessonCount())
	}
}

// The editorial rules of Lint, on catalogues Load accepts.

var (
	q4 = question("第四题？", wrong("丁丁", "丁丁错。"), right("戊戊", "戊戊对。"))
	q5 = question("第五题。", wrong("对", "不对。"), right("错", "是错的。"))
	// cue is a single-choice question whose right option is the longest of three.
	cue = question("哪个对？", right("最长的那个答案", "对。"), wrong("短的", "错。"), wrong("也短", "错。"))
)

// pool gives a lesson the five questions Lint wants.
func pool() edit { return quiz(q1, q2, q3, q4, q5) }

// lintBase is baseFS with five questions and a glossary.
func lintBase(parts ...fstest.MapFS) fstest.MapFS {
	return merge(append([]fstest.MapFS{baseFS(), bothLesson(pool()), put(course.GlossaryFile, glossary)}, parts...)...)
}

const glossary = `# One word for one thing.
- use: 支付密码
  not: [付款密码]
- use: payment PIN
  not: [payment password, pay password]
`

type lintCase struct {
	name  string
	fsys  fstest.MapFS
	texts map[string][]byte
	want  []want
}

func lintCases() []lintCase {
	return []lintCase{
		{name: "clean", fsys: lintBase(), texts: map[string][]byte{"ui/zh-CN.toml": []byte("pin = \"支付密码\"\n")}},
		{name: "no glossary is fine", fsys: lintBase(gone(course.GlossaryFile))},

		// Reviewed and sources.
		{name: "reviewed missing", fsys: lintBase(bothLesson(pool(), del("reviewed"))),
			want: []want{{file: zhL, at: closing, msg: `front matter "reviewed" is missing: the date the lesson's facts were last checked`}}},
		{name: "sources missing in the translation", fsys: lintBase(enLesson(pool(), del("sources"))),
			want: []want{{file: enL, at: closing, msg: `front matter "sources" is missing: list the laws, standards or official pages`}}},
		{name: "sources an empty list", fsys: lintBase(zhLesson(pool(), set("sources", "[]"))),
			want: []want{{file: zhL, at: "sources:", msg: `front matter "sources" is missing`}}},
		{name: "course files need neither", fsys: lintBase(courseFiles("c"))},

		// The question pool.
		{name: "four questions", fsys: lintBase(bothLesson(quiz(q1, q2, q3, q4))),
			want: []want{{file: zhL, at: "{#quiz}", msg: "the quiz has 4 questions; a lesson needs at least 5, so that an exam can draw from them"}}},
		{name: "eight questions are fine", fsys: lintBase(bothLesson(quiz(q1, q2, q3, q4, q5, q1, q2, q3)))},

		// Cues. Three-option questions: the fair share is 33%, so 43% may be longest.
		{name: "right option longest too often", fsys: lintBase(bothLesson(quiz(cue, cue, q1, q2, q3)), both("c", "m", set("order", "2"), quiz(cue, q1, q3, q2, q3))),
			want: []want{{file: zhC, msg: "the right option is the longest in 3 of 5 single-choice questions (60%), more than the fair share 33% plus 10 points"}}},
		{name: "right option longest within the margin", fsys: lintBase(bothLesson(quiz(cue, q1, q2, q3, q5)), both("c", "m", set("order", "2"), quiz(cue, q1, q1, q1, q3)))},
		{name: "cues count per course", fsys: lintBase(
			courseFiles("d", set("order", "2")), both("d", "x", quiz(cue, q1, q2, q3, q5))),
			want: []want{{file: "d/course.zh-CN.md", msg: "the right option is the longest in 1 of 2"}}},

		// The glossary.
		{name: "banned word in a lesson", fsys: lintBase(zhLesson(pool(), body("## 一\n\n第一行。\n设置付款密码。\n"))),
			want: []want{{file: zhL, at: "付款密码", msg: `write "支付密码", not "付款密码" (glossary.yaml: one word for one thing)`}}},
		{name: "banned word in any case, twice on a line", fsys: lintBase(enLesson(pool(), body("## One\n\nSet a Payment Password, a pay password.\n"))),
			want: []want{
				{file: enL, at: "Payment Password", msg: `write "payment PIN", not "payment password"`},
				{file: enL, at: "Payment Password", msg: `write "payment PIN", not "pay password"`},
			}},
		{name: "banned word in a quiz explanation", fsys: lintBase(bothLesson(quiz(q1, q2, q3, q4,
			question("第五题。", wrong("对", "不对，付款密码要自己输。"), right("错", "是错的。"))))),
			want: []want{
				{file: enL, at: "付款密码", msg: `not "付款密码"`},
				{file: zhL, at: "付款密码", msg: `not "付款密码"`},
			}},
		{name: "banned word in a course file", fsys: lintBase(put(zhC, courseMD(zh, body("学会用付款密码。\n")))),
			want: []want{{file: zhC, at: "付款密码", msg: `not "付款密码"`}}},
		{name: "banned word in an interface message", fsys: lintBase(),
			texts: map[string][]byte{"ui/zh-CN.toml": []byte("a = \"好\"\nb = \"设置付款密码\"\n")},
			want:  []want{{file: "ui/zh-CN.toml", line: 2, msg: `write "支付密码", not "付款密码"`}}},
		{name: "glossary not YAML", fsys: lintBase(put(course.GlossaryFile, "- use: 支付密码\n  not: [付款密码\n")),
			want: []want{{file: course.GlossaryFile, line: 2, msg: "bad glossary: yaml: line 2: did not find expected ',' or ']'"}}},
		{name: "glossary entry with an unknown field", fsys: lintBase(put(course.GlossaryFile, "- use: 支付密码\n  never: [付款密码]\n")),
			want: []want{{file: course.GlossaryFile, line: 2, msg: "bad glossary: yaml: unmarshal errors"}}},
		{name: "glossary entry without words not to use", fsys: lintBase(put(course.GlossaryFile, "- use: 支付密码\n")),
			want: []want{{file: course.GlossaryFile, msg: "glossary entry 1 needs a word to use and the words not to use"}}},
		{name: "glossary entry banning its own word", fsys: lintBase(put(course.GlossaryFile, "- use: 支付密码\n  not: [密码]\n")),
			want: []want{{file: course.GlossaryFile, msg: `glossary entry 1: "支付密码" bans "密码", which is part of the word to use`}}},
	}
}

func TestLint(t *testing.T) {
	for _, tt := range lintCases() {
		t.Run(tt.name, func(t *testing.T) {
			cat := mustLoad(t, tt.fsys)
			r, err := course.Lint(tt.fsys, cat, tt.texts)
			if err != nil {
				t.Fatal(err)
			}
			if !isSorted(r.Findings) {
				t.Errorf("findings are not sorted by file and line: %v", r.Findings)
			}
			matched := make([]bool, len(r.Findings))
			for _, w := range tt.want {
				line := w.line
				if w.at != "" {
					f := tt.fsys[w.file]
					if f == nil {
						t.Fatalf("bad case: no file %s", w.file)
					}
					if line = lineOf(string(f.Data), w.at); line == 0 {
						t.Fatalf("bad case: %q is not in %s", w.at, w.file)
					}
				}
				found := false
				for i, f := range r.Findings {
					if !matched[i] && f.File == w.file && f.Line == line && strings.Contains(f.Msg, w.msg) {
						matched[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("missing finding %s:%d: …%s…", w.file, line, w.msg)
				}
			}
			for i, f := range r.Findings {
				if !matched[i] {
					t.Errorf("unexpected finding %s", f)
				}
			}
		})
	}
}

// The cue figures count every kind of question of a course's source-language quizzes.
func TestLintCueFigures(t *testing.T) {
	twoRightOfFour := question("多选？", right("甲", "对。"), right("乙", "对。"), wrong("丙", "错。"), wrong("丁", "错。"))
	fsys := lintBase(bothLesson(quiz(q1, q2, q3, q4, q5)), both("c", "m", set("order", "2"), quiz(cue, twoRightOfFour, q5, q5, q1)))
	r, err := course.Lint(fsys, mustLoad(t, fsys), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Cues) != 1 {
		t.Fatalf("%d cue figures, want one per course: %v", len(r.Cues), r.Cues)
	}
	c := r.Cues[0]
	// Single: q1 (3 options), q4 (2), cue (3), q1 (3); fair = (1/3 + 1/2 + 1/3 + 1/3) / 4 = 0.375.
	if c.Course != "c" || c.Single != 4 || c.Longest != 1 || c.Fair < 0.3749 || c.Fair > 0.3751 {
		t.Errorf("single choice: %+v, want 4 questions, 1 longest, fair 0.375", c)
	}
	if c.True != 1 || c.False != 3 || c.AllButOne != 1 {
		t.Errorf("true %d false %d all-but-one %d, want 1, 3 and 1 (q2, not the two-of-four)", c.True, c.False, c.AllButOne)
	}
	if len(c.Hits) != 1 || c.Hits[0] != "m.zh-CN.md q1" {
		t.Errorf("hits %v, want [m.zh-CN.md q1]", c.Hits)
	}
	if c.LongestShare() != 0.25 || c.TooLong() {
		t.Errorf("share %v too long %v, want 0.25 and not too long", c.LongestShare(), c.TooLong())
	}
	if s := c.String(); !strings.Contains(s, "c: right option longest in 1 of 4 single-choice questions (25%, fair share 37%)") || !strings.Contains(s, "1 true, 3 false") {
		t.Errorf("String() = %q", s)
	}
}

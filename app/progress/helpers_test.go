package progress_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/course"
	"cunlu/app/errs"
	"cunlu/app/progress"
)

// The test catalogue: course "buying" with
//
//	first-order  partner+villager, tasks [buy-first-order]
//	pickup       partner+villager, prerequisite first-order, no tasks
//	helping      partner only, no tasks
//
// and course "scams" with one lesson, fake-calls, task [scam-report-refund-call]. Every quiz
// has the same three questions: q1 single (a right, b wrong), q2 multiple (a and b right, c
// wrong), q3 true/false (a right).
const (
	courseBuying = "buying"
	courseScams  = "scams"
	taskOrder    = "buy-first-order"
	taskScam     = "scam-report-refund-call"
)

func fixtureFS() fstest.MapFS {
	fsys := fstest.MapFS{}
	add := func(name, text string) { fsys[name] = &fstest.MapFile{Data: []byte(text)} }
	courseFile := func(title string, order int) string {
		return fmt.Sprintf("---\ntitle: %s\nsummary: %s summary\norder: %d\naudience: [partner, villager]\n---\n%s intro.\n", title, title, order, title)
	}
	lesson := func(slug string, order int, audience, prereqs, tasks, zhTitle, enTitle string) (zh, en string) {
		front := func(title string) string {
			noTask := ""
			if tasks == "[]" {
				noTask = "no_task: " + title + "\n"
			}
			return fmt.Sprintf("---\ntitle: %s\nsummary: %s。\norder: %d\nminutes: 5\naudience: %s\nprerequisites: %s\ntasks: %s\n%s---\n", title, title, order, audience, prereqs, tasks, noTask)
		}
		zh = front(zhTitle) + "这一课讲" + zhTitle + "。\n\n## 小测验 {#quiz}\n\n" +
			"### 第一题选哪一个？\n\n- [x] 甲\n  > 对。\n- [ ] 乙\n  > 不对。\n\n" +
			"### 第二题哪些是对的？\n\n- [x] 甲\n  > 对。\n- [x] 乙\n  > 对。\n- [ ] 丙\n  > 不对。\n\n" +
			"### 第三题说得对吗？\n\n- [x] 对\n  > 对。\n- [ ] 错\n  > 不对。\n"
		en = front(enTitle) + "This lesson is about " + enTitle + ".\n\n## Quiz {#quiz}\n\n" +
			"### Which one for the first question?\n\n- [x] A\n  > Right.\n- [ ] B\n  > Wrong.\n\n" +
			"### Which are right for the second?\n\n- [x] A\n  > Right.\n- [x] B\n  > Right.\n- [ ] C\n  > Wrong.\n\n" +
			"### Is the third statement right?\n\n- [x] True\n  > Right.\n- [ ] False\n  > Wrong.\n"
		return zh, en
	}
	addLesson := func(course, slug string, order int, audience, prereqs, tasks, zhTitle, enTitle string) {
		zh, en := lesson(slug, order, audience, prereqs, tasks, zhTitle, enTitle)
		add(course+"/"+slug+".zh-CN.md", zh)
		add(course+"/"+slug+".en.md", en)
	}
	add(courseBuying+"/course.zh-CN.md", courseFile("网上购物", 1))
	add(courseBuying+"/course.en.md", courseFile("Buying online", 1))
	addLesson(courseBuying, "first-order", 1, "[partner, villager]", "[]", "["+taskOrder+"]", "第一次下单", "First order")
	addLesson(courseBuying, "pickup", 2, "[partner, villager]", "[first-order]", "[]", "取件", "Pickup")
	addLesson(courseBuying, "helping", 3, "[partner]", "[]", "[]", "帮村民下单", "Helping villagers")
	add(courseScams+"/course.zh-CN.md", courseFile("识别骗局", 2))
	add(courseScams+"/course.en.md", courseFile("Spotting scams", 2))
	addLesson(courseScams, "fake-calls", 1, "[partner, villager]", "[]", "["+taskScam+"]", "假客服电话", "Fake calls")
	return fsys
}

// catalog is the smallest progress.Catalogs.
type catalog struct{ c *course.Catalog }

func (c catalog) Catalog() *course.Catalog { return c.c }

// Answer sets for the fixture quizzes.
var (
	allRight = course.Answers{"q1": {"a"}, "q2": {"a", "b"}, "q3": {"a"}}
	twoRight = course.Answers{"q1": {"b"}, "q2": {"a", "b"}, "q3": {"a"}}
	oneRight = course.Answers{"q1": {"b"}, "q2": {"a"}, "q3": {"a"}}
)

// clock is a fake clock that moves only when a test says so.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// world is a migrated database with three learners, the fixture catalogue and a service on
// a fake clock.
type world struct {
	g        *gorm.DB
	ctx      context.Context
	clock    *clock
	cat      *course.Catalog
	svc      *progress.Service
	villager progress.Learner
	partner  progress.Learner
	other    progress.Learner // a second villager
	keys     int
}

func newWorld(t *testing.T, g *gorm.DB) *world {
	t.Helper()
	cat, findings, err := course.Load(fixtureFS(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("fixture course: %s", f)
	}
	if t.Failed() {
		t.FailNow()
	}
	w := &world{g: g, ctx: context.Background(), clock: &clock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}, cat: cat}
	w.svc = progress.NewService(g, catalog{cat}, w.clock.Now)
	w.villager = w.learner(t, "villager1", "王秀英", course.AudienceVillager)
	w.partner = w.learner(t, "partner1", "李娜", course.AudiencePartner)
	w.other = w.learner(t, "villager2", "张建国", course.AudienceVillager)
	return w
}

func (w *world) learner(t *testing.T, login, name, audience string) progress.Learner {
	t.Helper()
	u := account.User{Login: login, Name: name, Role: account.Role(audience), Active: true}
	if err := w.g.Create(&u).Error; err != nil {
		t.Fatalf("create user %s: %v", login, err)
	}
	return progress.Learner{ID: u.ID, Name: name, Centre: "桃园村服务站", Audience: audience}
}

func (w *world) lesson(t *testing.T, courseSlug, slug string) *course.Lesson {
	t.Helper()
	l := w.cat.Lesson(courseSlug, slug)
	if l == nil {
		t.Fatalf("no lesson %s/%s in the fixture", courseSlug, slug)
	}
	return l
}

// open has who open a lesson, as its page does.
func (w *world) open(t *testing.T, who progress.Learner, courseSlug, slug string) {
	t.Helper()
	if err := w.svc.Opened(w.ctx, w.snapshot(t, who), w.lesson(t, courseSlug, slug)); err != nil {
		t.Fatal(err)
	}
}

// key returns a fresh idempotency key of a valid length.
func (w *world) key() string {
	w.keys++
	return fmt.Sprintf("attempt-key-%06d", w.keys)
}

// submit records an attempt with a fresh key and fails the test on error.
func (w *world) submit(t *testing.T, who progress.Learner, l *course.Lesson, a course.Answers) *progress.Attempt {
	t.Helper()
	att, err := w.svc.RecordAttempt(w.ctx, who, l, progress.Submission{Key: w.key(), Lang: "zh-CN", Answers: a})
	if err != nil {
		t.Fatalf("RecordAttempt %s for %s: %v", l.Key(), who.Name, err)
	}
	return att
}

func (w *world) pass(t *testing.T, who progress.Learner, courseSlug, slug string) {
	t.Helper()
	if a := w.submit(t, who, w.lesson(t, courseSlug, slug), allRight); !a.Passed {
		t.Fatalf("all-right answers did not pass %s/%s", courseSlug, slug)
	}
}

func (w *world) completeTask(t *testing.T, who progress.Learner, task string) {
	t.Helper()
	if err := w.svc.CompleteTask(w.ctx, who, task, "order 1"); err != nil {
		t.Fatalf("CompleteTask %s: %v", task, err)
	}
}

func (w *world) snapshot(t *testing.T, who progress.Learner) *progress.Snapshot {
	t.Helper()
	sn, err := w.svc.Snapshot(w.ctx, who)
	if err != nil {
		t.Fatal(err)
	}
	return sn
}

// counts is how many rows each progress table holds.
type counts struct{ attempts, answers, lessons, tasks, certs int64 }

func (w *world) counts(t *testing.T) counts {
	t.Helper()
	var c counts
	for _, x := range []struct {
		table string
		n     *int64
	}{
		{"quiz_attempts", &c.attempts}, {"quiz_answers", &c.answers}, {"lesson_progress", &c.lessons},
		{"task_completions", &c.tasks}, {"certificates", &c.certs},
	} {
		if err := w.g.Table(x.table).Count(x.n).Error; err != nil {
			t.Fatalf("count %s: %v", x.table, err)
		}
	}
	return c
}

func (w *world) lessonRow(t *testing.T, who progress.Learner, l *course.Lesson) progress.LessonProgress {
	t.Helper()
	var p progress.LessonProgress
	if err := w.g.Where("user_id = ? AND course = ? AND lesson = ?", who.ID, l.Course.Slug, l.Slug).Take(&p).Error; err != nil {
		t.Fatalf("lesson_progress %s for %s: %v", l.Key(), who.Name, err)
	}
	return p
}

func (w *world) certificates(t *testing.T, who progress.Learner) []progress.Certificate {
	t.Helper()
	var certs []progress.Certificate
	if err := w.g.Where("user_id = ?", who.ID).Order("course").Find(&certs).Error; err != nil {
		t.Fatal(err)
	}
	return certs
}

// wantErr fails unless err is an *errs.Error with the code and, when key is not "", the key.
func wantErr(t *testing.T, err error, code errs.Code, key string) *errs.Error {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
	if key != "" && e.Key != key {
		t.Fatalf("error key = %q, want %q", e.Key, key)
	}
	return e
}

// errKey returns the code and message key of err ("" for both when err is nil or not an *errs.Error).
func errKey(err error) (errs.Code, string) {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Code, e.Key
	}
	return "", ""
}

func lessonSlugs(ls []*course.Lesson) string {
	var s []string
	for _, l := range ls {
		s = append(s, l.Slug)
	}
	return strings.Join(s, ",")
}

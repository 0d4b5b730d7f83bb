package records_test

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/course"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
	"cunlu/app/progress"
	"cunlu/app/records"
)

var (
	catOnce sync.Once
	cat     *course.Catalog
)

// catalog is the real courses/ folder: exams draw from the lessons' own quizzes.
func catalog(t *testing.T) *course.Catalog {
	t.Helper()
	catOnce.Do(func() {
		c, _, err := course.Load(os.DirFS("../../courses"), func(string) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		cat = c
	})
	return cat
}

// China time, as the exam form takes it.
func cst(t time.Time) string { return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04") }

// rightAnswers answers every question of an attempt correctly.
func rightAnswers(t *testing.T, a *records.ExamAttempt) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	qs := records.ExamQuestions(catalog(t), a, "zh-CN")
	if len(qs) != len(a.QuestionKeys()) {
		t.Fatalf("%d questions resolved of %d drawn", len(qs), len(a.QuestionKeys()))
	}
	for _, q := range qs {
		for _, o := range q.Question.Options {
			if o.Correct {
				out[q.Key] = append(out[q.Key], o.ID)
			}
		}
	}
	return out
}

func TestExams(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		cat := catalog(t)
		class := w.class(t, w.partnerA, goodClass)
		other := w.user(t, account.User{Login: "13800000009", Name: "孙大姐", Role: account.RoleVillager, CentreID: &w.centreA.ID})
		if _, err := w.svc.Enrol(w.ctx, w.partnerA, class.ID, []uint{w.villagerA.ID, other.ID}); err != nil {
			t.Fatal(err)
		}
		opens := w.clock.Add(time.Hour)
		good := records.ExamForm{Title: "结业考核", Opens: cst(opens), Closes: cst(opens.Add(2 * time.Hour)), Minutes: "30", Questions: "5",
			Lessons: "buying-online/cart-and-checkout\nbuying-online/pickup-code", Tasks: "buy-pickup-parcel", Attempts: "1", ProctorCode: "4321", PassPercent: "60"}

		// Bad exams change nothing.
		bad := []struct {
			name  string
			edit  func(f *records.ExamForm)
			field string
		}{
			{"closes before it opens", func(f *records.ExamForm) { f.Closes = cst(opens.Add(-time.Hour)) }, "closes"},
			{"not a date", func(f *records.ExamForm) { f.Opens = "tomorrow" }, "opens"},
			{"unknown lesson", func(f *records.ExamForm) { f.Lessons = "buying-online/no-such" }, "lessons"},
			{"more questions than the lessons hold", func(f *records.ExamForm) { f.Questions = "11" }, "questions"},
			{"unknown task", func(f *records.ExamForm) { f.Tasks = "fly-to-the-moon" }, "tasks"},
			{"no attempts", func(f *records.ExamForm) { f.Attempts = "0" }, "attempts"},
			{"pass mark over 100", func(f *records.ExamForm) { f.PassPercent = "101" }, "pass"},
		}
		for _, b := range bad {
			f := good
			b.edit(&f)
			_, err := w.svc.CreateExam(w.ctx, w.partnerA, class.ID, f, cat)
			var e *errs.Error
			if !errs.Is(err, errs.Invalid) || !asErr(err, &e) || e.Field != b.field {
				t.Errorf("%s: %v, want invalid %s", b.name, err, b.field)
			}
		}
		_, err := w.svc.CreateExam(w.ctx, w.partnerB, class.ID, good, cat)
		wantCode(t, err, errs.NotFound, "another centre's partner creates an exam")
		if es, _ := w.svc.Exams(w.ctx, class.ID); len(es) != 0 {
			t.Fatalf("bad exams were saved: %+v", es)
		}
		// An empty lesson list draws from the class's plan.
		planned := good
		planned.Lessons, planned.Title = "", "计划考核"
		pe, err := w.svc.CreateExam(w.ctx, w.partnerA, class.ID, planned, cat)
		if err != nil || !strings.Contains(pe.Lessons, "buying-online/pickup-code") || !strings.Contains(pe.Lessons, "paying-safely/payment-pin") {
			t.Errorf("exam from the plan: %v %+v", err, pe)
		}
		// A course's title, as plans are typed, stands for its lessons.
		titled := good
		titled.Lessons, titled.Title = "安全支付", "支付考核"
		if te, err := w.svc.CreateExam(w.ctx, w.partnerA, class.ID, titled, cat); err != nil || !strings.HasPrefix(te.Lessons, "paying-safely/") || strings.Contains(te.Lessons, "buying-online") {
			t.Errorf("exam from a course's title: %v %+v", err, te)
		}
		ex, err := w.svc.CreateExam(w.ctx, w.partnerA, class.ID, good, cat)
		if err != nil {
			t.Fatal(err)
		}
		log, _ := w.svc.Log(w.ctx, class.ID)
		if last := log[len(log)-1]; last.Action != "exam.created" || !strings.Contains(last.Detail, "5 questions") {
			t.Errorf("audit after creating: %+v", last)
		}

		// Only the roster sees it.
		_, err = w.svc.ExamForLearner(w.ctx, w.villagerB, ex.ID)
		wantCode(t, err, errs.NotFound, "a learner not on the roster")
		_, err = w.svc.StartAttempt(w.ctx, w.villagerB, ex.ID, "4321", cat)
		wantCode(t, err, errs.NotFound, "a learner not on the roster starts")
		if rows, _ := w.svc.LearnerExams(w.ctx, w.villagerA); len(rows) != 3 || rows[0].ClassTitle != class.Title {
			t.Errorf("learner's exams: %+v", rows)
		}

		_, err = w.svc.StartAttempt(w.ctx, w.villagerA, ex.ID, "4321", cat)
		wantCode(t, err, errs.Conflict, "starting before the window opens")
		w.clock = opens.Add(time.Minute)
		_, err = w.svc.StartAttempt(w.ctx, w.villagerA, ex.ID, "1234", cat)
		wantCode(t, err, errs.Invalid, "a wrong proctor code")
		if l, _ := w.svc.ExamForLearner(w.ctx, w.villagerA, ex.ID); len(l.Attempts) != 0 {
			t.Fatalf("a wrong proctor code started an attempt")
		}
		a, err := w.svc.StartAttempt(w.ctx, w.villagerA, ex.ID, " 4321 ", cat)
		if err != nil {
			t.Fatal(err)
		}
		keys := a.QuestionKeys()
		seen := map[string]bool{}
		for _, k := range keys {
			if seen[k] || !(strings.HasPrefix(k, "buying-online/cart-and-checkout#") || strings.HasPrefix(k, "buying-online/pickup-code#")) {
				t.Errorf("drawn %q (%v)", k, keys)
			}
			seen[k] = true
		}
		if len(keys) != 5 || !a.DueAt.Equal(w.clock.Add(30*time.Minute)) {
			t.Errorf("attempt: %d questions, due %v", len(keys), a.DueAt)
		}
		again, err := w.svc.StartAttempt(w.ctx, w.villagerA, ex.ID, "4321", cat)
		if err != nil || again.ID != a.ID {
			t.Errorf("second tap on start: %v, attempt %d want %d", err, again.ID, a.ID)
		}
		// Another candidate gets their own draw.
		b, err := w.svc.StartAttempt(w.ctx, other, ex.ID, "4321", cat)
		if err != nil {
			t.Fatal(err)
		}
		if b.Questions == a.Questions {
			t.Errorf("two candidates drew the same questions in the same order: %v", keys)
		}

		// An answer naming an option that does not exist changes nothing.
		ans := rightAnswers(t, a)
		wrongOpt := map[string][]string{keys[0]: {"z"}}
		wantCode(t, w.svc.SubmitAttempt(w.ctx, w.villagerA, ex.ID, a.ID, wrongOpt, cat), errs.Invalid, "an option that does not exist")
		wantCode(t, w.svc.SubmitAttempt(w.ctx, w.villagerA, ex.ID, a.ID, map[string][]string{"paying-safely/payment-pin#q1": {"a"}}, cat), errs.Invalid, "a question not drawn")
		wantCode(t, w.svc.SubmitAttempt(w.ctx, w.villagerA, ex.ID, b.ID, ans, cat), errs.NotFound, "someone else's attempt")

		// The practice task done in the shop during the attempt counts.
		w.clock = w.clock.Add(10 * time.Minute)
		if err := g.Create(&progress.TaskCompletion{UserID: w.villagerA.ID, TaskID: "buy-pickup-parcel", Evidence: "order 1", CompletedAt: w.clock}).Error; err != nil {
			t.Fatal(err)
		}
		delete(ans, keys[4]) // one left blank: wrong
		if err := w.svc.SubmitAttempt(w.ctx, w.villagerA, ex.ID, a.ID, ans, cat); err != nil {
			t.Fatal(err)
		}
		wantCode(t, w.svc.SubmitAttempt(w.ctx, w.villagerA, ex.ID, a.ID, ans, cat), errs.Conflict, "a second submission")
		log, _ = w.svc.Log(w.ctx, class.ID)
		if last := log[len(log)-1]; last.Action != "exam.submitted" || last.ActorID != w.villagerA.ID || !strings.Contains(last.Detail, "4 of 5 right (11110); tasks done 1 of 1") {
			t.Errorf("audit after submitting: %+v", last)
		}
		l, _ := w.svc.ExamForLearner(w.ctx, w.villagerA, ex.ID)
		if l.Results || l.Attempts[0].Right != 0 || l.Attempts[0].Marks != "" || l.Best != nil || l.CanStart() {
			t.Errorf("before the window closes the candidate sees %+v (can start %v)", l.Attempts[0], l.CanStart())
		}
		_, err = w.svc.StartAttempt(w.ctx, w.villagerA, ex.ID, "4321", cat)
		wantCode(t, err, errs.Conflict, "an attempt beyond the number allowed")

		// The other candidate runs out of time: a late answer changes nothing.
		w.clock = b.DueAt.Add(records.Grace + time.Second)
		wantCode(t, w.svc.SubmitAttempt(w.ctx, other, ex.ID, b.ID, rightAnswers(t, b), cat), errs.Conflict, "an answer after the time limit")
		// Re-opened with a reason, they may try again.
		wantCode(t, w.svc.DecideCandidate(w.ctx, w.partnerA, class.ID, ex.ID, other.ID, records.Reopen, "x"), errs.Invalid, "re-open without a real reason")
		wantCode(t, w.svc.DecideCandidate(w.ctx, w.partnerB, class.ID, ex.ID, other.ID, records.Reopen, "手机没电了"), errs.NotFound, "another centre re-opens")
		if err := w.svc.DecideCandidate(w.ctx, w.partnerA, class.ID, ex.ID, other.ID, records.Reopen, "手机没电了"); err != nil {
			t.Fatal(err)
		}
		b2, err := w.svc.StartAttempt(w.ctx, other, ex.ID, "4321", cat)
		if err != nil || b2.Number != 2 {
			t.Fatalf("re-opened attempt: %v %+v", err, b2)
		}
		// Excused, they may not answer.
		if err := w.svc.DecideCandidate(w.ctx, w.partnerA, class.ID, ex.ID, other.ID, records.Excuse, "临时有事请假"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, w.svc.SubmitAttempt(w.ctx, other, ex.ID, b2.ID, rightAnswers(t, b2), cat), errs.Conflict, "an excused candidate answers")
		log, _ = w.svc.Log(w.ctx, class.ID)
		if n := len(log); log[n-2].Action != "exam.reopen" || log[n-2].Reason != "手机没电了" || log[n-1].Action != "exam.excuse" {
			t.Errorf("audit of decisions: %+v %+v", log[n-2], log[n-1])
		}
		if rep, _ := w.svc.Verify(w.ctx); !rep.OK() {
			t.Errorf("chain broken: %v", rep.Broken)
		}

		// After the window closes: the score, and statistics per question.
		w.clock = ex.ClosesAt
		wantCode(t, w.svc.SubmitAttempt(w.ctx, w.villagerA, ex.ID, a.ID, ans, cat), errs.Conflict, "after the window")
		l, _ = w.svc.ExamForLearner(w.ctx, w.villagerA, ex.ID)
		if !l.Results || l.Best == nil || l.Best.Right != 4 || l.Best.TasksDone != 1 || l.Best.Marks != "11110" || !l.Passed {
			t.Errorf("after the window closes: %+v passed %v", l.Best, l.Passed)
		}
		res, err := w.svc.Results(w.ctx, ex)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Candidates) != 2 || res.Sat != 1 || res.Passed != 1 {
			t.Errorf("results: %+v", res)
		}
		for _, c := range res.Candidates {
			if c.UserID == other.ID && (!c.Excused || c.Attempts != 2 || c.Allowed != 2 || c.Submitted) {
				t.Errorf("excused candidate: %+v", c)
			}
		}
		right, wrong := 0, 0
		for _, q := range res.Questions {
			right += q.Right
			wrong += q.Wrong
		}
		if len(res.Questions) != 5 || right != 4 || wrong != 1 || res.Questions[0].Key != keys[4] {
			t.Errorf("question statistics: %+v", res.Questions)
		}
	})
}

func asErr(err error, target **errs.Error) bool {
	e, ok := err.(*errs.Error)
	if ok {
		*target = e
	}
	return ok
}

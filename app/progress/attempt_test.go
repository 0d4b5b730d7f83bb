package progress_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/course"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
	"cunlu/app/progress"
)

func TestRecordAttemptStoresAttemptAnswersAndProgress(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		l := w.lesson(t, courseBuying, "first-order")
		start := w.clock.Now()
		firstPass := start.Add(time.Hour)
		steps := []struct {
			name        string
			answers     course.Answers
			wantRight   int
			wantPassed  bool
			wantChosen  map[string]int
			wantCorrect map[string]bool
			wantBest    int
			wantPassAt  *time.Time
		}{
			{"fail with two right", twoRight, 2, false,
				map[string]int{"q1": 0b10, "q2": 0b11, "q3": 0b01}, map[string]bool{"q1": false, "q2": true, "q3": true}, 2, nil},
			{"first pass", allRight, 3, true,
				map[string]int{"q1": 0b01, "q2": 0b11, "q3": 0b01}, map[string]bool{"q1": true, "q2": true, "q3": true}, 3, &firstPass},
			{"later fail keeps pass and best", oneRight, 1, false,
				map[string]int{"q1": 0b10, "q2": 0b01, "q3": 0b01}, map[string]bool{"q1": false, "q2": false, "q3": true}, 3, &firstPass},
			{"later pass keeps first pass time", allRight, 3, true,
				map[string]int{"q1": 0b01, "q2": 0b11, "q3": 0b01}, map[string]bool{"q1": true, "q2": true, "q3": true}, 3, &firstPass},
			{"nothing chosen", course.Answers{}, 0, false,
				map[string]int{"q1": 0, "q2": 0, "q3": 0}, map[string]bool{"q1": false, "q2": false, "q3": false}, 3, &firstPass},
		}
		for i, st := range steps {
			now := w.clock.Now()
			key := w.key()
			a, err := w.svc.RecordAttempt(w.ctx, w.villager, l, progress.Submission{Key: key, Lang: "en", Answers: st.answers})
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if a.ID == 0 || a.Right != st.wantRight || a.Total != 3 || a.Passed != st.wantPassed {
				t.Errorf("%s: attempt id=%d right=%d total=%d passed=%v, want right=%d total=3 passed=%v",
					st.name, a.ID, a.Right, a.Total, a.Passed, st.wantRight, st.wantPassed)
			}

			var stored progress.Attempt
			if err := g.Preload("Answers").Take(&stored, a.ID).Error; err != nil {
				t.Fatalf("%s: load stored attempt: %v", st.name, err)
			}
			if stored.UserID != w.villager.ID || stored.AttemptKey != key || stored.Course != courseBuying || stored.Lesson != "first-order" ||
				stored.Lang != "en" || stored.Right != st.wantRight || stored.Total != 3 || stored.Passed != st.wantPassed || !stored.CreatedAt.Equal(now) {
				t.Errorf("%s: stored attempt = %+v", st.name, stored)
			}
			if len(stored.Answers) != 3 {
				t.Fatalf("%s: %d answer rows, want 3", st.name, len(stored.Answers))
			}
			for _, ans := range stored.Answers {
				if ans.UserID != w.villager.ID || ans.Course != courseBuying || ans.Lesson != "first-order" {
					t.Errorf("%s: answer %s belongs to %d %s/%s", st.name, ans.Question, ans.UserID, ans.Course, ans.Lesson)
				}
				if ans.Chosen != st.wantChosen[ans.Question] || ans.Correct != st.wantCorrect[ans.Question] {
					t.Errorf("%s: answer %s chosen=%b correct=%v, want chosen=%b correct=%v",
						st.name, ans.Question, ans.Chosen, ans.Correct, st.wantChosen[ans.Question], st.wantCorrect[ans.Question])
				}
			}

			p := w.lessonRow(t, w.villager, l)
			if p.Attempts != i+1 || p.BestRight != st.wantBest {
				t.Errorf("%s: lesson progress attempts=%d best=%d, want %d and %d", st.name, p.Attempts, p.BestRight, i+1, st.wantBest)
			}
			if !p.StartedAt.Equal(start) || !p.LastSeenAt.Equal(now) {
				t.Errorf("%s: started %v last seen %v, want %v and %v", st.name, p.StartedAt, p.LastSeenAt, start, now)
			}
			switch {
			case st.wantPassAt == nil && p.PassedAt != nil:
				t.Errorf("%s: passed_at = %v, want none", st.name, p.PassedAt)
			case st.wantPassAt != nil && (p.PassedAt == nil || !p.PassedAt.Equal(*st.wantPassAt)):
				t.Errorf("%s: passed_at = %v, want %v", st.name, p.PassedAt, *st.wantPassAt)
			}
			w.clock.Advance(time.Hour)
		}
		if c := w.counts(t); c.attempts != int64(len(steps)) || c.answers != int64(3*len(steps)) || c.lessons != 1 {
			t.Errorf("rows = %+v, want %d attempts, %d answers, 1 lesson", c, len(steps), 3*len(steps))
		}
	})
}

func TestAnswerChose(t *testing.T) {
	t.Parallel()
	a := progress.Answer{Chosen: 0b101}
	for id, want := range map[string]bool{"a": true, "b": false, "c": true, "d": false, "": false, "ab": false} {
		if got := a.Chose(id); got != want {
			t.Errorf("Chose(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestRecordAttemptSameKeyTwice(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		l := w.lesson(t, courseBuying, "first-order")
		sub := progress.Submission{Key: "same-key-0123456789", Lang: "zh-CN", Answers: twoRight}
		first, err := w.svc.RecordAttempt(w.ctx, w.villager, l, sub)
		if err != nil {
			t.Fatal(err)
		}
		before := w.counts(t)
		w.clock.Advance(time.Minute)
		// A resubmission with other answers is still the same attempt.
		sub.Answers = allRight
		again, err := w.svc.RecordAttempt(w.ctx, w.villager, l, sub)
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != first.ID || again.Right != 2 || again.Passed || len(again.Answers) != 3 {
			t.Errorf("second submission = id %d right %d passed %v with %d answers, want the first attempt %d (right 2, 3 answers)",
				again.ID, again.Right, again.Passed, len(again.Answers), first.ID)
		}
		if after := w.counts(t); after != before {
			t.Errorf("rows after the repeat = %+v, before = %+v", after, before)
		}
		if p := w.lessonRow(t, w.villager, l); p.Attempts != 1 || p.PassedAt != nil || !p.LastSeenAt.Equal(first.CreatedAt) {
			t.Errorf("lesson progress changed by the repeat: %+v", p)
		}
	})
}

func TestRecordAttemptSameKeyConcurrently(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		l := w.lesson(t, courseBuying, "first-order")
		sub := progress.Submission{Key: "double-click-0123456789", Lang: "zh-CN", Answers: allRight}
		const n = 20
		ids := make([]uint, n)
		failures := make([]error, n)
		var ready, wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			ready.Add(1)
			wg.Go(func() {
				ready.Done()
				<-start
				a, err := w.svc.RecordAttempt(w.ctx, w.villager, l, sub)
				failures[i] = err
				if a != nil {
					ids[i] = a.ID
				}
			})
		}
		ready.Wait()
		close(start)
		wg.Wait()
		for i := range n {
			if failures[i] != nil {
				t.Errorf("submission %d: %v", i, failures[i])
			} else if ids[i] == 0 || ids[i] != ids[0] {
				t.Errorf("submission %d returned attempt %d, submission 0 returned %d", i, ids[i], ids[0])
			}
		}
		if c := w.counts(t); c.attempts != 1 || c.answers != 3 || c.lessons != 1 {
			t.Errorf("rows = %+v, want exactly 1 attempt, 3 answers, 1 lesson", c)
		}
		if p := w.lessonRow(t, w.villager, l); p.Attempts != 1 {
			t.Errorf("lesson progress counts %d attempts, want 1", p.Attempts)
		}
	})
}

// TestRecordAttemptResubmittedAmongNew: resubmissions (meeting the unique key of the
// attempt stored a round earlier) are sent at the same moment as new submissions. Every new one is stored once, with its answers, and every resubmission
// returns the first attempt and changes nothing.
func TestRecordAttemptResubmittedAmongNew(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		l := w.lesson(t, courseBuying, "first-order")
		learners := []progress.Learner{w.villager, w.partner, w.other}
		type sent struct {
			who progress.Learner
			key string
		}
		first := map[sent]uint{} // attempt id by learner and key
		const rounds, perRound = 6, 12
		for round := range rounds {
			subs := make([]sent, perRound)
			for i := range subs {
				subs[i] = sent{learners[i%len(learners)], fmt.Sprintf("batch-%02d-%02d-key-0000", round, i)}
				if round > 0 && i%3 == 2 {
					subs[i].key = fmt.Sprintf("batch-%02d-%02d-key-0000", round-1, i) // sent again
				}
			}
			ids := make([]uint, perRound)
			var ready, wg sync.WaitGroup
			start := make(chan struct{})
			for i, sub := range subs {
				ready.Add(1)
				wg.Go(func() {
					ready.Done()
					<-start
					a, err := w.svc.RecordAttempt(w.ctx, sub.who, l, progress.Submission{Key: sub.key, Lang: "zh-CN", Answers: twoRight})
					if err != nil {
						t.Errorf("round %d, submission %d: %v", round, i, err)
						return
					}
					ids[i] = a.ID
				})
			}
			ready.Wait()
			close(start)
			wg.Wait()
			for i, sub := range subs {
				if want, again := first[sub]; again && ids[i] != want {
					t.Errorf("round %d: resubmission %d returned attempt %d, want the first, %d", round, i, ids[i], want)
				} else if !again {
					first[sub] = ids[i]
				}
			}
		}
		c := w.counts(t)
		if c.attempts != int64(len(first)) || c.answers != 3*c.attempts {
			t.Errorf("%d attempts with %d answers stored, want %d with 3 answers each", c.attempts, c.answers, len(first))
		}
		for _, who := range learners {
			var n int64
			g.Table("quiz_attempts").Where("user_id = ?", who.ID).Count(&n)
			if p := w.lessonRow(t, who, l); p.Attempts != int(n) {
				t.Errorf("%s: lesson progress counts %d attempts, %d stored", who.Name, p.Attempts, n)
			}
		}
	})
}

func TestRecordAttemptKeyIsPerUser(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		l := w.lesson(t, courseBuying, "first-order")
		sub := progress.Submission{Key: "shared-key-0123456789", Lang: "zh-CN", Answers: allRight}
		mine, err := w.svc.RecordAttempt(w.ctx, w.villager, l, sub)
		if err != nil {
			t.Fatal(err)
		}
		sub.Answers = oneRight
		theirs, err := w.svc.RecordAttempt(w.ctx, w.other, l, sub)
		if err != nil {
			t.Fatal(err)
		}
		if theirs.ID == mine.ID || theirs.UserID != w.other.ID || theirs.Right != 1 || theirs.Passed {
			t.Errorf("other user's attempt = id %d user %d right %d passed %v; want a new attempt of user %d with 1 right",
				theirs.ID, theirs.UserID, theirs.Right, theirs.Passed, w.other.ID)
		}
		if c := w.counts(t); c.attempts != 2 || c.answers != 6 || c.lessons != 2 {
			t.Errorf("rows = %+v, want 2 attempts, 6 answers, 2 lessons", c)
		}
	})
}

func TestRecordAttemptRejectsBadSubmissions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		l := w.lesson(t, courseBuying, "first-order")
		cases := []struct {
			name    string
			key     string
			answers course.Answers
			code    errs.Code // "" = accepted
			msg     string
		}{
			{"empty key", "", allRight, errs.Invalid, "error.quiz_stale"},
			{"key of 15", strings.Repeat("k", 15), allRight, errs.Invalid, "error.quiz_stale"},
			{"key of 65", strings.Repeat("k", 65), allRight, errs.Invalid, "error.quiz_stale"},
			{"unknown question", w.key(), course.Answers{"q1": {"a"}, "q2": {"a", "b"}, "q3": {"a"}, "q4": {"a"}}, errs.Invalid, "error.quiz_invalid"},
			{"unknown option", w.key(), course.Answers{"q1": {"c"}, "q2": {"a", "b"}, "q3": {"a"}}, errs.Invalid, "error.quiz_invalid"},
			{"option not a letter", w.key(), course.Answers{"q1": {"a"}, "q2": {"A"}, "q3": {"a"}}, errs.Invalid, "error.quiz_invalid"},
			{"two options for a single-choice question", w.key(), course.Answers{"q1": {"a", "b"}, "q2": {"a", "b"}, "q3": {"a"}}, errs.Invalid, "error.quiz_invalid"},
			{"two options for true/false", w.key(), course.Answers{"q1": {"a"}, "q2": {"a", "b"}, "q3": {"a", "b"}}, errs.Invalid, "error.quiz_invalid"},
			{"key of 16", strings.Repeat("s", 16), allRight, "", ""},
			{"key of 64", strings.Repeat("l", 64), allRight, "", ""},
		}
		var accepted int64
		for _, tc := range cases {
			before := w.counts(t)
			a, err := w.svc.RecordAttempt(w.ctx, w.villager, l, progress.Submission{Key: tc.key, Lang: "zh-CN", Answers: tc.answers})
			after := w.counts(t)
			if tc.code == "" {
				if err != nil || a == nil || a.AttemptKey != tc.key {
					t.Errorf("%s: got %v, %v; want the attempt stored", tc.name, a, err)
				}
				accepted++
				continue
			}
			if code, key := errKey(err); code != tc.code || key != tc.msg {
				t.Errorf("%s: error = %v, want %s %s", tc.name, err, tc.code, tc.msg)
			}
			if a != nil {
				t.Errorf("%s: returned an attempt %+v with the error", tc.name, a)
			}
			if after != before {
				t.Errorf("%s: rows changed from %+v to %+v", tc.name, before, after)
			}
		}
		if c := w.counts(t); c.attempts != accepted || c.answers != 3*accepted {
			t.Errorf("rows = %+v, want %d attempts", c, accepted)
		}
	})
}

func TestRecordAttemptLockedLesson(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		first, second := w.lesson(t, courseBuying, "first-order"), w.lesson(t, courseBuying, "pickup")

		for _, lang := range []string{"zh-CN", "en"} {
			_, err := w.svc.RecordAttempt(w.ctx, w.villager, second, progress.Submission{Key: w.key(), Lang: lang, Answers: allRight})
			e := wantErr(t, err, errs.Conflict, "error.lesson_locked")
			if want := first.In(lang).Title; e.Args["Lesson"] != want {
				t.Errorf("locked error in %s names %v, want %q", lang, e.Args["Lesson"], want)
			}
		}
		if c := w.counts(t); c != (counts{}) {
			t.Fatalf("a locked lesson wrote rows: %+v", c)
		}

		// Failing the prerequisite does not unlock it.
		w.submit(t, w.villager, first, twoRight)
		before := w.counts(t)
		_, err := w.svc.RecordAttempt(w.ctx, w.villager, second, progress.Submission{Key: w.key(), Lang: "zh-CN", Answers: allRight})
		wantErr(t, err, errs.Conflict, "error.lesson_locked")
		if after := w.counts(t); after != before {
			t.Errorf("a locked lesson wrote rows: %+v, before %+v", after, before)
		}

		// Passing it does (its practice task is not needed to go on).
		w.pass(t, w.villager, courseBuying, "first-order")
		a := w.submit(t, w.villager, second, allRight)
		if !a.Passed || a.Lesson != "pickup" {
			t.Errorf("attempt after unlocking = %+v", a)
		}
		// Another learner's pass unlocks nothing for this one.
		_, err = w.svc.RecordAttempt(w.ctx, w.other, second, progress.Submission{Key: w.key(), Lang: "zh-CN", Answers: allRight})
		wantErr(t, err, errs.Conflict, "error.lesson_locked")
	})
}

func TestRecordAttemptAudience(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		l := w.lesson(t, courseBuying, "helping")
		_, err := w.svc.RecordAttempt(w.ctx, w.villager, l, progress.Submission{Key: w.key(), Lang: "zh-CN", Answers: allRight})
		wantErr(t, err, errs.NotFound, "error.not_found")
		if c := w.counts(t); c != (counts{}) {
			t.Fatalf("a lesson the learner cannot see wrote rows: %+v", c)
		}
		if a := w.submit(t, w.partner, l, allRight); !a.Passed {
			t.Errorf("partner's attempt at a partner lesson = %+v", a)
		}
	})
}

func TestAttemptOnlyForItsLearner(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		l := w.lesson(t, courseBuying, "first-order")
		mine := w.submit(t, w.villager, l, twoRight)
		theirs := w.submit(t, w.other, l, allRight)

		got, err := w.svc.Attempt(w.ctx, w.villager.ID, mine.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != mine.ID || got.UserID != w.villager.ID || got.Right != 2 || len(got.Answers) != 3 {
			t.Fatalf("Attempt = %+v, want attempt %d with right 2 and 3 answers", got, mine.ID)
		}
		for _, ans := range got.Answers {
			if ans.AttemptID != mine.ID {
				t.Errorf("answer %d belongs to attempt %d", ans.ID, ans.AttemptID)
			}
			if ans.Question == "q1" && (!ans.Chose("b") || ans.Chose("a") || ans.Correct) {
				t.Errorf("q1 answer = %+v, want b chosen and wrong", ans)
			}
		}

		for _, tc := range []struct {
			name   string
			userID uint
			id     uint
		}{
			{"another learner's attempt", w.villager.ID, theirs.ID},
			{"mine asked by another", w.other.ID, mine.ID},
			{"no such attempt", w.villager.ID, theirs.ID + 100},
		} {
			a, err := w.svc.Attempt(w.ctx, tc.userID, tc.id)
			if !errs.Is(err, errs.NotFound) || a != nil {
				t.Errorf("%s: got %+v, %v; want NotFound", tc.name, a, err)
			}
		}
	})
}

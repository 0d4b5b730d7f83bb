package progress_test

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/course"
	"cunlu/app/db/dbtest"
	"cunlu/app/progress"
)

func TestSnapshotCourseHelpers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		buying := w.cat.Course(courseBuying)
		pickup := w.lesson(t, courseBuying, "pickup")
		type want struct {
			mastered, total int
			complete        bool
			next            string // "" for none
			locked          string // prerequisites of pickup still locked
		}
		check := func(name string, who progress.Learner, wt want) {
			t.Helper()
			sn := w.snapshot(t, who)
			m, n := sn.CourseProgress(buying)
			next := ""
			if l := sn.Next(buying); l != nil {
				next = l.Slug
			}
			got := want{m, n, sn.Complete(buying), next, lessonSlugs(sn.Locked(pickup))}
			if got != wt {
				t.Errorf("%s: %+v, want %+v", name, got, wt)
			}
		}

		check("villager at the start", w.villager, want{0, 2, false, "first-order", "first-order"})
		check("partner at the start", w.partner, want{0, 3, false, "first-order", "first-order"})

		w.pass(t, w.villager, courseBuying, "first-order")
		check("villager passed lesson 1", w.villager, want{0, 2, false, "first-order", ""})
		w.completeTask(t, w.villager, taskOrder)
		check("villager mastered lesson 1", w.villager, want{1, 2, false, "pickup", ""})
		w.pass(t, w.villager, courseBuying, "pickup")
		check("villager mastered both", w.villager, want{2, 2, true, "", ""})

		// The partner has the partner lesson left; the villager's progress is not theirs.
		check("partner unchanged", w.partner, want{0, 3, false, "first-order", "first-order"})
		w.pass(t, w.partner, courseBuying, "helping")
		check("partner passed the partner lesson first", w.partner, want{1, 3, false, "first-order", "first-order"})
		w.pass(t, w.partner, courseBuying, "first-order")
		w.completeTask(t, w.partner, taskOrder)
		w.pass(t, w.partner, courseBuying, "pickup")
		check("partner mastered all", w.partner, want{3, 3, true, "", ""})
	})
}

func TestSnapshotContinue(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		first, fakeCalls := w.lesson(t, courseBuying, "first-order"), w.lesson(t, courseScams, "fake-calls")
		cont := func(name, want string) {
			t.Helper()
			got := ""
			if l := w.snapshot(t, w.villager).Continue(); l != nil {
				got = l.Key()
			}
			if got != want {
				t.Errorf("%s: Continue = %q, want %q", name, got, want)
			}
		}
		open := func(l *course.Lesson) {
			t.Helper()
			if err := w.svc.Opened(w.ctx, w.snapshot(t, w.villager), l); err != nil {
				t.Fatal(err)
			}
		}

		cont("nothing opened", "buying/first-order")
		open(fakeCalls)
		cont("opened one lesson of the second course", "scams/fake-calls")
		w.clock.Advance(time.Minute)
		open(first)
		cont("opened a lesson later", "buying/first-order")
		w.clock.Advance(time.Minute)
		open(fakeCalls) // within ten minutes: not recorded, so first-order stays the latest
		cont("reopened within ten minutes", "buying/first-order")

		w.clock.Advance(time.Minute)
		w.pass(t, w.villager, courseBuying, "first-order")
		cont("passed but not mastered", "buying/first-order")
		w.completeTask(t, w.villager, taskOrder)
		cont("mastered the latest: back to the earlier one", "scams/fake-calls")

		w.clock.Advance(time.Minute)
		w.pass(t, w.villager, courseScams, "fake-calls")
		w.completeTask(t, w.villager, taskScam)
		cont("every opened lesson mastered: next of the first unfinished course", "buying/pickup")

		// The partner-only lesson never shows for a villager, even if a row exists.
		if err := g.Create(&progress.LessonProgress{UserID: w.villager.ID, Course: courseBuying, Lesson: "helping",
			StartedAt: w.clock.Advance(time.Minute), LastSeenAt: w.clock.Now()}).Error; err != nil {
			t.Fatal(err)
		}
		cont("row for a partner lesson", "buying/pickup")

		w.pass(t, w.villager, courseBuying, "pickup")
		w.clock.Advance(time.Minute)
		cont("everything mastered", "")
	})
}

func TestOpenedWritesAtMostEveryTenMinutes(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		l := w.lesson(t, courseBuying, "first-order")
		t0 := w.clock.Now()
		steps := []struct {
			advance  time.Duration
			wantSeen time.Time
		}{
			{0, t0},
			{9*time.Minute + 59*time.Second, t0},
			{time.Second, t0.Add(10 * time.Minute)},
			{5 * time.Minute, t0.Add(10 * time.Minute)},
			{time.Hour, t0.Add(75 * time.Minute)},
		}
		for i, st := range steps {
			now := w.clock.Advance(st.advance)
			sn := w.snapshot(t, w.villager)
			if err := w.svc.Opened(w.ctx, sn, l); err != nil {
				t.Fatal(err)
			}
			p := w.lessonRow(t, w.villager, l)
			if !p.LastSeenAt.Equal(st.wantSeen) || !p.StartedAt.Equal(t0) || p.Attempts != 0 || p.PassedAt != nil {
				t.Errorf("step %d at +%v: stored %+v, want last seen %v, started %v", i, now.Sub(t0), p, st.wantSeen, t0)
			}
			if got := sn.Lessons[l.Key()]; got == nil || !got.LastSeenAt.Equal(st.wantSeen) {
				t.Errorf("step %d: snapshot not kept in step with the store: %+v", i, got)
			}
		}
		if c := w.counts(t); c.lessons != 1 {
			t.Errorf("%d lesson_progress rows, want 1", c.lessons)
		}

		// Opening keeps the quiz progress.
		w.submit(t, w.villager, l, allRight)
		passedAt := w.clock.Now()
		w.clock.Advance(time.Hour)
		if err := w.svc.Opened(w.ctx, w.snapshot(t, w.villager), l); err != nil {
			t.Fatal(err)
		}
		if p := w.lessonRow(t, w.villager, l); p.Attempts != 1 || p.BestRight != 3 || p.PassedAt == nil || !p.PassedAt.Equal(passedAt) ||
			!p.LastSeenAt.Equal(w.clock.Now()) {
			t.Errorf("after opening a passed lesson: %+v", p)
		}
	})
}

package progress_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/db/dbtest"
	"cunlu/app/progress"
)

// The practice shop asks, inside its operation's transaction, which tasks a learner still
// has to do, and records the one it completes there: the task stands or falls with the
// operation, and it counts towards mastery, certificates and the roll-ups as CompleteTask's.
func TestPracticeTasksInTheShopsTransaction(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		open := func(t *testing.T, userID uint) []string {
			t.Helper()
			var out map[string]time.Time
			if err := g.Transaction(func(tx *gorm.DB) (err error) { out, err = w.svc.OpenTasks(tx, userID); return err }); err != nil {
				t.Fatal(err)
			}
			return slices.Sorted(maps.Keys(out))
		}
		if got := fmt.Sprint(open(t, w.villager.ID)); got != "[]" {
			t.Errorf("a new learner who opened no lesson has open tasks: %s", got)
		}
		for _, who := range []progress.Learner{w.villager, w.other} {
			w.open(t, who, courseBuying, "first-order")
			w.open(t, who, courseScams, "fake-calls")
		}
		if got := fmt.Sprint(open(t, w.villager.ID)); got != "[buy-first-order scam-report-refund-call]" {
			t.Errorf("a new learner's open tasks: %s", got)
		}
		if sn := w.snapshot(t, w.villager); fmt.Sprint(sn.OpenTasks()) != "[buy-first-order scam-report-refund-call]" {
			t.Errorf("the snapshot's open tasks: %v", sn.OpenTasks())
		}

		// The operation fails after the task was recorded: nothing is left of either.
		errLater := errors.New("the operation failed later")
		err := g.Transaction(func(tx *gorm.DB) error {
			if err := w.svc.CompleteTaskTx(tx, w.villager.ID, taskOrder, "order 1"); err != nil {
				return err
			}
			return errLater
		})
		if !errors.Is(err, errLater) {
			t.Fatalf("transaction: %v", err)
		}
		if c := w.counts(t); c.tasks != 0 {
			t.Fatalf("%d tasks left by a failed operation", c.tasks)
		}
		var stats []progress.LearnerStats
		if err := g.Where("user_id = ?", w.villager.ID).Find(&stats).Error; err != nil || len(stats) != 0 {
			t.Fatalf("roll-ups left by a failed operation: %+v %v", stats, err)
		}

		// Done in the shop, with the learner read from their account: the course's
		// certificate carries their name, and the roll-up counts the task.
		w.pass(t, w.villager, courseBuying, "first-order")
		w.pass(t, w.villager, courseBuying, "pickup")
		if err := g.Transaction(func(tx *gorm.DB) error { return w.svc.CompleteTaskTx(tx, w.villager.ID, taskOrder, "order 2") }); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(open(t, w.villager.ID)); got != "[scam-report-refund-call]" {
			t.Errorf("open tasks after one done: %s", got)
		}
		certs := w.certificates(t, w.villager)
		if len(certs) != 1 || certs[0].Course != courseBuying || certs[0].HolderName != w.villager.Name {
			t.Errorf("certificates %+v, want the buying course's for %s", certs, w.villager.Name)
		}
		if err := g.Where("user_id = ?", w.villager.ID).Find(&stats).Error; err != nil || len(stats) != 1 || stats[0].TasksDone != 1 || stats[0].Certificates != 1 {
			t.Errorf("roll-up %+v %v, want one task and one certificate", stats, err)
		}
		if got := fmt.Sprint(open(t, w.other.ID)); got != "[buy-first-order scam-report-refund-call]" {
			t.Errorf("another learner's open tasks: %s", got)
		}
	})
}

// A task is open from the moment its lesson is first opened: opening it again later does
// not move that moment, and a lesson not opened leaves its task closed.
func TestOpenTasksSinceTheLessonWasFirstOpened(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		first := w.clock.Now()
		w.open(t, w.villager, courseBuying, "first-order")
		w.clock.Advance(time.Hour)
		w.open(t, w.villager, courseBuying, "first-order")
		var out map[string]time.Time
		if err := g.Transaction(func(tx *gorm.DB) (err error) { out, err = w.svc.OpenTasks(tx, w.villager.ID); return err }); err != nil {
			t.Fatal(err)
		}
		if len(out) != 1 || !out[taskOrder].Equal(first) {
			t.Errorf("open tasks %v, want only %s since %s", out, taskOrder, first)
		}
	})
}

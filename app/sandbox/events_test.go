package sandbox_test

import (
	"time"

	"errors"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/sandbox"
)

// Only the tasks that listen to an event are checked, and only for its owner; an event no
// task listens to does not even ask which tasks are open.
func TestEventsReachTheirListenersOnly(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		asked := &askCounter{Progress: w.tasks}
		svc := sandbox.NewService(g, account.NewService(nil, account.Options{}), asked, w.clock.Now)
		pencils := w.product(t, "HB铅笔", 1200)
		o := w.learner(t, account.RoleVillager)
		must(t, svc.SetPIN(w.ctx, o, "", testPIN, account.CheckPIN))
		must(t, svc.AddToCart(w.ctx, o, pencils.ID, 1, true)) // compared: nobody listens
		f := w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)
		f.Outcome = sandbox.OutcomeDeclined
		if _, err := svc.Checkout(w.ctx, o, f, w.centreExists); err == nil {
			t.Fatal("practice code 0001 did not decline")
		}
		if n := asked.n.Load(); n != 1 {
			t.Errorf("setting the PIN, a compare and a declined payment asked for open tasks %d times, want once (the PIN)", n)
		}
		if w.events(t, o.UserID, sandbox.EventCompared) != 1 || w.events(t, o.UserID, sandbox.EventDeclined) != 1 {
			t.Error("the compare and the declined payment were not recorded")
		}
		if _, err := svc.Checkout(w.ctx, o, w.form(sandbox.DeliveryHome, sandbox.PaymentWallet), w.centreExists); err != nil {
			t.Fatal(err)
		}
		if n := asked.n.Load(); n != 2 {
			t.Errorf("one order placed asked for open tasks %d times, want once more", n)
		}
		for task, want := range map[string]bool{"buy-home-delivery": true, "pay-wallet-pin": true, "pay-recover-declined": true,
			"buy-first-order": false, "pay-set-pin": true, "buy-pickup-parcel": false, "assist-villager-order": false} {
			if _, ok := w.done(t, o.UserID, task); ok != want {
				t.Errorf("%s done %v, want %v", task, ok, want)
			}
		}
	})
}

type askCounter struct {
	sandbox.Progress
	n atomic.Int64
}

func (a *askCounter) OpenTasks(tx *gorm.DB, userID uint) (map[string]time.Time, error) {
	a.n.Add(1)
	return a.Progress.OpenTasks(tx, userID)
}

// A task is recorded in the transaction of the operation that did it: when recording it
// fails, the operation fails and leaves nothing behind, and when the operation fails after
// a task was recorded, the task goes with it.
func TestTaskAndOperationStandOrFallTogether(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		pencils := w.product(t, "HB铅笔", 1200)
		nothingHappened := func(t *testing.T, o sandbox.Owner) {
			t.Helper()
			for _, table := range []string{"sandbox_orders", "sandbox_ledger", "task_completions"} {
				if n := w.count(t, table, o.UserID); n != 0 {
					t.Errorf("%d rows in %s", n, table)
				}
			}
			if n := w.events(t, o.UserID, sandbox.EventOrderPlaced); n != 0 {
				t.Errorf("%d orders placed recorded", n)
			}
			if got := w.balance(t, o); got != sandbox.StartBalance {
				t.Errorf("balance %d, want %d", got, sandbox.StartBalance)
			}
			if got := w.cart(t, o); got[pencils.ID] != 1 {
				t.Errorf("cart %v, want the pencils still in it", got)
			}
		}

		t.Run("the task fails", func(t *testing.T) {
			defer w.tasks.set(nil, "")
			o := w.villager(t)
			must(t, g.Exec("DELETE FROM task_completions WHERE user_id = ?", o.UserID).Error) // the fixture's PIN
			w.tasks.set(nil, "pay-wallet-pin")
			w.add(t, o, pencils, 1)
			if _, err := w.checkout(o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)); !errors.Is(err, errRecording) {
				t.Fatalf("checkout: %v, want the recording's error", err)
			}
			nothingHappened(t, o)
		})

		t.Run("the operation fails after a task", func(t *testing.T) {
			defer w.tasks.set(nil, "")
			villager := w.villager(t)
			must(t, g.Exec("DELETE FROM task_completions WHERE user_id = ?", villager.UserID).Error)
			helper := w.learner(t, account.RolePartner)
			// The villager's tasks are recorded first; then the helper's fails.
			w.tasks.set(nil, "assist-villager-order")
			w.add(t, villager, pencils, 1)
			assisted := villager
			assisted.AssistedBy = helper.UserID
			if _, err := w.checkout(assisted, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)); !errors.Is(err, errRecording) {
				t.Fatalf("checkout: %v, want the recording's error", err)
			}
			nothingHappened(t, villager)
			if n := w.count(t, "sandbox_events", helper.UserID); n != 0 {
				t.Errorf("%d events recorded for the helper", n)
			}
		})
	})
}

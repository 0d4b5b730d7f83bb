package sandbox_test

import (
	"testing"

	"gorm.io/gorm"

	"cunlu/app/db/dbtest"
	"cunlu/app/sandbox"
)

var sandboxTables = []string{"sandbox_cart_items", "sandbox_stock", "sandbox_orders", "sandbox_aftersales",
	"sandbox_ledger", "sandbox_events", "sandbox_reviews"}

func TestReset(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		fert := w.product(t, "复合肥 40公斤", 13800)
		pencils := w.product(t, "HB铅笔", 1200)

		// fill gives a learner a bit of everything: a picked-up, reviewed, returned and
		// refunded order, a second order, a declined payment, a cart and fast-forwards.
		fill := func(o sandbox.Owner) {
			ord := w.buy(t, o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet), fert, pencils)
			ord = w.arrive(t, o, ord.ID)
			must(t, w.svc.PickUp(w.ctx, o, ord.ID, ord.PickupCode))
			must(t, w.svc.WriteReview(w.ctx, o, ord.ID, fert.ID, 2, "一般般"))
			must(t, w.svc.RequestReturn(w.ctx, o, ord.ID, "damaged", ""))
			must(t, w.svc.FastForward(w.ctx, o, ord.ID))
			w.buy(t, o, w.form(sandbox.DeliveryHome, sandbox.PaymentWallet), pencils)
			w.add(t, o, fert, 1)
			f := w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)
			f.Outcome = sandbox.OutcomeDeclined
			if _, err := w.checkout(o, f); err == nil {
				t.Fatal("practice code 0001 did not decline")
			}
		}
		a, b := w.villager(t), w.villager(t)
		fill(a)
		fill(b)
		counts := func(o sandbox.Owner) map[string]int64 {
			out := map[string]int64{}
			for _, table := range sandboxTables {
				out[table] = w.count(t, table, o.UserID)
			}
			return out
		}
		for table, n := range counts(a) {
			if n == 0 {
				t.Fatalf("fixture left %s empty", table)
			}
		}
		beforeB, walletB := counts(b), *w.wallet(t, b)
		if w.wallet(t, a).BalanceCents == sandbox.StartBalance || w.wallet(t, a).ClockOffset == 0 {
			t.Fatal("fixture did not move a's money and clock")
		}

		must(t, w.svc.Reset(w.ctx, a))

		for table, n := range counts(a) {
			if table == "sandbox_events" && n == 1 && w.events(t, a.UserID, sandbox.EventReset) == 1 {
				continue // the reset itself, which the practice shop lesson's task listens to
			}
			if n != 0 {
				t.Errorf("%d rows of a in %s after reset", n, table)
			}
		}
		var items int64
		must(t, g.Model(&sandbox.OrderItem{}).Where("order_id NOT IN (SELECT id FROM sandbox_orders)").Count(&items).Error)
		if items != 0 {
			t.Errorf("%d order items left without their order", items)
		}
		wl := w.wallet(t, a)
		if wl.BalanceCents != sandbox.StartBalance || wl.HasPIN() || wl.ClockOffset != 0 || wl.PINFailures != 0 || wl.PINLockedUntil != nil {
			t.Errorf("wallet after reset %+v, want ¥2,000, no PIN, the real clock", wl)
		}
		if got := w.left(t, a, fert); got != fert.Stock {
			t.Errorf("stock %d after reset, want the catalogue's %d", got, fert.Stock)
		}
		orders, _, err := w.svc.Orders(w.ctx, a)
		must(t, err)
		if len(orders) != 0 {
			t.Errorf("%d orders after reset", len(orders))
		}

		// b's sandbox is as it was.
		afterB := counts(b)
		for table, n := range beforeB {
			if afterB[table] != n {
				t.Errorf("b's %s went from %d to %d rows", table, n, afterB[table])
			}
		}
		if got := w.wallet(t, b); got.BalanceCents != walletB.BalanceCents || got.PINHash != walletB.PINHash || got.ClockOffset != walletB.ClockOffset {
			t.Errorf("b's wallet changed: %+v", got)
		}
		w.checkMoney(t)

		// The reset sandbox works like a new one.
		w.setPIN(t, a)
		ord := w.buy(t, a, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet), fert)
		if got := w.balance(t, a); got != sandbox.StartBalance-ord.TotalCents {
			t.Errorf("balance %d after a new order", got)
		}
	})
}

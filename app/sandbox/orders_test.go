package sandbox_test

import (
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
	"cunlu/app/sandbox"
)

func TestStageAt(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	ord := sandbox.Order{Delivery: sandbox.DeliveryPickup, PlacedAt: t0, ShipAt: t0.Add(3 * time.Hour),
		WarehouseAt: t0.Add(20 * time.Hour), ArriveAt: t0.Add(44 * time.Hour)}
	for _, tc := range []struct {
		at   time.Duration
		want sandbox.Stage
	}{
		{0, sandbox.StagePaid},
		{3*time.Hour - time.Second, sandbox.StagePaid},
		{3 * time.Hour, sandbox.StageShipped},
		{20*time.Hour - time.Second, sandbox.StageShipped},
		{20 * time.Hour, sandbox.StageWarehouse},
		{44*time.Hour - time.Second, sandbox.StageWarehouse},
		{44 * time.Hour, sandbox.StageArrived},
		{400 * time.Hour, sandbox.StageArrived},
	} {
		if got := ord.StageAt(t0.Add(tc.at)); got != tc.want {
			t.Errorf("stage after %v = %d, want %d", tc.at, got, tc.want)
		}
		if ord.Received(t0.Add(tc.at)) {
			t.Errorf("a pickup order counts as received after %v without pickup", tc.at)
		}
		if st := tc.want; st != sandbox.StagePaid && !ord.TimeOf(st).Equal(t0.Add(map[sandbox.Stage]time.Duration{
			sandbox.StageShipped: 3 * time.Hour, sandbox.StageWarehouse: 20 * time.Hour, sandbox.StageArrived: 44 * time.Hour}[st])) {
			t.Errorf("TimeOf(%d) = %v", st, ord.TimeOf(st))
		}
	}
	home := ord
	home.Delivery = sandbox.DeliveryHome
	if home.Received(t0.Add(44*time.Hour-time.Second)) || !home.Received(t0.Add(44*time.Hour)) {
		t.Error("home delivery is received exactly when it arrives")
	}
	picked := t0.Add(50 * time.Hour)
	ord.PickedUpAt = &picked
	if ord.StageAt(t0) != sandbox.StagePickedUp || !ord.Received(t0) || ord.TimeOf(sandbox.StagePickedUp) != &picked {
		t.Error("a picked-up order is picked up and received")
	}
}

func TestTracking(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		fert := w.product(t, "复合肥 40公斤", 13800)
		pencils := w.product(t, "HB铅笔", 1200)

		t.Run("fast-forward", func(t *testing.T) {
			o := w.villager(t)
			ord := w.buy(t, o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet), fert)
			got, now, err := w.svc.Order(w.ctx, o, ord.ID)
			must(t, err)
			if got.StageAt(now) != sandbox.StagePaid || !now.Equal(ord.PlacedAt) {
				t.Fatalf("new order at stage %d, now %v placed %v", got.StageAt(now), now, ord.PlacedAt)
			}
			for _, want := range []sandbox.Stage{sandbox.StageShipped, sandbox.StageWarehouse, sandbox.StageArrived} {
				must(t, w.svc.FastForward(w.ctx, o, ord.ID))
				got, now, err = w.svc.Order(w.ctx, o, ord.ID)
				must(t, err)
				at := *got.TimeOf(want)
				if got.StageAt(now) != want || now.Before(at) || now.Sub(at) > 2*time.Second {
					t.Fatalf("after fast-forward: stage %d at %v, want %d at %v", got.StageAt(now), now, want, at)
				}
			}
			if n := w.events(t, o.UserID, sandbox.EventTracked); n != 3 {
				t.Errorf("%d tracked events, want 3", n)
			}
			before := w.wallet(t, o).ClockOffset
			wantErr(t, w.svc.FastForward(w.ctx, o, ord.ID), errs.Conflict, "shop.error.nothing_to_wait_for")
			if after := w.wallet(t, o).ClockOffset; after != before {
				t.Errorf("a refused fast-forward moved the clock from %d to %d", before, after)
			}
		})

		t.Run("the real clock moves the simulated one", func(t *testing.T) {
			o := w.villager(t)
			ord := w.buy(t, o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet), pencils)
			w.clock.Advance(20 * time.Hour)
			got, now, err := w.svc.Order(w.ctx, o, ord.ID)
			must(t, err)
			if got.StageAt(now) != sandbox.StageWarehouse {
				t.Errorf("20 hours later the stage is %d, want warehouse", got.StageAt(now))
			}
			must(t, w.svc.FastForward(w.ctx, o, ord.ID)) // straight to arrival
			got, now, err = w.svc.Order(w.ctx, o, ord.ID)
			must(t, err)
			if got.StageAt(now) != sandbox.StageArrived {
				t.Errorf("stage %d after one fast-forward from the warehouse", got.StageAt(now))
			}
		})

		t.Run("delayed parcel", func(t *testing.T) {
			o := w.villager(t)
			f := w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)
			f.Outcome = sandbox.OutcomeDelayed
			ord := w.buy(t, o, f, pencils)
			ord = w.arrive(t, o, ord.ID)
			if _, now, _ := w.svc.Order(w.ctx, o, ord.ID); now.Sub(ord.PlacedAt) < 68*time.Hour {
				t.Errorf("a delayed parcel arrived %v after it was placed", now.Sub(ord.PlacedAt))
			}
		})

		t.Run("pickup", func(t *testing.T) {
			o := w.villager(t)
			ord := w.buy(t, o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet), fert)
			wantErr(t, w.svc.PickUp(w.ctx, o, ord.ID, ord.PickupCode), errs.Conflict, "shop.error.not_arrived")
			ord = w.arrive(t, o, ord.ID)
			wrong := "000000"
			if ord.PickupCode == wrong {
				wrong = "111111"
			}
			for _, code := range []string{wrong, "", ord.PickupCode + "0"} {
				wantErr(t, w.svc.PickUp(w.ctx, o, ord.ID, code), errs.Invalid, "shop.error.pickup_code")
			}
			must(t, w.svc.PickUp(w.ctx, o, ord.ID, " "+ord.PickupCode+" "))
			got, now, err := w.svc.Order(w.ctx, o, ord.ID)
			must(t, err)
			if got.StageAt(now) != sandbox.StagePickedUp || got.PickedUpAt == nil || !got.Received(now) {
				t.Fatalf("after pickup: stage %d, picked up %v", got.StageAt(now), got.PickedUpAt)
			}
			wantErr(t, w.svc.PickUp(w.ctx, o, ord.ID, ord.PickupCode), errs.Conflict, "shop.error.already_picked_up")
			wantErr(t, w.svc.FastForward(w.ctx, o, ord.ID), errs.Conflict, "shop.error.nothing_to_wait_for")

			home := w.buy(t, o, w.form(sandbox.DeliveryHome, sandbox.PaymentWallet), pencils)
			home = w.arrive(t, o, home.ID)
			wantErr(t, w.svc.PickUp(w.ctx, o, home.ID, home.PickupCode), errs.Conflict, "shop.error.not_pickup")
		})

		t.Run("return and refund", func(t *testing.T) {
			o := w.villager(t)
			ord := w.buy(t, o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet), fert)
			paid := sandbox.StartBalance - ord.TotalCents
			wantErr(t, w.svc.RequestReturn(w.ctx, o, ord.ID, "damaged", ""), errs.Conflict, "shop.error.return_too_early")
			ord = w.arrive(t, o, ord.ID)
			wantErr(t, w.svc.RequestReturn(w.ctx, o, ord.ID, "damaged", ""), errs.Conflict, "shop.error.return_too_early") // not picked up yet
			must(t, w.svc.PickUp(w.ctx, o, ord.ID, ord.PickupCode))
			for _, reason := range []string{"", "changed_mind", "DAMAGED"} {
				wantErr(t, w.svc.RequestReturn(w.ctx, o, ord.ID, reason, ""), errs.Invalid, "shop.error.return_reason")
			}
			wantErr(t, w.svc.RequestReturn(w.ctx, o, ord.ID, "damaged", strings.Repeat("破", 301)), errs.Invalid, "error.too_long")
			must(t, w.svc.RequestReturn(w.ctx, o, ord.ID, "damaged", "  袋子破了  "))
			wantErr(t, w.svc.RequestReturn(w.ctx, o, ord.ID, "not_needed", ""), errs.Conflict, "shop.error.return_exists")

			got, _, err := w.svc.Order(w.ctx, o, ord.ID)
			must(t, err)
			if a := got.Aftersale; a == nil || a.Reason != "damaged" || a.Note != "袋子破了" || a.AmountCents != ord.TotalCents || a.RefundedAt != nil {
				t.Fatalf("after-sale %+v", a)
			}
			// The refund waits for the simulated day.
			w.clock.Advance(23 * time.Hour)
			if got := w.balance(t, o); got != paid {
				t.Fatalf("balance %d before the day is over, want %d", got, paid)
			}
			must(t, w.svc.FastForward(w.ctx, o, ord.ID))
			if got := w.balance(t, o); got != sandbox.StartBalance {
				t.Fatalf("balance %d after the refund day, want %d", got, sandbox.StartBalance)
			}
			got, _, err = w.svc.Order(w.ctx, o, ord.ID)
			must(t, err)
			if got.Aftersale.RefundedAt == nil {
				t.Error("after-sale not marked refunded")
			}
			// Exactly once, however often the wallet is read or the clock moves.
			wantErr(t, w.svc.FastForward(w.ctx, o, ord.ID), errs.Conflict, "shop.error.nothing_to_wait_for")
			w.clock.Advance(72 * time.Hour)
			_ = w.wallet(t, o)
			if got := w.balance(t, o); got != sandbox.StartBalance {
				t.Errorf("balance %d after reading the wallet again", got)
			}
			ledger, err := w.svc.Ledger(w.ctx, o)
			must(t, err)
			if len(ledger) != 2 || ledger[0].Kind != "refund" || ledger[0].AmountCents != ord.TotalCents || *ledger[0].OrderID != ord.ID {
				t.Errorf("ledger %+v, want the refund on top of the payment", ledger)
			}
		})

		t.Run("refund by the passing of time", func(t *testing.T) {
			o := w.villager(t)
			home := w.buy(t, o, w.form(sandbox.DeliveryHome, sandbox.PaymentWallet), pencils)
			w.arrive(t, o, home.ID)
			must(t, w.svc.RequestReturn(w.ctx, o, home.ID, "not_needed", "")) // home delivery is received on arrival
			w.clock.Advance(24*time.Hour - time.Second)
			if got := w.balance(t, o); got != sandbox.StartBalance-home.TotalCents {
				t.Fatalf("refunded a second early: balance %d", got)
			}
			w.clock.Advance(time.Second)
			if got := w.balance(t, o); got != sandbox.StartBalance {
				t.Fatalf("balance %d a day later, want %d", got, sandbox.StartBalance)
			}
			if n := w.count(t, "sandbox_ledger", o.UserID); n != 2 {
				t.Errorf("%d ledger entries, want payment and refund", n)
			}
		})

		t.Run("reviews", func(t *testing.T) {
			o := w.villager(t)
			ord := w.buy(t, o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet), fert, pencils)
			wantErr(t, w.svc.WriteReview(w.ctx, o, ord.ID, fert.ID, 5, "很好用"), errs.Conflict, "shop.error.review_too_early")
			ord = w.arrive(t, o, ord.ID)
			wantErr(t, w.svc.WriteReview(w.ctx, o, ord.ID, fert.ID, 5, "很好用"), errs.Conflict, "shop.error.review_too_early")
			must(t, w.svc.PickUp(w.ctx, o, ord.ID, ord.PickupCode))
			for _, stars := range []int{0, -1, 6} {
				wantErr(t, w.svc.WriteReview(w.ctx, o, ord.ID, fert.ID, stars, "很好用"), errs.Invalid, "shop.error.stars")
			}
			wantErr(t, w.svc.WriteReview(w.ctx, o, ord.ID, fert.ID, 4, " 好 "), errs.Invalid, "shop.error.review_short")
			wantErr(t, w.svc.WriteReview(w.ctx, o, ord.ID, fert.ID, 4, strings.Repeat("好", 501)), errs.Invalid, "error.too_long")
			cooker := w.product(t, "电饭煲 4升", 13900)
			wantErr(t, w.svc.WriteReview(w.ctx, o, ord.ID, cooker.ID, 4, "不在这单里"), errs.NotFound, "")

			must(t, w.svc.WriteReview(w.ctx, o, ord.ID, fert.ID, 1, "  肥料结块了  "))
			must(t, w.svc.WriteReview(w.ctx, o, ord.ID, pencils.ID, 5, "铅笔不错"))
			wantErr(t, w.svc.WriteReview(w.ctx, o, ord.ID, fert.ID, 5, "改主意了"), errs.Conflict, "shop.error.review_exists")

			// The same product in another order may be reviewed again.
			again := w.buy(t, o, w.form(sandbox.DeliveryHome, sandbox.PaymentWallet), fert)
			w.arrive(t, o, again.ID)
			must(t, w.svc.WriteReview(w.ctx, o, again.ID, fert.ID, 4, "这次好了"))

			mine, err := w.svc.Reviews(w.ctx, o, fert.ID)
			must(t, err)
			if len(mine) != 2 || mine[0].Text != "这次好了" || mine[1].Text != "肥料结块了" || mine[1].Stars != 1 {
				t.Fatalf("reviews %+v, want two, newest first", mine)
			}
			other := w.learner(t, account.RoleVillager)
			theirs, err := w.svc.Reviews(w.ctx, other, fert.ID)
			must(t, err)
			if len(theirs) != 0 {
				t.Errorf("another learner sees %d of these reviews", len(theirs))
			}
		})

		w.checkMoney(t)
	})
}

func TestOrderIsolation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		a, b := w.villager(t), w.villager(t)
		fert := w.product(t, "复合肥 40公斤", 13800)
		ord := w.buy(t, a, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet), fert)
		ord = w.arrive(t, a, ord.ID)
		offsetA := w.wallet(t, a).ClockOffset

		_, _, err := w.svc.Order(w.ctx, b, ord.ID)
		wantErr(t, err, errs.NotFound, "")
		wantErr(t, w.svc.FastForward(w.ctx, b, ord.ID), errs.NotFound, "")
		wantErr(t, w.svc.PickUp(w.ctx, b, ord.ID, ord.PickupCode), errs.NotFound, "")
		wantErr(t, w.svc.RequestReturn(w.ctx, b, ord.ID, "damaged", ""), errs.NotFound, "")
		wantErr(t, w.svc.WriteReview(w.ctx, b, ord.ID, fert.ID, 1, "差评差评"), errs.NotFound, "")
		if owns, err := w.svc.Owns(w.ctx, b, ord.ID); err != nil || owns {
			t.Errorf("b owns a's order: %v %v", owns, err)
		}
		if owns, err := w.svc.Owns(w.ctx, a, ord.ID); err != nil || !owns {
			t.Errorf("a does not own their order: %v %v", owns, err)
		}
		orders, _, err := w.svc.Orders(w.ctx, b)
		must(t, err)
		if len(orders) != 0 {
			t.Errorf("b lists %d orders", len(orders))
		}

		got, now, err := w.svc.Order(w.ctx, a, ord.ID)
		must(t, err)
		if got.StageAt(now) != sandbox.StageArrived || got.PickedUpAt != nil || got.Aftersale != nil {
			t.Errorf("a's order changed: stage %d, picked up %v, after-sale %+v", got.StageAt(now), got.PickedUpAt, got.Aftersale)
		}
		if w.wallet(t, a).ClockOffset != offsetA || w.wallet(t, b).ClockOffset != 0 {
			t.Error("b's attempts moved a clock")
		}
		for _, table := range []string{"sandbox_reviews", "sandbox_aftersales"} {
			if n := w.count(t, table, a.UserID) + w.count(t, table, b.UserID); n != 0 {
				t.Errorf("%d rows in %s", n, table)
			}
		}
		if w.balance(t, a) != sandbox.StartBalance-fert.PriceCents || w.balance(t, b) != sandbox.StartBalance {
			t.Error("balances changed")
		}
	})
}

// TestReturnRefundsTheWayItWasPaid: a return's refund goes back the way the money came. A
// wallet order is refunded into the wallet; an order paid in cash at pickup is refunded in
// cash at the centre, so however often it is returned the wallet neither grows nor shows a
// refund; a cash order not yet picked up (and so not yet paid) cannot be returned.
func TestReturnRefundsTheWayItWasPaid(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		fert := w.product(t, "复合肥 40公斤", 13800)
		o := w.villager(t)

		unpaid := w.arrive(t, o, w.buy(t, o, w.form(sandbox.DeliveryPickup, sandbox.PaymentCash), fert).ID)
		wantErr(t, w.svc.RequestReturn(w.ctx, o, unpaid.ID, "not_needed", ""), errs.Conflict, "shop.error.return_too_early")

		for range 3 {
			ord := w.arrive(t, o, w.buy(t, o, w.form(sandbox.DeliveryPickup, sandbox.PaymentCash), fert).ID)
			must(t, w.svc.PickUp(w.ctx, o, ord.ID, ord.PickupCode)) // paid in cash at the counter
			must(t, w.svc.RequestReturn(w.ctx, o, ord.ID, "damaged", ""))
			must(t, w.svc.FastForward(w.ctx, o, ord.ID))
			got, _, err := w.svc.Order(w.ctx, o, ord.ID)
			must(t, err)
			if a := got.Aftersale; a.RefundedAt == nil || a.AmountCents != ord.TotalCents || a.RefundTo != sandbox.RefundCash {
				t.Fatalf("cash return not refunded in cash: %+v", a)
			}
		}
		if got := w.balance(t, o); got != sandbox.StartBalance {
			t.Errorf("three cash returns moved the wallet to %d, want %d", got, sandbox.StartBalance)
		}
		if n := w.count(t, "sandbox_ledger", o.UserID); n != 0 {
			t.Errorf("%d ledger entries after cash orders and their returns, want none", n)
		}

		ord := w.arrive(t, o, w.buy(t, o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet), fert).ID)
		must(t, w.svc.PickUp(w.ctx, o, ord.ID, ord.PickupCode))
		must(t, w.svc.RequestReturn(w.ctx, o, ord.ID, "damaged", ""))
		must(t, w.svc.FastForward(w.ctx, o, ord.ID))
		if got := w.balance(t, o); got != sandbox.StartBalance {
			t.Errorf("a wallet return left the wallet at %d, want %d", got, sandbox.StartBalance)
		}
		got, _, err := w.svc.Order(w.ctx, o, ord.ID)
		must(t, err)
		if got.Aftersale.RefundTo != sandbox.RefundWallet {
			t.Errorf("wallet return refunded to %q", got.Aftersale.RefundTo)
		}
		w.checkMoney(t)
	})
}

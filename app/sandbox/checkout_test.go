package sandbox_test

import (
	"maps"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
	"cunlu/app/sandbox"
)

func TestCheckout(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		fert := w.product(t, "复合肥 40公斤", 13800) // home fee ¥15
		cooker := w.product(t, "电饭煲 4升", 13900) // home fee ¥20
		pencils := w.product(t, "HB铅笔", 1200)   // home fee below ¥20
		potash := w.product(t, "硫酸钾", 21500)    // 15 in stock
		washer := w.product(t, "洗衣机", 89900)    // home delivery only
		if pencils.HomeFeeCents >= cooker.HomeFeeCents || fert.HomeFeeCents >= cooker.HomeFeeCents || washer.Pickup {
			t.Fatalf("fixture products changed")
		}

		t.Run("pickup at own centre", func(t *testing.T) {
			o := w.villager(t)
			w.add(t, o, fert, 2)
			w.add(t, o, pencils, 3)
			ord, err := w.checkout(o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet))
			must(t, err)
			goods := 2*fert.PriceCents + 3*pencils.PriceCents
			if ord.CentreID == nil || *ord.CentreID != w.centre.ID || ord.Address != "" {
				t.Errorf("centre %v address %q, want the learner's centre %d", ord.CentreID, ord.Address, w.centre.ID)
			}
			if ord.GoodsCents != goods || ord.ShippingCents != 0 || ord.TotalCents != goods {
				t.Errorf("goods %d shipping %d total %d, want %d, 0, %d", ord.GoodsCents, ord.ShippingCents, ord.TotalCents, goods, goods)
			}
			if len(ord.Items) != 2 || ord.UserID != o.UserID || ord.AssistedByID != nil || len(ord.PickupCode) != 6 {
				t.Errorf("order %+v", ord)
			}
			for _, it := range ord.Items {
				want := map[uint][2]int64{fert.ID: {fert.PriceCents, 2}, pencils.ID: {pencils.PriceCents, 3}}[it.ProductID]
				if it.PriceCents != want[0] || int64(it.Qty) != want[1] {
					t.Errorf("item %+v, want price and qty %v", it, want)
				}
			}
			if ship, wh, arr := ord.ShipAt.Sub(ord.PlacedAt), ord.WarehouseAt.Sub(ord.PlacedAt), ord.ArriveAt.Sub(ord.PlacedAt); ship != 3*time.Hour ||
				wh != 20*time.Hour || arr != 44*time.Hour || ord.Delayed || ord.Damaged {
				t.Errorf("ships, reaches the warehouse and arrives %v, %v, %v after placing (delayed %v, damaged %v), want 3h, 20h, 44h",
					ship, wh, arr, ord.Delayed, ord.Damaged)
			}
			if !ord.PlacedAt.Equal(w.clock.Now()) {
				t.Errorf("placed at %v on a fresh simulated clock, want %v", ord.PlacedAt, w.clock.Now())
			}
			if got := w.balance(t, o); got != sandbox.StartBalance-goods {
				t.Errorf("balance %d, want %d", got, sandbox.StartBalance-goods)
			}
			ledger, err := w.svc.Ledger(w.ctx, o)
			must(t, err)
			if len(ledger) != 1 || ledger[0].AmountCents != -goods || ledger[0].Kind != "payment" || ledger[0].OrderID == nil || *ledger[0].OrderID != ord.ID {
				t.Errorf("ledger %+v, want one payment of %d for order %d", ledger, -goods, ord.ID)
			}
			if got := w.cart(t, o); len(got) != 0 {
				t.Errorf("cart %v after checkout, want empty", got)
			}
			if got := w.left(t, o, fert); got != fert.Stock-2 {
				t.Errorf("fertiliser left %d, want %d", got, fert.Stock-2)
			}
			if got := w.left(t, w.learner(t, account.RoleVillager), fert); got != fert.Stock {
				t.Errorf("another learner's stock moved to %d", got)
			}
		})

		t.Run("pickup at another centre", func(t *testing.T) {
			o := w.villager(t)
			f := w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)
			f.CentreID = w.other.ID
			ord := w.buy(t, o, f, fert)
			if ord.CentreID == nil || *ord.CentreID != w.other.ID {
				t.Errorf("centre %v, want %d", ord.CentreID, w.other.ID)
			}
			f = w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)
			f.CentreID = 999999
			w.add(t, o, fert, 1)
			_, err := w.checkout(o, f)
			wantErr(t, err, errs.Invalid, "shop.error.centre")
		})

		t.Run("home delivery", func(t *testing.T) {
			o := w.villager(t)
			w.add(t, o, fert, 1)
			w.add(t, o, cooker, 1)
			w.add(t, o, pencils, 1)
			for _, addr := range []string{"", "   ", "三组", string([]byte{0xff, 0xfe, 0xfd, 0xfc})} {
				f := w.form(sandbox.DeliveryHome, sandbox.PaymentWallet)
				f.Address = addr
				_, err := w.checkout(o, f)
				wantErr(t, err, errs.Invalid, "shop.error.address")
			}
			ord, err := w.checkout(o, w.form(sandbox.DeliveryHome, sandbox.PaymentWallet))
			must(t, err)
			goods := fert.PriceCents + cooker.PriceCents + pencils.PriceCents
			if ord.ShippingCents != cooker.HomeFeeCents || ord.GoodsCents != goods || ord.TotalCents != goods+cooker.HomeFeeCents {
				t.Errorf("goods %d shipping %d total %d, want %d + the highest fee %d", ord.GoodsCents, ord.ShippingCents, ord.TotalCents, goods, cooker.HomeFeeCents)
			}
			if ord.CentreID != nil || ord.Address != "北川村三组 12 号" {
				t.Errorf("centre %v address %q", ord.CentreID, ord.Address)
			}
			if got := w.balance(t, o); got != sandbox.StartBalance-ord.TotalCents {
				t.Errorf("balance %d, want %d", got, sandbox.StartBalance-ord.TotalCents)
			}
		})

		t.Run("pickup refused for a home-only item", func(t *testing.T) {
			o := w.villager(t)
			w.add(t, o, washer, 1)
			_, err := w.checkout(o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet))
			wantErr(t, err, errs.Invalid, "shop.error.no_pickup_item")
			if got := w.cart(t, o); got[washer.ID] != 1 {
				t.Errorf("cart %v after the refusal", got)
			}
		})

		t.Run("cash", func(t *testing.T) {
			o := w.learner(t, account.RoleVillager) // no PIN needed for cash
			w.add(t, o, fert, 1)
			_, err := w.checkout(o, w.form(sandbox.DeliveryHome, sandbox.PaymentCash))
			wantErr(t, err, errs.Invalid, "shop.error.cash_needs_pickup")
			ord, err := w.checkout(o, w.form(sandbox.DeliveryPickup, sandbox.PaymentCash))
			must(t, err)
			if ord.Payment != sandbox.PaymentCash || ord.TotalCents != fert.PriceCents {
				t.Errorf("order %+v", ord)
			}
			if got := w.balance(t, o); got != sandbox.StartBalance {
				t.Errorf("cash order took %d from the wallet", sandbox.StartBalance-got)
			}
			if n := w.count(t, "sandbox_ledger", o.UserID); n != 0 {
				t.Errorf("%d ledger entries for a cash order", n)
			}
		})

		t.Run("bad forms", func(t *testing.T) {
			o := w.learner(t, account.RoleVillager)
			w.add(t, o, fert, 1)
			short := w.form(sandbox.DeliveryPickup, sandbox.PaymentCash)
			short.Key = "too-short"
			long := w.form(sandbox.DeliveryPickup, sandbox.PaymentCash)
			long.Key = string(make([]byte, 65))
			badDelivery := w.form(sandbox.DeliveryPickup, sandbox.PaymentCash)
			badDelivery.Delivery = "drone"
			badPayment := w.form(sandbox.DeliveryPickup, sandbox.PaymentCash)
			badPayment.Payment = "credit"
			badOutcome := w.form(sandbox.DeliveryPickup, sandbox.PaymentCash)
			badOutcome.Outcome = "0009"
			for _, tc := range []struct {
				f   sandbox.CheckoutForm
				key string
			}{
				{short, "shop.error.checkout_stale"},
				{long, "shop.error.checkout_stale"},
				{badDelivery, "shop.error.delivery"},
				{badPayment, "shop.error.payment"},
				{badOutcome, "shop.error.outcome"},
				{w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet), "shop.error.no_pin"},
			} {
				_, err := w.checkout(o, tc.f)
				wantErr(t, err, errs.Invalid, tc.key)
			}
			if n := w.count(t, "sandbox_orders", o.UserID); n != 0 || w.cart(t, o)[fert.ID] != 1 {
				t.Errorf("%d orders and cart %v after refused forms", n, w.cart(t, o))
			}
		})

		t.Run("empty cart", func(t *testing.T) {
			o := w.villager(t)
			_, err := w.checkout(o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet))
			wantErr(t, err, errs.Conflict, "shop.error.cart_empty")
		})

		// declined checks that a refused payment changed nothing but recorded the refusal.
		declined := func(t *testing.T, o sandbox.Owner, p *sandbox.Product, qty int, err error) {
			t.Helper()
			if e := wantErr(t, err, errs.Conflict, "shop.error.declined"); e.Args["Balance"] != sandbox.Yuan(sandbox.StartBalance) {
				t.Errorf("args %v", e.Args)
			}
			if got := w.balance(t, o); got != sandbox.StartBalance {
				t.Errorf("balance %d after a decline", got)
			}
			if got := w.left(t, o, p); got != p.Stock {
				t.Errorf("stock %d after a decline, want %d", got, p.Stock)
			}
			if got := w.cart(t, o); !maps.Equal(got, map[uint]int{p.ID: qty}) {
				t.Errorf("cart %v after a decline", got)
			}
			for _, table := range []string{"sandbox_orders", "sandbox_ledger", "sandbox_stock"} {
				if n := w.count(t, table, o.UserID); n != 0 {
					t.Errorf("%d rows in %s after a decline", n, table)
				}
			}
			if n := w.events(t, o.UserID, sandbox.EventDeclined); n != 1 {
				t.Errorf("%d declined-payment events, want 1", n)
			}
		}

		t.Run("insufficient balance", func(t *testing.T) {
			o := w.villager(t)
			w.add(t, o, potash, 10) // ¥2,150 > ¥2,000
			_, err := w.checkout(o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet))
			declined(t, o, potash, 10, err)
			// With less in the cart the same learner can pay.
			must(t, w.svc.SetCartQty(w.ctx, o, potash.ID, 9))
			ord, err := w.checkout(o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet))
			must(t, err)
			if ord.TotalCents != 9*potash.PriceCents || w.balance(t, o) != sandbox.StartBalance-9*potash.PriceCents {
				t.Errorf("total %d, balance %d", ord.TotalCents, w.balance(t, o))
			}
		})

		t.Run("outcome 0001 declines", func(t *testing.T) {
			o := w.villager(t)
			w.add(t, o, pencils, 1)
			f := w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)
			f.Outcome = sandbox.OutcomeDeclined
			_, err := w.checkout(o, f)
			declined(t, o, pencils, 1, err)
		})

		t.Run("outcome 0002 sells out the first item", func(t *testing.T) {
			o := w.villager(t)
			w.add(t, o, fert, 2)
			w.clock.Advance(time.Second) // the cart is in the order things were added
			w.add(t, o, pencils, 1)
			f := w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)
			f.Outcome = sandbox.OutcomeSoldOut
			_, err := w.checkout(o, f)
			wantErr(t, err, errs.Conflict, "shop.error.sold_out")
			if got := w.left(t, o, fert); got != 0 {
				t.Errorf("fertiliser left %d, want 0", got)
			}
			if got := w.left(t, o, pencils); got != pencils.Stock {
				t.Errorf("pencils left %d, want %d", got, pencils.Stock)
			}
			if got := w.left(t, w.learner(t, account.RoleVillager), fert); got != fert.Stock {
				t.Errorf("another learner's fertiliser stock is %d", got)
			}
			if got := w.cart(t, o); !maps.Equal(got, map[uint]int{fert.ID: 2, pencils.ID: 1}) {
				t.Errorf("cart %v, want it kept", got)
			}
			if n := w.count(t, "sandbox_orders", o.UserID); n != 0 || w.balance(t, o) != sandbox.StartBalance {
				t.Errorf("%d orders, balance %d", n, w.balance(t, o))
			}
			if n := w.events(t, o.UserID, sandbox.EventSoldOut); n != 1 {
				t.Errorf("%d sold-out events", n)
			}
			// Now checkout itself refuses the sold-out item.
			_, err = w.checkout(o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet))
			wantErr(t, err, errs.Conflict, "shop.error.sold_out")
			must(t, w.svc.SetCartQty(w.ctx, o, fert.ID, 0))
			ord, err := w.checkout(o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet))
			must(t, err)
			if len(ord.Items) != 1 || ord.Items[0].ProductID != pencils.ID {
				t.Errorf("order items %+v", ord.Items)
			}
		})

		t.Run("outcomes 0003 and 0004", func(t *testing.T) {
			o := w.villager(t)
			f := w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)
			f.Outcome = " " + sandbox.OutcomeDelayed + " "
			ord := w.buy(t, o, f, pencils)
			if !ord.Delayed || ord.Damaged || ord.ArriveAt.Sub(ord.PlacedAt) != 68*time.Hour || ord.WarehouseAt.Sub(ord.PlacedAt) != 20*time.Hour {
				t.Errorf("delayed order: delayed %v damaged %v arrives after %v", ord.Delayed, ord.Damaged, ord.ArriveAt.Sub(ord.PlacedAt))
			}
			f = w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)
			f.Outcome = sandbox.OutcomeDamaged
			ord = w.buy(t, o, f, pencils)
			if ord.Delayed || !ord.Damaged || ord.ArriveAt.Sub(ord.PlacedAt) != 44*time.Hour {
				t.Errorf("damaged order: delayed %v damaged %v arrives after %v", ord.Delayed, ord.Damaged, ord.ArriveAt.Sub(ord.PlacedAt))
			}
			stored, _, err := w.svc.Order(w.ctx, o, ord.ID)
			must(t, err)
			if !stored.Damaged {
				t.Error("damage not stored")
			}
		})

		t.Run("same key twice", func(t *testing.T) {
			o := w.villager(t)
			f := w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)
			first := w.buy(t, o, f, fert)
			w.add(t, o, pencils, 1) // a new cart does not turn the old key into a new order
			again, err := w.checkout(o, f)
			must(t, err)
			if again.ID != first.ID || again.TotalCents != first.TotalCents || len(again.Items) != 1 {
				t.Errorf("second submit gave order %d (%d), want %d", again.ID, again.TotalCents, first.ID)
			}
			if n := w.count(t, "sandbox_orders", o.UserID); n != 1 {
				t.Errorf("%d orders, want 1", n)
			}
			if got := w.balance(t, o); got != sandbox.StartBalance-fert.PriceCents {
				t.Errorf("balance %d: charged more than once", got)
			}
			if got := w.cart(t, o); !maps.Equal(got, map[uint]int{pencils.ID: 1}) {
				t.Errorf("cart %v, want the new line kept", got)
			}
			// The same key in another learner's sandbox is another order.
			other := w.villager(t)
			ord := w.buy(t, other, f, pencils)
			if ord.ID == first.ID || ord.UserID != other.UserID {
				t.Errorf("another learner's checkout with the same key gave order %+v", ord)
			}
		})

		w.checkMoney(t)
	})
}

// TestCheckoutPIN runs the PIN rules on the real argon2id KDF of the account service.
func TestCheckoutPIN(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorldWith(t, g, account.NewService(g, account.Options{}))
		o := w.learner(t, account.RoleVillager)
		pencils := w.product(t, "HB铅笔", 1200)
		w.add(t, o, pencils, 1)

		wantErr(t, w.svc.SetPIN(w.ctx, o, "", "123456", account.CheckPIN), errs.Invalid, "error.pin_weak")
		w.setPIN(t, o)
		if !w.wallet(t, o).HasPIN() {
			t.Fatal("no PIN after SetPIN")
		}

		wrong := w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)
		wrong.PIN = "802468"
		for left := 2; left >= 1; left-- {
			_, err := w.checkout(o, wrong)
			e := wantErr(t, err, errs.Invalid, "shop.error.pin_wrong")
			if e.Field != "pin" || e.Args["Left"] != left {
				t.Fatalf("wrong PIN: field %q args %v, want Left %d", e.Field, e.Args, left)
			}
		}
		_, err := w.checkout(o, wrong)
		wantErr(t, err, errs.TooMany, "shop.error.pin_locked")
		if n := w.events(t, o.UserID, sandbox.EventPINWrong); n != 3 {
			t.Errorf("%d wrong-PIN events, want 3", n)
		}

		// Locked: even the right PIN is refused until fifteen minutes have passed.
		right := w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)
		_, err = w.checkout(o, right)
		wantErr(t, err, errs.TooMany, "shop.error.pin_locked")
		w.clock.Advance(14*time.Minute + 59*time.Second)
		_, err = w.checkout(o, right)
		if e := wantErr(t, err, errs.TooMany, "shop.error.pin_locked"); e.Args["Minutes"] != 1 {
			t.Errorf("locked with 1s to go: args %v, want Minutes 1", e.Args)
		}
		if n := w.count(t, "sandbox_orders", o.UserID); n != 0 || w.balance(t, o) != sandbox.StartBalance {
			t.Fatalf("%d orders while locked", n)
		}
		w.clock.Advance(time.Second)
		ord, err := w.checkout(o, right)
		must(t, err)
		if ord.Payment != sandbox.PaymentWallet || w.balance(t, o) != sandbox.StartBalance-pencils.PriceCents {
			t.Errorf("order %+v, balance %d", ord, w.balance(t, o))
		}
		if wl := w.wallet(t, o); wl.PINFailures != 0 {
			t.Errorf("%d PIN failures after a right PIN", wl.PINFailures)
		}

		// Changing the PIN needs the current one.
		wantErr(t, w.svc.SetPIN(w.ctx, o, "802468", "258036", account.CheckPIN), errs.Invalid, "shop.error.pin_wrong")
	})
}

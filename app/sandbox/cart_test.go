package sandbox_test

import (
	"maps"
	"math"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
	"cunlu/app/sandbox"
)

func TestCart(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		a, b := w.learner(t, account.RoleVillager), w.learner(t, account.RolePartner)
		fert := w.product(t, "复合肥 40公斤", 14500) // the catalogue has 8
		pencils := w.product(t, "HB铅笔", 1200)   // plenty
		if fert.Stock != 8 || pencils.Stock <= sandbox.MaxQty {
			t.Fatalf("fixture products changed: stock %d and %d", fert.Stock, pencils.Stock)
		}

		t.Run("stock", func(t *testing.T) {
			w.add(t, a, fert, 5)
			err := w.svc.AddToCart(w.ctx, a, fert.ID, 4, false) // 9 > 8
			if e := wantErr(t, err, errs.Invalid, "shop.error.not_enough_stock"); e.Args["Stock"] != 8 {
				t.Errorf("args %v, want Stock 8", e.Args)
			}
			if got := w.cart(t, a)[fert.ID]; got != 5 {
				t.Fatalf("cart has %d after a refused add, want 5", got)
			}
			w.add(t, a, fert, 3)
			if got := w.cart(t, a)[fert.ID]; got != 8 {
				t.Fatalf("cart has %d, want 8 (adds accumulate)", got)
			}
			wantErr(t, w.svc.SetCartQty(w.ctx, a, fert.ID, 9), errs.Invalid, "shop.error.not_enough_stock")
			must(t, w.svc.SetCartQty(w.ctx, a, fert.ID, 2))
			if got := w.cart(t, a)[fert.ID]; got != 2 {
				t.Fatalf("cart has %d after SetCartQty 2", got)
			}
		})

		t.Run("own stock", func(t *testing.T) {
			w.forceStock(t, a, pencils, 2)
			wantErr(t, w.svc.AddToCart(w.ctx, a, pencils.ID, 3, false), errs.Invalid, "shop.error.not_enough_stock")
			w.forceStock(t, a, pencils, 0)
			wantErr(t, w.svc.AddToCart(w.ctx, a, pencils.ID, 1, false), errs.Conflict, "shop.error.sold_out")
			if _, ok := w.cart(t, a)[pencils.ID]; ok {
				t.Fatal("a sold-out product reached the cart")
			}
			// Another learner's shop still has the catalogue's stock.
			w.add(t, b, pencils, 3)
		})

		t.Run("quantity limits", func(t *testing.T) {
			c := w.learner(t, account.RoleVillager)
			for _, qty := range []int{0, -1, sandbox.MaxQty + 1, math.MaxInt32, math.MinInt} {
				wantErr(t, w.svc.AddToCart(w.ctx, c, pencils.ID, qty, false), errs.Invalid, "shop.error.qty")
			}
			w.add(t, c, pencils, sandbox.MaxQty)
			wantErr(t, w.svc.AddToCart(w.ctx, c, pencils.ID, 1, false), errs.Invalid, "shop.error.qty")
			for _, qty := range []int{-1, sandbox.MaxQty + 1, math.MaxInt} {
				wantErr(t, w.svc.SetCartQty(w.ctx, c, pencils.ID, qty), errs.Invalid, "shop.error.qty")
			}
			if got := w.cart(t, c); !maps.Equal(got, map[uint]int{pencils.ID: sandbox.MaxQty}) {
				t.Fatalf("cart %v after refused changes", got)
			}
			wantErr(t, w.svc.AddToCart(w.ctx, c, 999999, 1, false), errs.NotFound, "")
		})

		t.Run("zero removes", func(t *testing.T) {
			c := w.learner(t, account.RoleVillager)
			w.add(t, c, pencils, 2)
			w.add(t, c, fert, 1)
			must(t, w.svc.SetCartQty(w.ctx, c, pencils.ID, 0))
			if got := w.cart(t, c); !maps.Equal(got, map[uint]int{fert.ID: 1}) {
				t.Fatalf("cart %v, want only the fertiliser", got)
			}
			wantErr(t, w.svc.SetCartQty(w.ctx, c, pencils.ID, 1), errs.NotFound, "")
		})

		t.Run("remove returns the line", func(t *testing.T) {
			c, d := w.learner(t, account.RoleVillager), w.learner(t, account.RoleVillager)
			w.add(t, c, pencils, 4)
			w.add(t, d, pencils, 2)
			line, err := w.svc.RemoveFromCart(w.ctx, c, pencils.ID)
			must(t, err)
			if line.Qty != 4 || line.Product == nil || line.Product.NameZh != pencils.NameZh || line.Product.Seller == nil {
				t.Fatalf("removed line %+v, want 4 pencils with their product and seller", line)
			}
			if got := w.cart(t, c); len(got) != 0 {
				t.Fatalf("cart %v after removing its only line", got)
			}
			if _, err := w.svc.RemoveFromCart(w.ctx, c, pencils.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("removing it again: %v, want NotFound", err)
			}
			if got := w.cart(t, d); !maps.Equal(got, map[uint]int{pencils.ID: 2}) {
				t.Fatalf("another learner's cart %v changed", got)
			}
			p, err := w.svc.Product(w.ctx, pencils.ID)
			if err != nil || p.ID != pencils.ID || p.Seller == nil {
				t.Errorf("Product: %+v %v", p, err)
			}
			if _, err := w.svc.Product(w.ctx, 999999); !errs.Is(err, errs.NotFound) {
				t.Errorf("Product of no product: %v, want NotFound", err)
			}
		})

		t.Run("other learner", func(t *testing.T) {
			before := w.cart(t, a)
			items, err := w.svc.Cart(w.ctx, b)
			must(t, err)
			for _, it := range items {
				if it.UserID != b.UserID {
					t.Fatalf("b's cart shows a line of user %d", it.UserID)
				}
			}
			if got := w.cart(t, b); !maps.Equal(got, map[uint]int{pencils.ID: 3}) {
				t.Fatalf("b's cart %v", got)
			}
			// b changing or removing a line only a has finds nothing and leaves a's cart alone.
			wantErr(t, w.svc.SetCartQty(w.ctx, b, fert.ID, 1), errs.NotFound, "")
			wantErr(t, w.svc.SetCartQty(w.ctx, b, fert.ID, 0), errs.NotFound, "")
			must(t, w.svc.SetCartQty(w.ctx, b, pencils.ID, 0))
			if got := w.cart(t, a); !maps.Equal(got, before) {
				t.Fatalf("a's cart changed from %v to %v", before, got)
			}
		})

		t.Run("totals", func(t *testing.T) {
			items := []sandbox.CartItem{
				{Product: &sandbox.Product{PriceCents: 13800, HomeFeeCents: 1500, Pickup: true}, Qty: 2},
				{Product: &sandbox.Product{PriceCents: 990, HomeFeeCents: 2000, Pickup: true}, Qty: 3},
			}
			if got := sandbox.Totals(items, sandbox.DeliveryPickup); got != (sandbox.CartTotals{Goods: 30570, Total: 30570, PickupOK: true}) {
				t.Errorf("pickup totals %+v", got)
			}
			if got := sandbox.Totals(items, sandbox.DeliveryHome); got != (sandbox.CartTotals{Goods: 30570, Shipping: 2000, Total: 32570, PickupOK: true}) {
				t.Errorf("home totals %+v (shipping is the highest fee, once)", got)
			}
			items = append(items, sandbox.CartItem{Product: &sandbox.Product{PriceCents: 89900}, Qty: 1})
			if got := sandbox.Totals(items, sandbox.DeliveryPickup); got.PickupOK {
				t.Error("a cart with a home-only item is pickup OK")
			}
		})
	})
}

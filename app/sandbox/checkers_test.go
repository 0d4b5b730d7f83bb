package sandbox_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/sandbox"
)

// line is a product and how many of it go in the cart.
type line struct {
	p   *sandbox.Product
	qty int
}

func TestCheckers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		var (
			fert138    = w.product(t, "复合肥 40公斤", 13800) // seller rated 4.8, the best of three
			fert129    = w.product(t, "复合肥 40公斤", 12900) // cheaper, seller rated 4.1
			fert186    = w.product(t, "复合肥 50公斤", 18600)
			urea       = w.product(t, "尿素", 11200) // the only seller of its goods
			foliar     = w.product(t, "叶面肥", 1800)
			pencils    = w.product(t, "HB铅笔", 1200)
			books      = w.product(t, "作业本", 1500)
			calculator = w.product(t, "计算器", 2500)
			bagMiddle  = w.product(t, "中学生双肩包", 9900)
			rice       = w.product(t, "电饭煲 4升", 13900)
		)
		if fert138.GroupKey != fert129.GroupKey || fert138.Seller.RatingX10 <= fert129.Seller.RatingX10 || urea.GroupKey == fert138.GroupKey {
			t.Fatal("fixture: the compound fertiliser group changed")
		}

		pickup := func() sandbox.CheckoutForm { return w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet) }
		home := func() sandbox.CheckoutForm { return w.form(sandbox.DeliveryHome, sandbox.PaymentWallet) }
		cash := func() sandbox.CheckoutForm { return w.form(sandbox.DeliveryPickup, sandbox.PaymentCash) }
		// order fills the cart with lines and checks out with f.
		order := func(t *testing.T, o sandbox.Owner, f sandbox.CheckoutForm, lines ...line) *sandbox.Order {
			t.Helper()
			for _, l := range lines {
				w.add(t, o, l.p, l.qty)
			}
			ord, err := w.checkout(o, f)
			must(t, err)
			return ord
		}
		one := func(p *sandbox.Product) line { return line{p, 1} }
		decline := func(t *testing.T, o sandbox.Owner) {
			t.Helper()
			w.add(t, o, pencils, 1)
			f := pickup()
			f.Outcome = sandbox.OutcomeDeclined
			if _, err := w.checkout(o, f); err == nil {
				t.Fatal("practice code 0001 did not decline")
			}
			must(t, w.svc.SetCartQty(w.ctx, o, pencils.ID, 0))
		}
		received := func(t *testing.T, o sandbox.Owner, lines ...line) *sandbox.Order {
			t.Helper()
			ord := w.arrive(t, o, order(t, o, pickup(), lines...).ID)
			must(t, w.svc.PickUp(w.ctx, o, ord.ID, ord.PickupCode))
			return ord
		}
		returned := func(t *testing.T, o sandbox.Owner, reason string) {
			t.Helper()
			ord := received(t, o, one(fert138))
			must(t, w.svc.RequestReturn(w.ctx, o, ord.ID, reason, ""))
			must(t, w.svc.FastForward(w.ctx, o, ord.ID))
		}
		var partner sandbox.Owner // set by the assisted-order cases

		type scenario func(t *testing.T, o sandbox.Owner) (checked sandbox.Owner)
		same := func(f func(t *testing.T, o sandbox.Owner)) scenario {
			return func(t *testing.T, o sandbox.Owner) sandbox.Owner { f(t, o); return o }
		}
		cases := []struct {
			task, name string
			want       bool
			run        scenario
		}{
			{"buy-first-order", "pickup at own centre", true, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(pencils)) })},
			{"buy-first-order", "pickup at another centre", false, same(func(t *testing.T, o sandbox.Owner) {
				f := pickup()
				f.CentreID = w.other.ID
				order(t, o, f, one(pencils))
			})},
			{"buy-first-order", "home delivery", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, home(), one(pencils)) })},
			{"buy-first-order", "only a cart", false, same(func(t *testing.T, o sandbox.Owner) { w.add(t, o, pencils, 1) })},

			{"buy-fertiliser-pickup", "¥138 fertiliser, pickup", true, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(fert138)) })},
			{"buy-fertiliser-pickup", "¥138 fertiliser, home", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, home(), one(fert138)) })},
			{"buy-fertiliser-pickup", "¥186 fertiliser, pickup", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(fert186)) })},
			{"buy-fertiliser-pickup", "no fertiliser, pickup", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(pencils)) })},

			{"buy-compare-sellers", "best-rated seller from compare", true, same(func(t *testing.T, o sandbox.Owner) {
				must(t, w.svc.AddToCart(w.ctx, o, fert138.ID, 1, true))
				order(t, o, pickup())
			})},
			{"buy-compare-sellers", "cheaper, worse-rated seller from compare", false, same(func(t *testing.T, o sandbox.Owner) {
				must(t, w.svc.AddToCart(w.ctx, o, fert129.ID, 1, true))
				order(t, o, pickup())
			})},
			{"buy-compare-sellers", "best-rated seller, not from compare", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(fert138)) })},
			{"buy-compare-sellers", "compared one seller, bought the best from search", false, same(func(t *testing.T, o sandbox.Owner) {
				must(t, w.svc.AddToCart(w.ctx, o, fert129.ID, 1, true))
				must(t, w.svc.SetCartQty(w.ctx, o, fert129.ID, 0))
				order(t, o, pickup(), one(fert138))
			})},
			{"buy-compare-sellers", "compared after the order", false, same(func(t *testing.T, o sandbox.Owner) {
				order(t, o, pickup(), one(fert138))
				w.clock.Advance(time.Minute)
				must(t, w.svc.AddToCart(w.ctx, o, fert138.ID, 1, true))
			})},
			{"buy-compare-sellers", "goods with one seller", false, same(func(t *testing.T, o sandbox.Owner) {
				must(t, w.svc.AddToCart(w.ctx, o, urea.ID, 1, true))
				order(t, o, pickup())
			})},

			{"buy-cart-several", "three products in one order", true, same(func(t *testing.T, o sandbox.Owner) {
				order(t, o, pickup(), one(pencils), one(books), one(foliar))
			})},
			{"buy-cart-several", "two products", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(pencils), one(books)) })},
			{"buy-cart-several", "three of one product", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), line{pencils, 3}) })},
			{"buy-cart-several", "three orders of one product", false, same(func(t *testing.T, o sandbox.Owner) {
				for _, p := range []*sandbox.Product{pencils, books, foliar} {
					order(t, o, pickup(), one(p))
				}
			})},

			{"buy-track-order", "fast-forwarded to arrival", true, same(func(t *testing.T, o sandbox.Owner) { w.arrive(t, o, order(t, o, pickup(), one(pencils)).ID) })},
			{"buy-track-order", "fast-forwarded once", false, same(func(t *testing.T, o sandbox.Owner) {
				must(t, w.svc.FastForward(w.ctx, o, order(t, o, pickup(), one(pencils)).ID))
			})},
			{"buy-track-order", "arrived without tracking", false, same(func(t *testing.T, o sandbox.Owner) {
				ord := order(t, o, pickup(), one(pencils))
				must(t, w.g.Model(&sandbox.Wallet{}).Where("user_id = ?", o.UserID).Update("clock_offset", int64((45*time.Hour).Seconds())).Error)
				if got, now, _ := w.svc.Order(w.ctx, o, ord.ID); got.StageAt(now) != sandbox.StageArrived {
					t.Fatal("the order did not arrive")
				}
			})},
			{"buy-track-order", "home delivery tracked", false, same(func(t *testing.T, o sandbox.Owner) { w.arrive(t, o, order(t, o, home(), one(pencils)).ID) })},

			{"buy-pickup-parcel", "picked up", true, same(func(t *testing.T, o sandbox.Owner) { received(t, o, one(pencils)) })},
			{"buy-pickup-parcel", "arrived, not picked up", false, same(func(t *testing.T, o sandbox.Owner) { w.arrive(t, o, order(t, o, pickup(), one(pencils)).ID) })},

			{"buy-return-damaged", "damaged, refunded", true, same(func(t *testing.T, o sandbox.Owner) { returned(t, o, "damaged") })},
			{"buy-return-damaged", "damaged, refund pending", false, same(func(t *testing.T, o sandbox.Owner) {
				ord := received(t, o, one(pencils))
				must(t, w.svc.RequestReturn(w.ctx, o, ord.ID, "damaged", ""))
			})},
			{"buy-return-damaged", "not needed, refunded", false, same(func(t *testing.T, o sandbox.Owner) { returned(t, o, "not_needed") })},

			{"buy-write-review", "reviewed", true, same(func(t *testing.T, o sandbox.Owner) {
				ord := received(t, o, one(pencils))
				must(t, w.svc.WriteReview(w.ctx, o, ord.ID, pencils.ID, 5, "好用"))
			})},
			{"buy-write-review", "received, not reviewed", false, same(func(t *testing.T, o sandbox.Owner) { received(t, o, one(pencils)) })},

			{"buy-home-delivery", "home", true, same(func(t *testing.T, o sandbox.Owner) { order(t, o, home(), one(pencils)) })},
			{"buy-home-delivery", "pickup", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(pencils)) })},

			{"buy-school-budget", "two school items under ¥100", true, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(pencils), one(books)) })},
			{"buy-school-budget", "school items for exactly ¥100", true, same(func(t *testing.T, o sandbox.Owner) {
				order(t, o, pickup(), line{books, 5}, one(calculator))
			})},
			{"buy-school-budget", "one school item", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), line{pencils, 2}) })},
			{"buy-school-budget", "two school items over ¥100", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(bagMiddle), one(pencils)) })},
			{"buy-school-budget", "a school item and a farm item", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(pencils), one(foliar)) })},

			{"pay-set-pin", "PIN set", true, same(func(t *testing.T, o sandbox.Owner) {})},
			{"pay-set-pin", "no PIN", false, func(t *testing.T, _ sandbox.Owner) sandbox.Owner {
				o := w.learner(t, account.RoleVillager)
				order(t, o, cash(), one(pencils))
				return o
			}},

			{"pay-wallet-pin", "paid from the wallet", true, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(pencils)) })},
			{"pay-wallet-pin", "paid cash", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, cash(), one(pencils)) })},
			{"pay-wallet-pin", "wallet payment declined", false, same(func(t *testing.T, o sandbox.Owner) { decline(t, o) })},

			{"pay-cash-on-pickup", "paid cash", true, same(func(t *testing.T, o sandbox.Owner) { order(t, o, cash(), one(pencils)) })},
			{"pay-cash-on-pickup", "paid from the wallet", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(pencils)) })},

			{"pay-recover-declined", "declined, then ordered", true, same(func(t *testing.T, o sandbox.Owner) {
				decline(t, o)
				w.clock.Advance(time.Minute)
				order(t, o, pickup(), one(pencils))
			})},
			{"pay-recover-declined", "declined, nothing after", false, same(func(t *testing.T, o sandbox.Owner) { decline(t, o) })},
			{"pay-recover-declined", "ordered, then declined", false, same(func(t *testing.T, o sandbox.Owner) {
				order(t, o, pickup(), one(pencils))
				w.clock.Advance(time.Minute)
				decline(t, o)
			})},
			{"pay-recover-declined", "never declined", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(pencils)) })},

			{"assist-villager-order", "ordered for a villager", true, func(t *testing.T, villager sandbox.Owner) sandbox.Owner {
				partner = w.learner(t, account.RolePartner)
				assisted := villager
				assisted.AssistedBy = partner.UserID
				ord := order(t, assisted, pickup(), one(rice))
				if ord.UserID != villager.UserID || ord.AssistedByID == nil || *ord.AssistedByID != partner.UserID {
					t.Fatalf("assisted order %+v", ord)
				}
				return partner
			}},
			{"assist-villager-order", "the villager helped", false, func(t *testing.T, villager sandbox.Owner) sandbox.Owner {
				partner := w.learner(t, account.RolePartner)
				order(t, sandbox.Owner{UserID: villager.UserID, CentreID: villager.CentreID, AssistedBy: partner.UserID}, pickup(), one(pencils))
				return villager
			}},
			{"assist-villager-order", "own order", false, func(t *testing.T, _ sandbox.Owner) sandbox.Owner {
				p := w.learner(t, account.RolePartner)
				w.setPIN(t, p)
				order(t, p, pickup(), one(pencils))
				return p
			}},
			{"assist-villager-order", "another partner's help", false, func(t *testing.T, villager sandbox.Owner) sandbox.Owner {
				if partner.UserID == 0 {
					t.Fatal("the positive assisted case has not run")
				}
				other := w.learner(t, account.RolePartner)
				order(t, sandbox.Owner{UserID: villager.UserID, CentreID: villager.CentreID, AssistedBy: partner.UserID}, pickup(), one(pencils))
				return other
			}},
		}

		covered := map[string][2]bool{}
		for _, tc := range cases {
			if sandbox.Checkers[tc.task] == nil {
				t.Fatalf("case %q names task %s, which has no checker", tc.name, tc.task)
			}
			c := covered[tc.task]
			c[map[bool]int{true: 0, false: 1}[tc.want]] = true
			covered[tc.task] = c
			t.Run(tc.task+"/"+tc.name, func(t *testing.T) {
				checked := tc.run(t, w.villager(t))
				st, err := w.svc.LoadState(w.ctx, checked.UserID, checked.CentreID)
				must(t, err)
				done := sandbox.Check(st, []string{tc.task})
				ev, ok := done[tc.task]
				if ok != tc.want {
					t.Fatalf("%s done = %v (%q), want %v", tc.task, ok, ev, tc.want)
				}
				if ok && ev == "" {
					t.Error("done without evidence")
				}
				if ok && strings.HasPrefix(ev, "order ") {
					numbers := []string{}
					for _, o := range append(st.Orders, st.Assisted...) {
						numbers = append(numbers, "order "+o.Number())
					}
					if !slices.Contains(numbers, ev) {
						t.Errorf("evidence %q names none of the orders %v", ev, numbers)
					}
				}
			})
		}
		// The shop's checkers; those of selling, bills, travel, scams and the assist log look
		// at other services' rows and are not built here.
		for id := range sandbox.Checkers {
			if !strings.HasPrefix(id, "buy-") && !strings.HasPrefix(id, "pay-") && id != "assist-villager-order" {
				continue
			}
			if c := covered[id]; !c[0] || !c[1] {
				t.Errorf("checker %s lacks a positive or a negative case (%v)", id, c)
			}
			if !sandbox.KnownTask(id) {
				t.Errorf("checker %s is not a known task", id)
			}
		}

		t.Run("unknown task", func(t *testing.T) {
			o := w.villager(t)
			order(t, o, pickup(), one(pencils))
			st, err := w.svc.LoadState(w.ctx, o.UserID, o.CentreID)
			must(t, err)
			done := sandbox.Check(st, []string{"no-such-task", "buy-first-order", "buy-home-delivery"})
			if len(done) != 1 || done["buy-first-order"] == "" {
				t.Errorf("done %v, want only buy-first-order", done)
			}
			if got := fmt.Sprint(sandbox.Check(st, nil)); got != "map[]" {
				t.Errorf("no tasks asked, got %s", got)
			}
		})
	})
}

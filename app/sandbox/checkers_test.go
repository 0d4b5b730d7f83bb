package sandbox_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/progress"
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

		// Selling: a shop, a listing buyers like (with a photo), and a wait for buyers.
		openShop := func(t *testing.T, o sandbox.Owner) {
			t.Helper()
			must(t, w.svc.OpenShop(w.ctx, o, sandbox.ShopForm{Name: "王家果园", CentreID: w.centre.ID}, w.centreExists))
		}
		list := func(t *testing.T, o sandbox.Owner, photo bool, stock int) *sandbox.Listing {
			t.Helper()
			f := sandbox.ListingForm{Title: "猕猴桃 5斤装", Description: "自家果园的猕猴桃，当天摘当天发，软了再吃最甜。", PriceCents: 3900, ShippingCents: 800, Stock: stock}
			if photo {
				var b bytes.Buffer
				must(t, jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil))
				f.Photo = bytes.NewReader(b.Bytes())
			}
			l, err := w.svc.SaveListing(w.ctx, o, 0, f)
			must(t, err)
			return l
		}
		firstSale := func(t *testing.T, o sandbox.Owner) *sandbox.SellOrder {
			t.Helper()
			openShop(t, o)
			list(t, o, true, 5)
			must(t, w.svc.WaitForBuyers(w.ctx, o))
			sales, err := w.svc.SellOrders(w.ctx, o)
			must(t, err)
			if len(sales) == 0 {
				t.Fatal("no buyer came to a good listing")
			}
			return &sales[len(sales)-1]
		}
		advance := func(t *testing.T, o sandbox.Owner, sale *sandbox.SellOrder, actions ...string) {
			t.Helper()
			for _, a := range actions {
				must(t, w.svc.AdvanceSale(w.ctx, o, sale.ID, a, "SF1234567890"))
			}
		}
		saleStatus := func(t *testing.T, sale *sandbox.SellOrder, status string) {
			t.Helper()
			must(t, w.g.Model(&sandbox.SellOrder{}).Where("id = ?", sale.ID).Update("status", status).Error)
		}

		// Bills: account numbers with their check digit.
		withCheckDigit := func(kind, prefix string) string {
			for d := '0'; d <= '9'; d++ {
				if sandbox.ValidAccount(kind, prefix+string(d)) {
					return prefix + string(d)
				}
			}
			panic("no check digit for " + prefix)
		}
		bill := func(kind string) sandbox.BillForm {
			f := sandbox.BillForm{Kind: kind, AmountCents: 5000, PIN: testPIN}
			switch kind {
			case sandbox.BillElectricity:
				f.Account = withCheckDigit(kind, "120045678")
			case sandbox.BillWater:
				f.Account = withCheckDigit(kind, "2004567")
			case sandbox.BillPhone:
				f.Account, f.Confirm = "13800001234", "13800001234"
			}
			return f
		}
		pay := func(t *testing.T, o sandbox.Owner, f sandbox.BillForm) {
			t.Helper()
			_, err := w.svc.PayBill(w.ctx, o, f)
			must(t, err)
		}
		wrongAccount := func(t *testing.T, o sandbox.Owner) {
			t.Helper()
			f := bill(sandbox.BillElectricity)
			f.Account = f.Account[:9] + string('0'+(f.Account[9]-'0'+1)%10)
			if _, err := w.svc.PayBill(w.ctx, o, f); err == nil {
				t.Fatal("a wrong check digit was paid")
			}
		}

		// Travel: a ticket on the first bus or train, two days ahead.
		book := func(t *testing.T, o sandbox.Owner, kind string) *sandbox.Ticket {
			t.Helper()
			var trip *sandbox.Trip
			for _, tr := range w.svc.Timetable.Trips {
				if tr.Kind == kind {
					trip = tr
					break
				}
			}
			day := w.clock.Now().AddDate(0, 0, 2).Format("2006-01-02")
			seats, err := w.svc.FreeSeats(w.ctx, o, trip, day, trip.Classes[0].Class)
			must(t, err)
			id := "11010519800101123"
			tk, err := w.svc.Book(w.ctx, o, w.svc.Timetable, sandbox.BookingForm{TripID: trip.ID, Day: day, Class: trip.Classes[0].Class,
				Seat: seats[0], Passenger: "王秀英", IDNumber: id + string(sandbox.IDCheckChar(id)), PIN: testPIN})
			must(t, err)
			return tk
		}

		// Scams: the learner acts on the first scenario of a task (a message that arrived, or
		// a listing in the shop).
		act := func(t *testing.T, o sandbox.Owner, task, action string) {
			t.Helper()
			reason := ""
			if action == sandbox.ActReport {
				reason = "other"
			}
			for _, sc := range w.svc.Scenarios.List {
				if sc.Task != task {
					continue
				}
				var err error
				if sc.Channel == "listing" {
					var p sandbox.Product
					must(t, w.g.Where("scam_id = ?", sc.ID).Take(&p).Error)
					_, err = w.svc.ActOnListing(w.ctx, o, w.svc.Scenarios, p.ID, action, reason)
				} else {
					m := sandbox.ScamMessage{UserID: o.UserID, Scenario: sc.ID, ArrivedAt: w.clock.Now()}
					must(t, w.g.Create(&m).Error)
					_, err = w.svc.Act(w.ctx, o, w.svc.Scenarios, m.ID, action, reason)
				}
				must(t, err)
				return
			}
			t.Fatalf("no scenario teaches %q", task)
		}

		type scenario func(t *testing.T, o sandbox.Owner) (checked sandbox.Owner)
		same := func(f func(t *testing.T, o sandbox.Owner)) scenario {
			return func(t *testing.T, o sandbox.Owner) sandbox.Owner { f(t, o); return o }
		}
		// helped: a new partner logs helps of a kind for the villager, one per note.
		helped := func(kind string, notes ...string) scenario {
			return func(t *testing.T, villager sandbox.Owner) sandbox.Owner {
				p := w.learner(t, account.RolePartner)
				for _, note := range notes {
					_, err := w.svc.RecordAssist(w.ctx, p.UserID, villager.UserID, kind, note)
					must(t, err)
				}
				return p
			}
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
			{"buy-track-order", "tracked on the way, arrived, picked up", true, same(func(t *testing.T, o sandbox.Owner) {
				ord := order(t, o, pickup(), one(pencils))
				must(t, w.svc.FastForward(w.ctx, o, ord.ID))
				w.clock.Advance(45 * time.Hour)
				got, _, err := w.svc.Order(w.ctx, o, ord.ID)
				must(t, err)
				must(t, w.svc.PickUp(w.ctx, o, ord.ID, got.PickupCode))
			})},
			{"buy-track-order", "picked up, never tracked", false, same(func(t *testing.T, o sandbox.Owner) {
				ord := order(t, o, pickup(), one(pencils))
				w.clock.Advance(45 * time.Hour)
				got, _, err := w.svc.Order(w.ctx, o, ord.ID)
				must(t, err)
				must(t, w.svc.PickUp(w.ctx, o, ord.ID, got.PickupCode))
			})},
			{"buy-track-order", "home delivery tracked", false, same(func(t *testing.T, o sandbox.Owner) { w.arrive(t, o, order(t, o, home(), one(pencils)).ID) })},

			{"buy-pickup-parcel", "picked up", true, same(func(t *testing.T, o sandbox.Owner) { received(t, o, one(pencils)) })},
			{"buy-pickup-parcel", "arrived, not picked up", false, same(func(t *testing.T, o sandbox.Owner) { w.arrive(t, o, order(t, o, pickup(), one(pencils)).ID) })},

			{"buy-return-damaged", "damaged, refunded", true, same(func(t *testing.T, o sandbox.Owner) { returned(t, o, "damaged") })},
			{"buy-return-damaged", "damaged, refunded when its day has passed", true, same(func(t *testing.T, o sandbox.Owner) {
				ord := received(t, o, one(pencils))
				must(t, w.svc.RequestReturn(w.ctx, o, ord.ID, "damaged", ""))
				w.clock.Advance(25 * time.Hour)
				w.wallet(t, o) // any visit to the shop settles what is due
			})},
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

			{"sell-open-shop", "opened", true, same(func(t *testing.T, o sandbox.Owner) { openShop(t, o) })},
			{"sell-open-shop", "refused for a centre that does not exist", false, same(func(t *testing.T, o sandbox.Owner) {
				if err := w.svc.OpenShop(w.ctx, o, sandbox.ShopForm{Name: "王家果园", CentreID: 999999}, w.centreExists); err == nil {
					t.Fatal("a shop opened at no centre")
				}
			})},

			{"sell-list-product", "with a photo and stock", true, same(func(t *testing.T, o sandbox.Owner) { openShop(t, o); list(t, o, true, 5) })},
			{"sell-list-product", "without a photo", false, same(func(t *testing.T, o sandbox.Owner) { openShop(t, o); list(t, o, false, 5) })},
			{"sell-list-product", "out of stock", false, same(func(t *testing.T, o sandbox.Owner) { openShop(t, o); list(t, o, true, 0) })},

			{"sell-ship-order", "shipped", true, same(func(t *testing.T, o sandbox.Owner) {
				advance(t, o, firstSale(t, o), "accept", "pack", "ship")
			})},
			{"sell-ship-order", "packed, not shipped", false, same(func(t *testing.T, o sandbox.Owner) {
				advance(t, o, firstSale(t, o), "accept", "pack")
			})},

			{"sell-answer-message", "answered", true, same(func(t *testing.T, o sandbox.Owner) {
				firstSale(t, o)
				ms, err := w.svc.Messages(w.ctx, o)
				must(t, err)
				if len(ms) == 0 {
					t.Fatal("no buyer asked anything")
				}
				must(t, w.svc.Reply(w.ctx, o, ms[0].ID, "今天发货，明天到"))
			})},
			{"sell-answer-message", "asked, not answered", false, same(func(t *testing.T, o sandbox.Owner) { firstSale(t, o) })},

			{"sell-handle-return", "refunded", true, same(func(t *testing.T, o sandbox.Owner) {
				sale := firstSale(t, o)
				saleStatus(t, sale, sandbox.SellReturn)
				advance(t, o, sale, "refund")
			})},
			{"sell-handle-return", "refused", true, same(func(t *testing.T, o sandbox.Owner) {
				sale := firstSale(t, o)
				saleStatus(t, sale, sandbox.SellReturn)
				advance(t, o, sale, "refuse")
			})},
			{"sell-handle-return", "return requested, not answered", false, same(func(t *testing.T, o sandbox.Owner) {
				saleStatus(t, firstSale(t, o), sandbox.SellReturn)
			})},

			{"sell-read-statement", "read after a sale", true, same(func(t *testing.T, o sandbox.Owner) {
				saleStatus(t, firstSale(t, o), sandbox.SellCompleted)
				_, err := w.svc.Statement(w.ctx, o)
				must(t, err)
			})},
			{"sell-read-statement", "read before any sale", false, same(func(t *testing.T, o sandbox.Owner) {
				firstSale(t, o)
				_, err := w.svc.Statement(w.ctx, o)
				must(t, err)
			})},

			{"bill-pay-electricity", "paid", true, same(func(t *testing.T, o sandbox.Owner) { pay(t, o, bill(sandbox.BillElectricity)) })},
			{"bill-pay-electricity", "paid water", false, same(func(t *testing.T, o sandbox.Owner) { pay(t, o, bill(sandbox.BillWater)) })},
			{"bill-pay-water", "paid", true, same(func(t *testing.T, o sandbox.Owner) { pay(t, o, bill(sandbox.BillWater)) })},
			{"bill-pay-water", "paid electricity", false, same(func(t *testing.T, o sandbox.Owner) { pay(t, o, bill(sandbox.BillElectricity)) })},
			{"bill-topup-phone", "topped up", true, same(func(t *testing.T, o sandbox.Owner) { pay(t, o, bill(sandbox.BillPhone)) })},
			{"bill-topup-phone", "wrong PIN", false, same(func(t *testing.T, o sandbox.Owner) {
				f := bill(sandbox.BillPhone)
				f.PIN = "111222"
				if _, err := w.svc.PayBill(w.ctx, o, f); err == nil {
					t.Fatal("paid with a wrong PIN")
				}
			})},
			{"bill-wrong-account", "caught, then paid", true, same(func(t *testing.T, o sandbox.Owner) {
				wrongAccount(t, o)
				pay(t, o, bill(sandbox.BillElectricity))
			})},
			{"bill-wrong-account", "caught, nothing paid", false, same(func(t *testing.T, o sandbox.Owner) { wrongAccount(t, o) })},
			{"bill-wrong-account", "paid, then caught", false, same(func(t *testing.T, o sandbox.Owner) {
				pay(t, o, bill(sandbox.BillElectricity))
				w.clock.Advance(time.Minute)
				wrongAccount(t, o)
			})},

			{"travel-book-bus", "bus", true, same(func(t *testing.T, o sandbox.Owner) { book(t, o, "bus") })},
			{"travel-book-bus", "train", false, same(func(t *testing.T, o sandbox.Owner) { book(t, o, "train") })},
			{"travel-book-train", "train", true, same(func(t *testing.T, o sandbox.Owner) { book(t, o, "train") })},
			{"travel-book-train", "bus", false, same(func(t *testing.T, o sandbox.Owner) { book(t, o, "bus") })},
			{"travel-refund-ticket", "refunded", true, same(func(t *testing.T, o sandbox.Owner) {
				must(t, w.svc.Refund(w.ctx, o, w.svc.Timetable, book(t, o, "bus").ID))
			})},
			{"travel-refund-ticket", "booked only", false, same(func(t *testing.T, o sandbox.Owner) { book(t, o, "train") })},

			{"scam-report-refund-call", "reported", true, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "scam-report-refund-call", sandbox.ActReport) })},
			{"scam-report-refund-call", "blocked", false, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "scam-report-refund-call", sandbox.ActBlock) })},
			{"scam-report-offplatform", "reported", true, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "scam-report-offplatform", sandbox.ActReport) })},
			{"scam-report-offplatform", "fell for it", false, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "scam-report-offplatform", sandbox.ActFall) })},
			{"scam-report-cheap-phone", "reported", true, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "scam-report-cheap-phone", sandbox.ActReport) })},
			{"scam-report-cheap-phone", "another scam reported", false, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "scam-report-prize", sandbox.ActReport) })},
			{"scam-report-prize", "reported", true, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "scam-report-prize", sandbox.ActReport) })},
			{"scam-report-prize", "a genuine message reported", false, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "", sandbox.ActReport) })},
			{"scam-report-franchise", "reported", true, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "scam-report-franchise", sandbox.ActReport) })},
			{"scam-report-franchise", "kept", false, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "scam-report-franchise", sandbox.ActKeep) })},

			{"assist-log-help", "logged", true, func(t *testing.T, villager sandbox.Owner) sandbox.Owner {
				p := w.learner(t, account.RolePartner)
				_, err := w.svc.RecordAssist(w.ctx, p.UserID, villager.UserID, "bill", "交电费")
				must(t, err)
				return p
			}},
			{"assist-log-help", "the villager helped", false, func(t *testing.T, villager sandbox.Owner) sandbox.Owner {
				p := w.learner(t, account.RolePartner)
				_, err := w.svc.RecordAssist(w.ctx, p.UserID, villager.UserID, "bill", "交电费")
				must(t, err)
				return villager
			}},

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

			{"buy-well-rated", "well rated, from a well-rated seller", true, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(fert138)) })},
			{"buy-well-rated", "from a seller rated 4.1", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(fert129)) })},

			{"pay-change-pin", "changed", true, same(func(t *testing.T, o sandbox.Owner) {
				must(t, w.svc.SetPIN(w.ctx, o, testPIN, "246813", account.CheckPIN))
			})},
			{"pay-change-pin", "set the first time", false, func(t *testing.T, _ sandbox.Owner) sandbox.Owner {
				o := w.learner(t, account.RoleVillager)
				w.setPIN(t, o)
				return o
			}},
			{"pay-read-ledger", "read after paying", true, same(func(t *testing.T, o sandbox.Owner) {
				order(t, o, pickup(), one(pencils))
				_, err := w.svc.ReadLedger(w.ctx, o)
				must(t, err)
			})},
			{"pay-read-ledger", "read with nothing in it", false, same(func(t *testing.T, o sandbox.Owner) {
				_, err := w.svc.ReadLedger(w.ctx, o)
				must(t, err)
			})},
			{"pay-read-ledger", "listed without being read (a form shown again)", false, same(func(t *testing.T, o sandbox.Owner) {
				order(t, o, pickup(), one(pencils))
				_, err := w.svc.Ledger(w.ctx, o)
				must(t, err)
			})},

			{"sell-clear-title", "says how much, with a description", true, same(func(t *testing.T, o sandbox.Owner) { openShop(t, o); list(t, o, false, 5) })},
			{"sell-clear-title", "no weight or count", false, same(func(t *testing.T, o sandbox.Owner) {
				openShop(t, o)
				_, err := w.svc.SaveListing(w.ctx, o, 0, sandbox.ListingForm{Title: "猕猴桃", Description: "自家果园的猕猴桃，当天摘当天发。", PriceCents: 3900, Stock: 5})
				must(t, err)
			})},
			{"sell-price-covers-costs", "covers cost, postage and fee", true, same(func(t *testing.T, o sandbox.Owner) {
				openShop(t, o)
				// ¥39 less the 5 % fee (¥1.95) is ¥37.05: enough for ¥25 of goods and ¥8 of postage.
				_, err := w.svc.SaveListing(w.ctx, o, 0, sandbox.ListingForm{Title: "猕猴桃 5斤装", PriceCents: 3900, CostCents: 2500, PostageCents: 800, Stock: 5})
				must(t, err)
			})},
			{"sell-price-covers-costs", "covers cost and postage, not the fee", false, same(func(t *testing.T, o sandbox.Owner) {
				openShop(t, o)
				// ¥37.05 after the fee, ¥37.50 of goods and postage.
				_, err := w.svc.SaveListing(w.ctx, o, 0, sandbox.ListingForm{Title: "猕猴桃 5斤装", PriceCents: 3900, CostCents: 2950, PostageCents: 800, Stock: 5})
				must(t, err)
			})},
			{"sell-price-covers-costs", "shipping charged pays the postage", true, same(func(t *testing.T, o sandbox.Owner) {
				openShop(t, o)
				// (¥30 + ¥8) less 5 % is ¥36.10: enough for ¥28 of goods and ¥8 of postage.
				_, err := w.svc.SaveListing(w.ctx, o, 0, sandbox.ListingForm{Title: "猕猴桃 5斤装", PriceCents: 3000, ShippingCents: 800, CostCents: 2800, PostageCents: 800, Stock: 5})
				must(t, err)
			})},
			{"sell-price-covers-costs", "no cost said", false, same(func(t *testing.T, o sandbox.Owner) { openShop(t, o); list(t, o, true, 5) })},
			{"sell-first-buyer", "a buyer came", true, same(func(t *testing.T, o sandbox.Owner) { firstSale(t, o) })},
			{"sell-first-buyer", "nothing in stock", false, same(func(t *testing.T, o sandbox.Owner) {
				openShop(t, o)
				list(t, o, true, 0)
				must(t, w.svc.WaitForBuyers(w.ctx, o))
			})},

			{"scam-report-after-fall", "fell, then reported", true, same(func(t *testing.T, o sandbox.Owner) {
				m := sandbox.ScamMessage{UserID: o.UserID, Scenario: "prize-tricycle-sms", ArrivedAt: w.clock.Now()}
				must(t, w.g.Create(&m).Error)
				_, err := w.svc.Act(w.ctx, o, w.svc.Scenarios, m.ID, sandbox.ActFall, "")
				must(t, err)
				_, err = w.svc.Act(w.ctx, o, w.svc.Scenarios, m.ID, sandbox.ActReport, "prize_loan")
				must(t, err)
			})},
			{"scam-report-after-fall", "reported without falling", false, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "scam-report-prize", sandbox.ActReport) })},
			{"scam-keep-genuine", "a genuine message kept", true, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "", sandbox.ActKeep) })},
			{"scam-keep-genuine", "a scam kept", false, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "scam-report-prize", sandbox.ActKeep) })},
			{"scam-block-sender", "a scam call blocked", true, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "scam-report-refund-call", sandbox.ActBlock) })},
			{"scam-block-sender", "a genuine text blocked", false, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "", sandbox.ActBlock) })},
			{"scam-block-offplatform", "blocked", true, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "scam-report-offplatform", sandbox.ActBlock) })},
			{"scam-block-offplatform", "another scam blocked", false, same(func(t *testing.T, o sandbox.Owner) { act(t, o, "scam-report-refund-call", sandbox.ActBlock) })},

			{"assist-log-private", "what was done", true, helped("bill", "帮他交了电费")},
			{"assist-log-private", "with the account number", false, helped("bill", "帮他交了电费，户号 1200456789")},
			{"assist-warn-villager", "taught", true, helped("lesson", "讲了假客服电话")},
			{"assist-warn-villager", "paid a bill", false, helped("bill", "交电费")},
			{"assist-follow-up", "the same villager again", true, helped("bill", "交电费", "回访：电费到账了")},
			{"assist-follow-up", "two villagers once each", false, func(t *testing.T, villager sandbox.Owner) sandbox.Owner {
				p := w.learner(t, account.RolePartner)
				for _, v := range []sandbox.Owner{villager, w.villager(t)} {
					_, err := w.svc.RecordAssist(w.ctx, p.UserID, v.UserID, "bill", "交电费")
					must(t, err)
				}
				return p
			}},
			{"assist-first-order", "a villager's first order", true, func(t *testing.T, villager sandbox.Owner) sandbox.Owner {
				p := w.learner(t, account.RolePartner)
				order(t, sandbox.Owner{UserID: villager.UserID, CentreID: villager.CentreID, AssistedBy: p.UserID}, pickup(), one(pencils))
				return p
			}},
			{"assist-first-order", "the villager had ordered before", false, func(t *testing.T, villager sandbox.Owner) sandbox.Owner {
				p := w.learner(t, account.RolePartner)
				order(t, villager, pickup(), one(pencils))
				order(t, sandbox.Owner{UserID: villager.UserID, CentreID: villager.CentreID, AssistedBy: p.UserID}, pickup(), one(books))
				return p
			}},
			{"centre-busy-day", "an order, a bill and a help", true, func(t *testing.T, villager sandbox.Owner) sandbox.Owner {
				p := w.learner(t, account.RolePartner)
				w.setPIN(t, p)
				pay(t, p, bill(sandbox.BillWater))
				_, err := w.svc.RecordAssist(w.ctx, p.UserID, villager.UserID, "bill", "交水费")
				must(t, err)
				order(t, p, pickup(), one(pencils))
				return p
			}},
			{"centre-busy-day", "no help logged", false, func(t *testing.T, _ sandbox.Owner) sandbox.Owner {
				p := w.learner(t, account.RolePartner)
				w.setPIN(t, p)
				order(t, p, pickup(), one(pencils))
				pay(t, p, bill(sandbox.BillWater))
				return p
			}},
			{"centre-pickup-parcel", "collected", true, same(func(t *testing.T, o sandbox.Owner) { received(t, o, one(pencils)) })},
			{"centre-pickup-parcel", "arrived, not collected", false, same(func(t *testing.T, o sandbox.Owner) {
				w.arrive(t, o, order(t, o, pickup(), one(pencils)).ID)
			})},
			{"shop-reset", "started over", true, same(func(t *testing.T, o sandbox.Owner) {
				order(t, o, pickup(), one(pencils))
				must(t, w.svc.Reset(w.ctx, o))
			})},
			{"shop-reset", "not started over", false, same(func(t *testing.T, o sandbox.Owner) { order(t, o, pickup(), one(pencils)) })},
		}

		covered := map[string][2]bool{}
		for _, tc := range cases {
			if _, ok := sandbox.Checkers[tc.task]; !ok {
				t.Fatalf("case %q names task %s, which has no checker", tc.name, tc.task)
			}
			c := covered[tc.task]
			c[map[bool]int{true: 0, false: 1}[tc.want]] = true
			covered[tc.task] = c
			t.Run(tc.task+"/"+tc.name, func(t *testing.T) {
				checked := tc.run(t, w.villager(t))
				ev, ok := w.done(t, checked.UserID, tc.task)
				if ok != tc.want {
					t.Fatalf("%s done = %v (%q), want %v", tc.task, ok, ev, tc.want)
				}
				if ok && ev == "" {
					t.Error("done without evidence")
				}
				if ok && strings.HasPrefix(ev, "order ") {
					var orders []sandbox.Order
					must(t, w.g.Where("user_id = ? OR assisted_by_id = ?", checked.UserID, checked.UserID).Find(&orders).Error)
					numbers := []string{}
					for _, o := range orders {
						numbers = append(numbers, "order "+o.Number())
					}
					if !slices.Contains(numbers, ev) {
						t.Errorf("evidence %q names none of the orders %v", ev, numbers)
					}
				}
			})
		}
		for _, id := range sandbox.TaskIDs {
			if c := covered[id]; !c[0] || !c[1] {
				t.Errorf("checker %s lacks a positive or a negative case (%v)", id, c)
			}
		}
		for id, c := range sandbox.Checkers {
			if !sandbox.KnownTask(id) {
				t.Errorf("checker %s is not a known task", id)
			}
			if len(c.On) == 0 {
				t.Errorf("checker %s listens to no event", id)
			}
		}

		// Only what the learner did after first opening the task's lesson counts: the same
		// act before it does not complete the task, and an earlier event a task looks back
		// for (a declined payment) does not count either.
		t.Run("only acts after the lesson was opened", func(t *testing.T) {
			defer w.tasks.openedAt(time.Time{})
			o := w.villager(t)
			w.tasks.openedAt(w.clock.Now().Add(time.Minute))
			order(t, o, home(), one(pencils))
			decline(t, o)
			for _, task := range []string{"buy-home-delivery", "pay-recover-declined"} {
				if _, ok := w.done(t, o.UserID, task); ok {
					t.Errorf("%s done by an act before its lesson was opened", task)
				}
			}
			w.clock.Advance(2 * time.Minute)
			order(t, o, pickup(), one(pencils))
			if _, ok := w.done(t, o.UserID, "pay-recover-declined"); ok {
				t.Error("pay-recover-declined done by a decline from before its lesson was opened")
			}
			order(t, o, home(), one(pencils))
			decline(t, o)
			order(t, o, pickup(), one(pencils))
			for _, task := range []string{"buy-home-delivery", "pay-recover-declined"} {
				if _, ok := w.done(t, o.UserID, task); !ok {
					t.Errorf("%s not done by the same acts after its lesson was opened", task)
				}
			}
		})

		t.Run("only open tasks", func(t *testing.T) {
			defer w.tasks.set(nil, "")
			w.tasks.set([]string{"no-such-task", "buy-first-order", "buy-home-delivery"}, "")
			o := w.villager(t)
			order(t, o, pickup(), one(pencils))
			var done []string
			must(t, w.g.Model(&progress.TaskCompletion{}).Where("user_id = ?", o.UserID).Pluck("task_id", &done).Error)
			if fmt.Sprint(done) != "[buy-first-order]" {
				t.Errorf("done %v, want only buy-first-order", done)
			}
			w.tasks.set([]string{}, "")
			o = w.villager(t)
			order(t, o, pickup(), one(pencils))
			if n := w.count(t, "task_completions", o.UserID); n != 0 {
				t.Errorf("%d tasks done with none open", n)
			}
		})
	})
}

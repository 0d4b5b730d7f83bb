package sandbox_test

import (
	"fmt"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
	"cunlu/app/sandbox"
)

// TestTextRefusesInvisibleCharacters: every text a learner types into the practice shop
// refuses the direction controls (which would show a shop name, a price or a phone number
// in another order than it was typed) with a field error, and names and titles refuse
// every other invisible character too; nothing is stored.
func TestTextRefusesInvisibleCharacters(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		ctx := w.ctx
		o := w.villager(t)
		must(t, w.svc.OpenShop(ctx, o, sandbox.ShopForm{Name: "老李果园", CentreID: w.centre.ID}, w.centreExists))
		listing := sandbox.ListingForm{Title: "猕猴桃 5斤装", Description: "自家果园的红心猕猴桃，现摘现发。", PriceCents: 3990, ShippingCents: 800, Stock: 50}
		l, err := w.svc.SaveListing(ctx, o, 0, listing)
		must(t, err)
		var msg sandbox.SellMessage
		for i := 0; i < 6 && g.Where("user_id = ?", o.UserID).Limit(1).Find(&msg).RowsAffected == 0; i++ {
			must(t, w.svc.WaitForBuyers(ctx, o))
		}
		if msg.ID == 0 {
			t.Fatal("no buyer asked a question")
		}
		pencils := w.product(t, "HB铅笔", 1200)
		ord := w.arrive(t, o, w.buy(t, o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet), pencils).ID)
		must(t, w.svc.PickUp(ctx, o, ord.ID, ord.PickupCode))
		partner := w.villager(t)
		tr := w.svc.Timetable.Trips[0]
		day := w.wallet(t, o).SimNow(w.clock.Now()).AddDate(0, 0, 3).Format("2006-01-02")
		free, err := w.svc.FreeSeats(ctx, o, tr, day, tr.Classes[0].Class)
		must(t, err)
		idNumber := "11010119450307123"
		idNumber += string(sandbox.IDCheckChar(idNumber))

		withTitle := func(title, desc string) sandbox.ListingForm {
			f := listing
			f.Title, f.Description = title, desc
			return f
		}
		cases := []struct {
			field string
			name  bool // a name or a title: every invisible character is refused, not only direction controls
			try   func(v string) error
		}{
			{"name", true, func(v string) error {
				return w.svc.OpenShop(ctx, o, sandbox.ShopForm{Name: "老李" + v + "果园", CentreID: w.centre.ID}, w.centreExists)
			}},
			{"description", false, func(v string) error {
				return w.svc.OpenShop(ctx, o, sandbox.ShopForm{Name: "老李果园", Description: "价格 " + v + "99.3¥", CentreID: w.centre.ID}, w.centreExists)
			}},
			{"title", true, func(v string) error {
				_, err := w.svc.SaveListing(ctx, o, 0, withTitle("猕猴桃"+v+" 5斤装", ""))
				return err
			}},
			{"description", false, func(v string) error {
				_, err := w.svc.SaveListing(ctx, o, 0, withTitle("猕猴桃 5斤装", "电话 "+v+"1380000"))
				return err
			}},
			{"title", true, func(v string) error {
				_, err := w.svc.SaveListing(ctx, o, l.ID, withTitle(v+"猕猴桃 5斤装", ""))
				return err
			}},
			{"description", false, func(v string) error {
				_, err := w.svc.SaveListing(ctx, o, l.ID, withTitle("猕猴桃 5斤装", "红心"+v+"猕猴桃"))
				return err
			}},
			{"reply", false, func(v string) error { return w.svc.Reply(ctx, o, msg.ID, "明天"+v+"发货") }},
			{"note", false, func(v string) error { return w.svc.RequestReturn(ctx, o, ord.ID, "damaged", "袋子"+v+"破了") }},
			{"text", false, func(v string) error { return w.svc.WriteReview(ctx, o, ord.ID, pencils.ID, 5, "很好"+v+"用") }},
			{"note", false, func(v string) error {
				_, err := w.svc.RecordAssist(ctx, partner.UserID, o.UserID, "bill", "交"+v+"电费")
				return err
			}},
			{"passenger", true, func(v string) error {
				_, err := w.svc.Book(ctx, o, w.svc.Timetable, sandbox.BookingForm{TripID: tr.ID, Day: day, Class: tr.Classes[0].Class, Seat: free[0],
					Passenger: "张" + v + "奶奶", IDNumber: idNumber, PIN: testPIN})
				return err
			}},
			{"address", true, func(v string) error {
				w.add(t, o, pencils, 1)
				f := w.form(sandbox.DeliveryHome, sandbox.PaymentWallet)
				f.Address = "北川村" + v + "三组 12 号"
				_, err := w.checkout(o, f)
				return err
			}},
		}
		// stored is what the refusals must leave alone: the learner's rows, the shop's and the
		// listing's text, and the assist log.
		stored := func() string {
			out := ""
			for _, table := range []string{"sell_shops", "sell_listings", "sell_messages", "sandbox_aftersales", "sandbox_reviews", "travel_tickets", "sandbox_orders"} {
				out += fmt.Sprintf("%s %d, ", table, w.count(t, table, o.UserID))
			}
			var sh sandbox.SellShop
			var ll sandbox.Listing
			var assists int64
			must(t, g.Take(&sh, "user_id = ?", o.UserID).Error)
			must(t, g.Take(&ll, l.ID).Error)
			must(t, g.Model(&sandbox.AssistLog{}).Count(&assists).Error)
			return out + fmt.Sprintf("shop %q %q, listing %q %q, assists %d", sh.Name, sh.Description, ll.Title, ll.Description, assists)
		}
		before := stored()
		for i, tc := range cases {
			refused := []rune{0x202E, 0x202D, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F, 0x061C, 0x202A, 0x202B, 0x202C}
			if tc.name {
				refused = append(refused, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x3164)
			}
			for _, r := range refused {
				t.Run(fmt.Sprintf("%d %s %U", i, tc.field, r), func(t *testing.T) {
					if e := wantErr(t, tc.try(string(r)), errs.Invalid, "error.text_invisible"); e.Field != tc.field {
						t.Errorf("field %q, want %q", e.Field, tc.field)
					}
				})
			}
		}
		if after := stored(); after != before {
			t.Errorf("refused text changed what is stored:\n%s\n%s", before, after)
		}
	})
}

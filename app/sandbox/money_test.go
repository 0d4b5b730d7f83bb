package sandbox_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
	"cunlu/app/sandbox"
)

// TestMoneyProperty drives learners' sandboxes through random sequences of everything that
// moves pretend money — buying from the wallet or in cash, tracking, pickup, returns and
// their refunds, the clock, bills, tickets and their refunds, selling and its returns,
// starting over — and after every step checks the wallet against its ledger and the ledger
// against what happened. A failure names the seed and the steps that led to it.
func TestMoneyProperty(t *testing.T) {
	t.Parallel()
	const steps = 30
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		// PostgreSQL runs the first sequences only: the money is moved by the same
		// statements, and what differs there, the row locks, one learner's steps in a row do
		// not exercise (TestCheckoutConcurrent does). Each sequence costs ~0.1 s under -race.
		sequences := 200
		if g.Dialector.Name() == "postgres" {
			sequences = 50
		}
		if testing.Short() {
			sequences = 20
		}
		w := newWorld(t, g)
		var products []sandbox.Product
		must(t, g.Where("active AND pickup AND scam_id = '' AND price_cents <= ?", 20000).Order("id").Find(&products).Error)
		if len(products) < 5 {
			t.Fatalf("fixture: %d cheap products to pick up", len(products))
		}
		for seq := range sequences {
			m := &moneyRun{w: w, r: rand.New(rand.NewPCG(20260302, uint64(seq))), products: products}
			m.focus = m.r.IntN(3)
			m.o = w.villager(t)
			for range steps {
				name, err := m.step(t)
				m.done = append(m.done, name)
				if err != nil && errs.CodeOf(err) == errs.Internal {
					t.Fatalf("sequence %d, after %s: %v", seq, strings.Join(m.done, ", "), err)
				}
				if msg := moneyProblem(t, g, m.o.UserID); msg != "" {
					t.Fatalf("sequence %d, after %s: %s", seq, strings.Join(m.done, ", "), msg)
				}
			}
		}
	})
}

// moneyRun is one random sequence in one learner's sandbox.
type moneyRun struct {
	w        *world
	o        sandbox.Owner
	r        *rand.Rand
	products []sandbox.Product
	focus    int      // 1: half the steps move an order on, 2: half sell; so that returns and sales get far
	done     []string // the steps so far, for the failure message
}

// step does one random thing and returns its name and its error (refusals are expected:
// a return before pickup, a refund of a departed ticket, a sale at the wrong step).
func (m *moneyRun) step(t *testing.T) (string, error) {
	w, o, ctx := m.w, m.o, m.w.ctx
	if m.focus > 0 && m.r.IntN(2) == 0 {
		if m.focus == 1 {
			return m.moveOn(t)
		}
		return m.sell(t)
	}
	switch k := m.r.IntN(20); k {
	case 0, 1, 2:
		f := w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)
		name := "buy from the wallet"
		switch {
		case k == 1:
			f = w.form(sandbox.DeliveryPickup, sandbox.PaymentCash)
			name = "buy in cash"
		case m.r.IntN(3) == 0:
			f = w.form(sandbox.DeliveryHome, sandbox.PaymentWallet)
			name = "buy from the wallet, home delivery"
		}
		if m.r.IntN(10) == 0 {
			f.Outcome = sandbox.OutcomeDeclined
			name += ", declined"
		}
		p := m.products[m.r.IntN(len(m.products))]
		if err := w.svc.AddToCart(ctx, o, p.ID, 1+m.r.IntN(3), false); err != nil {
			return name, err
		}
		_, err := w.checkout(o, f)
		return name, err
	case 3, 4, 5, 6:
		id := m.pick(t, &sandbox.Order{}, "")
		return fmt.Sprintf("fast-forward order %d", id), w.svc.FastForward(ctx, o, id)
	case 7:
		d := time.Duration(m.r.IntN(30)) * time.Hour
		w.clock.Advance(d)
		_, err := w.svc.Wallet(ctx, o)
		return fmt.Sprintf("wait %v", d), err
	case 8, 9:
		id := m.pick(t, &sandbox.Order{}, "delivery = 'pickup' AND picked_up_at IS NULL")
		var ord sandbox.Order
		must(t, w.g.Where("id = ?", id).Limit(1).Find(&ord).Error)
		return fmt.Sprintf("pick up order %d", id), w.svc.PickUp(ctx, o, id, ord.PickupCode)
	case 10, 11:
		id := m.pick(t, &sandbox.Order{}, "id NOT IN (SELECT order_id FROM sandbox_aftersales)")
		return fmt.Sprintf("return order %d", id), w.svc.RequestReturn(ctx, o, id, sandbox.ReturnReasons[m.r.IntN(len(sandbox.ReturnReasons))], "")
	case 12:
		amount := sandbox.TopUps[m.r.IntN(len(sandbox.TopUps))]
		_, err := w.svc.PayBill(ctx, o, sandbox.BillForm{Kind: sandbox.BillPhone, Account: "13800000000", Confirm: "13800000000", AmountCents: amount, PIN: testPIN})
		return fmt.Sprintf("top up a phone by %d", amount), err
	case 13:
		return "book a ticket", m.book(t)
	case 14:
		id := m.pick(t, &sandbox.Ticket{}, "refunded_at IS NULL")
		return fmt.Sprintf("refund ticket %d", id), w.svc.Refund(ctx, o, w.svc.Timetable, id)
	case 15, 16, 17:
		return m.sell(t)
	default:
		if m.r.IntN(6) > 0 {
			_, err := w.svc.Wallet(ctx, o)
			return "look at the wallet", err
		}
		must(t, w.svc.Reset(ctx, o))
		w.setPIN(t, o)
		return "start over", nil
	}
}

// pick returns the id of a random row of model in the learner's sandbox that meets the
// condition (if there is one), or 0.
func (m *moneyRun) pick(t *testing.T, model any, cond string, args ...any) uint {
	q := m.w.g.Model(model).Where("user_id = ?", m.o.UserID)
	if cond != "" {
		q = q.Where(cond, args...)
	}
	var ids []uint
	must(t, q.Order("id").Pluck("id", &ids).Error)
	if len(ids) == 0 {
		return 0
	}
	return ids[m.r.IntN(len(ids))]
}

// moveOn does the next thing for a random order not yet refunded: tracks it to arrival,
// picks it up, asks to return it, or waits for the refund.
func (m *moneyRun) moveOn(t *testing.T) (string, error) {
	w, o, ctx := m.w, m.o, m.w.ctx
	id := m.pick(t, &sandbox.Order{}, "id NOT IN (SELECT order_id FROM sandbox_aftersales WHERE refunded_at IS NOT NULL)")
	ord, now, err := w.svc.Order(ctx, o, id)
	if err != nil {
		return "move an order on (none yet)", err
	}
	switch {
	case ord.Aftersale == nil && ord.Received(now):
		return fmt.Sprintf("return order %d", id), w.svc.RequestReturn(ctx, o, id, "not_needed", "")
	case ord.Aftersale == nil && ord.StageAt(now) == sandbox.StageArrived:
		return fmt.Sprintf("pick up order %d", id), w.svc.PickUp(ctx, o, id, ord.PickupCode)
	}
	return fmt.Sprintf("fast-forward order %d", id), w.svc.FastForward(ctx, o, id)
}

// book books a random trip on a random day of the next two weeks, in a free seat.
func (m *moneyRun) book(t *testing.T) error {
	w := m.w
	trips := w.svc.Timetable.Trips
	tr := trips[m.r.IntN(len(trips))]
	day := w.wallet(t, m.o).SimNow(w.clock.Now()).AddDate(0, 0, 1+m.r.IntN(sandbox.BookingDays)).Format("2006-01-02")
	class := tr.Classes[0].Class
	free, err := w.svc.FreeSeats(w.ctx, m.o, tr, day, class)
	if err != nil || len(free) == 0 {
		return err
	}
	id := "11010119450307123"
	_, err = w.svc.Book(w.ctx, m.o, w.svc.Timetable, sandbox.BookingForm{TripID: tr.ID, Day: day, Class: class, Seat: free[0],
		Passenger: "张奶奶", IDNumber: id + string(sandbox.IDCheckChar(id)), PIN: testPIN})
	return err
}

// sell opens the shop and a listing when there are none, then lets buyers come or moves a
// random sale on (a return is accepted or refused at random).
func (m *moneyRun) sell(t *testing.T) (string, error) {
	w, o, ctx := m.w, m.o, m.w.ctx
	if sh, err := w.svc.Shop(ctx, o); err != nil || sh == nil {
		return "open a shop", w.svc.OpenShop(ctx, o, sandbox.ShopForm{Name: "老李果园", CentreID: w.centre.ID}, w.centreExists)
	}
	if m.pick(t, &sandbox.Listing{}, "") == 0 {
		_, err := w.svc.SaveListing(ctx, o, 0, sandbox.ListingForm{Title: "猕猴桃 5斤装", Description: "自家果园的红心猕猴桃，现摘现发，坏果包赔。",
			PriceCents: 3990, ShippingCents: 800, Stock: 50})
		return "list kiwis", err
	}
	id := m.pick(t, &sandbox.SellOrder{}, "status IN ?", []string{sandbox.SellNew, sandbox.SellAccepted, sandbox.SellPacked, sandbox.SellReturn})
	if id == 0 || m.r.IntN(2) == 0 {
		return "wait for buyers", w.svc.WaitForBuyers(ctx, o)
	}
	var ord sandbox.SellOrder
	must(t, w.g.Take(&ord, id).Error)
	action := map[string]string{sandbox.SellNew: "accept", sandbox.SellAccepted: "pack", sandbox.SellPacked: "ship", sandbox.SellReturn: "refund"}[ord.Status]
	if action == "refund" && m.r.IntN(2) == 0 {
		action = "refuse"
	}
	if action == "" {
		return "wait for buyers", w.svc.WaitForBuyers(ctx, o)
	}
	return fmt.Sprintf("%s sale %d", action, id), w.svc.AdvanceSale(ctx, o, id, action, "SF1234567890")
}

// moneyProblem checks one learner's money as stored and says what is wrong, or "": the
// balance is never negative and is the starting balance plus the ledger; each order was
// paid from the wallet exactly once if it was a wallet order and never otherwise, and got
// back into the wallet at most what it took; the ledger's refunds, bills, tickets, ticket refunds
// and sales are those of the returns refunded into the wallet, the bills, tickets and
// completed sales.
func moneyProblem(t *testing.T, g *gorm.DB, userID uint) string {
	t.Helper()
	var wl sandbox.Wallet
	if g.Where("user_id = ?", userID).Limit(1).Find(&wl).RowsAffected == 0 {
		return "" // started over, not yet used
	}
	var kinds []struct {
		Kind  string
		Cents int64
	}
	must(t, g.Model(&sandbox.LedgerEntry{}).Select("kind, SUM(amount_cents) AS cents").Where("user_id = ?", userID).Group("kind").Scan(&kinds).Error)
	ledger := map[string]int64{}
	var sum int64
	for _, k := range kinds {
		ledger[k.Kind] = k.Cents
		sum += k.Cents
	}
	if wl.BalanceCents < 0 {
		return fmt.Sprintf("negative balance %d", wl.BalanceCents)
	}
	if wl.BalanceCents != sandbox.StartBalance+sum {
		return fmt.Sprintf("balance %d, but start + ledger = %d (%v)", wl.BalanceCents, sandbox.StartBalance+sum, ledger)
	}

	var orders []struct {
		ID       uint
		Payment  string
		Total    int64
		Paid     int64
		Payments int64
		Refunded int64
	}
	must(t, g.Raw(`SELECT o.id, o.payment, o.total_cents AS total,
		CAST(COALESCE(SUM(CASE WHEN l.kind = 'payment' THEN -l.amount_cents END), 0) AS BIGINT) AS paid,
		COUNT(CASE WHEN l.kind = 'payment' THEN 1 END) AS payments,
		CAST(COALESCE(SUM(CASE WHEN l.kind = 'refund' THEN l.amount_cents END), 0) AS BIGINT) AS refunded
		FROM sandbox_orders o LEFT JOIN sandbox_ledger l ON l.order_id = o.id
		WHERE o.user_id = ? GROUP BY o.id, o.payment, o.total_cents`, userID).Scan(&orders).Error)
	for _, o := range orders {
		switch {
		case o.Payment == sandbox.PaymentWallet && (o.Payments != 1 || o.Paid != o.Total):
			return fmt.Sprintf("wallet order %d of %d paid %d from the wallet in %d payments", o.ID, o.Total, o.Paid, o.Payments)
		case o.Payment != sandbox.PaymentWallet && o.Payments != 0:
			return fmt.Sprintf("%s order %d paid from the wallet", o.Payment, o.ID)
		case o.Refunded > o.Paid:
			return fmt.Sprintf("%s order %d: %d refunded into the wallet, %d paid from it", o.Payment, o.ID, o.Refunded, o.Paid)
		}
	}

	var got struct{ Refunds, Bills, Tickets, TicketRefunds, OverRefunded, Sales int64 }
	must(t, g.Raw(`SELECT
		CAST((SELECT COALESCE(SUM(amount_cents), 0) FROM sandbox_aftersales WHERE user_id = ? AND refund_to = ? AND refunded_at IS NOT NULL) AS BIGINT) AS refunds,
		CAST((SELECT COALESCE(SUM(amount_cents), 0) FROM bill_payments WHERE user_id = ?) AS BIGINT) AS bills,
		CAST((SELECT COALESCE(SUM(price_cents), 0) FROM travel_tickets WHERE user_id = ?) AS BIGINT) AS tickets,
		CAST((SELECT COALESCE(SUM(refund_cents), 0) FROM travel_tickets WHERE user_id = ? AND refunded_at IS NOT NULL) AS BIGINT) AS ticket_refunds,
		(SELECT COUNT(*) FROM travel_tickets WHERE user_id = ? AND refund_cents > price_cents) AS over_refunded,
		CAST((SELECT COALESCE(SUM(price_cents * qty + shipping_cents - fee_cents), 0) FROM sell_orders WHERE user_id = ? AND status = ?) AS BIGINT) AS sales`,
		userID, sandbox.RefundWallet, userID, userID, userID, userID, userID, sandbox.SellCompleted).Scan(&got).Error)
	switch {
	case ledger["refund"] != got.Refunds:
		return fmt.Sprintf("ledger has %d of refunds, the returns refunded into the wallet %d", ledger["refund"], got.Refunds)
	case -ledger["bill"] != got.Bills:
		return fmt.Sprintf("ledger has %d of bills, the bills %d", -ledger["bill"], got.Bills)
	case -ledger["ticket"] != got.Tickets:
		return fmt.Sprintf("ledger has %d of tickets, the tickets %d", -ledger["ticket"], got.Tickets)
	case ledger["ticket_refund"] != got.TicketRefunds || got.OverRefunded > 0:
		return fmt.Sprintf("ledger has %d of ticket refunds, the tickets %d (%d refunded more than their price)", ledger["ticket_refund"], got.TicketRefunds, got.OverRefunded)
	case ledger["sale"] != got.Sales:
		return fmt.Sprintf("ledger has %d of sales, the completed sales %d", ledger["sale"], got.Sales)
	}
	return ""
}

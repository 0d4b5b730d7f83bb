package sandbox_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/db/dbtest"
	"cunlu/app/sandbox"
)

// pastOrders gives o n orders made before, as the shop would have left them: each with two
// items, paid from the wallet, tracked to the centre and picked up, one in ten returned and
// refunded, one in ten with its goods added from the compare page.
func (w *world) pastOrders(t testing.TB, o sandbox.Owner, n int) {
	t.Helper()
	var products []sandbox.Product
	must(t, w.g.Where("active AND pickup AND scam_id = ''").Order("id").Limit(8).Find(&products).Error)
	start := w.clock.Now().Add(-time.Duration(n+1) * 72 * time.Hour)
	orders := make([]sandbox.Order, n)
	for i := range orders {
		at := start.Add(time.Duration(i) * 72 * time.Hour)
		picked := at.Add(46 * time.Hour)
		orders[i] = sandbox.Order{UserID: o.UserID, CheckoutKey: fmt.Sprintf("past-checkout-%08d", i), Delivery: sandbox.DeliveryPickup, CentreID: &w.centre.ID,
			Payment: sandbox.PaymentWallet, GoodsCents: 2000, TotalCents: 2000, PlacedAt: at, ShipAt: at.Add(3 * time.Hour),
			WarehouseAt: at.Add(20 * time.Hour), ArriveAt: at.Add(44 * time.Hour), PickedUpAt: &picked, PickupCode: "123456", CreatedAt: at}
	}
	must(t, w.g.CreateInBatches(orders, 500).Error)
	var (
		items   []sandbox.OrderItem
		events  []sandbox.Event
		ledger  []sandbox.LedgerEntry
		returns []sandbox.Aftersale
	)
	for i, ord := range orders {
		id, ref := ord.ID, fmt.Sprint(ord.ID)
		for k := range 2 {
			p := products[(i+k)%len(products)]
			items = append(items, sandbox.OrderItem{OrderID: ord.ID, ProductID: p.ID, PriceCents: 1000, Qty: 1})
			if i%10 == 0 && k == 0 {
				events = append(events, sandbox.Event{UserID: o.UserID, Kind: sandbox.EventCompared, Ref: fmt.Sprint(p.ID), At: ord.PlacedAt})
			}
		}
		events = append(events, sandbox.Event{UserID: o.UserID, Kind: sandbox.EventOrderPlaced, Ref: ref, At: ord.PlacedAt})
		for _, at := range []time.Time{ord.ShipAt, ord.WarehouseAt, ord.ArriveAt} {
			events = append(events, sandbox.Event{UserID: o.UserID, Kind: sandbox.EventTracked, Ref: ref, At: at.Add(time.Second)})
		}
		events = append(events, sandbox.Event{UserID: o.UserID, Kind: sandbox.EventPickedUp, Ref: ref, At: *ord.PickedUpAt})
		ledger = append(ledger, sandbox.LedgerEntry{UserID: o.UserID, AmountCents: -2000, Kind: "payment", OrderID: &id, At: ord.PlacedAt})
		if i%10 == 5 {
			back := ord.PickedUpAt.Add(25 * time.Hour)
			returns = append(returns, sandbox.Aftersale{OrderID: ord.ID, UserID: o.UserID, Reason: "not_needed", AmountCents: 2000,
				RequestedAt: *ord.PickedUpAt, ResolveAt: back.Add(-time.Hour), RefundedAt: &back})
			events = append(events, sandbox.Event{UserID: o.UserID, Kind: sandbox.EventRefunded, Ref: ref, At: back})
			ledger = append(ledger, sandbox.LedgerEntry{UserID: o.UserID, AmountCents: 2000, Kind: "refund", OrderID: &id, At: back})
		}
	}
	for _, rows := range []any{items, events, ledger, returns} {
		must(t, w.g.CreateInBatches(rows, 500).Error)
	}
}

// counter counts the statements run on a database, and the rows they read or wrote.
type counter struct{ statements, rows atomic.Int64 }

func countStatements(t testing.TB, g *gorm.DB) *counter {
	t.Helper()
	c := &counter{}
	count := func(db *gorm.DB) {
		c.statements.Add(1)
		c.rows.Add(db.Statement.RowsAffected)
	}
	cb := g.Callback()
	for _, p := range []interface {
		Register(string, func(*gorm.DB)) error
	}{cb.Query().After("*"), cb.Create().After("*"), cb.Update().After("*"), cb.Delete().After("*"), cb.Row().After("*"), cb.Raw().After("*")} {
		must(t, p.Register("test:count", count))
	}
	return c
}

func (c *counter) read() (statements, rows int64) { return c.statements.Load(), c.rows.Load() }

// A checkout does the same work however many orders the learner made before: its own
// rows, the one centre chosen, and the checkers of a placed order, each reading that order
// or a few rows about it. Every task is left open, so every checker runs.
func TestCheckoutWorkDoesNotGrowWithHistory(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		w.tasks.set(sandbox.TaskIDs, "")
		fert := w.product(t, "复合肥 40公斤", 13800)
		pencils := w.product(t, "HB铅笔", 1200)
		counted := countStatements(t, g)
		work := func(past int) (statements, rows int64) {
			o := w.villager(t)
			w.pastOrders(t, o, past)
			must(t, w.svc.AddToCart(w.ctx, o, fert.ID, 1, true))
			w.add(t, o, pencils, 2)
			s0, r0 := counted.read()
			ord, err := w.checkout(o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet))
			s1, r1 := counted.read()
			must(t, err)
			for _, task := range []string{"buy-first-order", "buy-fertiliser-pickup", "buy-compare-sellers", "pay-wallet-pin"} {
				if ev, ok := w.done(t, o.UserID, task); !ok || ev != "order "+ord.Number() {
					t.Errorf("after %d past orders, %s done %v (%q), want by order %s", past, task, ok, ev, ord.Number())
				}
			}
			return s1 - s0, r1 - r0
		}
		s1, r1 := work(1)
		s2000, r2000 := work(2000)
		t.Logf("one checkout: %d statements and %d rows after 1 past order, %d and %d after 2,000", s1, r1, s2000, r2000)
		if s2000 != s1 || r2000 != r1 {
			t.Errorf("a checkout after 2,000 past orders ran %d statements over %d rows, after one %d over %d", s2000, r2000, s1, r1)
		}
		// Before the order: its key, the centre, the wallet and PIN (8). In its transaction:
		// the order and stock (~16), the event, the open tasks, the order read back with items,
		// products and sellers, the product groups, the compare and decline events, and one
		// write per task it completes.
		if limit := int64(45); s2000 > limit {
			t.Errorf("a checkout ran %d statements, want at most %d", s2000, limit)
		}
	})
}

// BenchmarkCheckout is one checkout (cart of two products, pickup, wallet and PIN) with
// every practice task open, after 1 and after 2,000 past orders.
//
//	go test -run '^$' -bench Checkout ./app/sandbox/
func BenchmarkCheckout(b *testing.B) {
	for _, kind := range dbtest.Kinds() {
		for _, past := range []int{1, 2000} {
			b.Run(fmt.Sprintf("%s/past=%d", kind, past), func(b *testing.B) {
				g := dbtest.Open(b, kind)
				w := newWorld(b, g)
				w.tasks.set(sandbox.TaskIDs, "")
				fert := w.product(b, "复合肥 40公斤", 13800)
				pencils := w.product(b, "HB铅笔", 1200)
				o := w.villager(b)
				w.pastOrders(b, o, past)
				for b.Loop() {
					b.StopTimer()
					w.forceStock(b, o, fert, 100)
					w.forceStock(b, o, pencils, 100)
					must(b, g.Model(&sandbox.Wallet{}).Where("user_id = ?", o.UserID).Update("balance_cents", sandbox.StartBalance).Error)
					must(b, w.svc.AddToCart(w.ctx, o, fert.ID, 1, true))
					w.add(b, o, pencils, 1)
					f := w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)
					b.StartTimer()
					if _, err := w.checkout(o, f); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

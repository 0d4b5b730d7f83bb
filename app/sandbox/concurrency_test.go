package sandbox_test

import (
	"sync"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
	"cunlu/app/sandbox"
)

const racers = 20

// race runs fn racers times at once, released together, and returns each call's order and
// error.
func race(fn func(i int) (*sandbox.Order, error)) ([]*sandbox.Order, []error) {
	orders, errors := make([]*sandbox.Order, racers), make([]error, racers)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			orders[i], errors[i] = fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return orders, errors
}

func TestCheckoutConcurrent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		dict := w.product(t, "英汉词典", 3980) // the catalogue has one
		pencils := w.product(t, "HB铅笔", 1200)
		if dict.Stock != 1 {
			t.Fatalf("fixture: dictionary stock %d, want 1", dict.Stock)
		}

		// One learner, twenty checkouts of a cart holding the last one, each with its own key.
		oneLearner := func(t *testing.T, p *sandbox.Product) {
			o := w.villager(t)
			w.forceStock(t, o, p, 1)
			w.add(t, o, p, 1)
			orders, errs_ := race(func(int) (*sandbox.Order, error) {
				return w.checkout(o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet))
			})
			won := 0
			for i, err := range errs_ {
				switch {
				case err == nil && orders[i] != nil:
					won++
				case errs.Is(err, errs.Conflict):
				default:
					t.Errorf("checkout %d: %v, want an order or Conflict", i, err)
				}
			}
			if won != 1 {
				t.Fatalf("%d checkouts succeeded, want exactly 1", won)
			}
			if n := w.count(t, "sandbox_orders", o.UserID); n != 1 {
				t.Errorf("%d orders, want 1", n)
			}
			if n := w.count(t, "sandbox_ledger", o.UserID); n != 1 {
				t.Errorf("%d ledger entries, want 1", n)
			}
			if got := w.left(t, o, p); got != 0 {
				t.Errorf("%d left, want 0", got)
			}
			if got := w.balance(t, o); got != sandbox.StartBalance-p.PriceCents {
				t.Errorf("balance %d, want %d", got, sandbox.StartBalance-p.PriceCents)
			}
		}
		t.Run("one learner, catalogue stock 1", func(t *testing.T) { oneLearner(t, dict) })
		t.Run("one learner, own stock forced to 1", func(t *testing.T) { oneLearner(t, pencils) })

		t.Run("one learner, same key", func(t *testing.T) {
			// A double submit of one checkout page: every request gets the one order.
			o := w.villager(t)
			w.add(t, o, pencils, 2)
			f := w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet)
			orders, errs_ := race(func(int) (*sandbox.Order, error) { return w.checkout(o, f) })
			var id uint
			for i, err := range errs_ {
				if err != nil {
					t.Errorf("submit %d: %v, want the order", i, err)
					continue
				}
				if id == 0 {
					id = orders[i].ID
				}
				if orders[i].ID != id {
					t.Errorf("submit %d gave order %d, another gave %d", i, orders[i].ID, id)
				}
			}
			if n := w.count(t, "sandbox_orders", o.UserID); n != 1 {
				t.Errorf("%d orders, want 1", n)
			}
			if got := w.balance(t, o); got != sandbox.StartBalance-2*pencils.PriceCents {
				t.Errorf("balance %d: charged more than once", got)
			}
		})

		t.Run("twenty learners, stock is per sandbox", func(t *testing.T) {
			owners := make([]sandbox.Owner, racers)
			for i := range owners {
				owners[i] = w.villager(t)
				w.add(t, owners[i], dict, 1)
			}
			orders, errs_ := race(func(i int) (*sandbox.Order, error) {
				return w.checkout(owners[i], w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet))
			})
			for i, err := range errs_ {
				if err != nil {
					t.Errorf("learner %d: %v", i, err)
					continue
				}
				if orders[i].UserID != owners[i].UserID || len(orders[i].Items) != 1 || orders[i].Items[0].ProductID != dict.ID {
					t.Errorf("learner %d got order %+v", i, orders[i])
				}
			}
			for i, o := range owners {
				if n := w.count(t, "sandbox_orders", o.UserID); n != 1 {
					t.Errorf("learner %d has %d orders", i, n)
				}
				if got := w.left(t, o, dict); got != 0 {
					t.Errorf("learner %d: %d left", i, got)
				}
			}
			var catalogue sandbox.Product
			must(t, g.First(&catalogue, dict.ID).Error)
			if catalogue.Stock != 1 {
				t.Errorf("the catalogue's stock moved to %d", catalogue.Stock)
			}
		})

		w.checkMoney(t)
	})
}

package sandbox

import (
	"context"
	"fmt"
	"time"

	"cunlu/app/errs"
)

// State is what the practice-task checkers look at: everything in one learner's sandbox,
// plus the orders they placed for villagers in assisted sessions.
type State struct {
	UserID   uint
	CentreID uint
	Wallet   *Wallet
	Now      time.Time // the simulated clock
	Orders   []Order   // with items, products and after-sales
	Events   []Event
	Reviews  []LearnerReview
	Assisted []Order // orders this person placed in villagers' sandboxes
	// BestInGroup maps a product group to the highest seller rating among its products.
	BestInGroup map[string]int
	GroupSize   map[string]int
}

// LoadState reads a learner's sandbox for the checkers.
func (s *Service) LoadState(ctx context.Context, userID, centreID uint) (*State, error) {
	st := &State{UserID: userID, CentreID: centreID, BestInGroup: map[string]int{}, GroupSize: map[string]int{}}
	w, err := s.Wallet(ctx, Owner{UserID: userID})
	if err != nil {
		return nil, err
	}
	st.Wallet, st.Now = w, w.SimNow(s.now())
	g := s.db.WithContext(ctx)
	if err := g.Preload("Items.Product.Seller").Preload("Aftersale").Where("user_id = ?", userID).Order("id").Find(&st.Orders).Error; err != nil {
		return nil, errs.Wrap(err, "load orders")
	}
	if err := g.Where("user_id = ?", userID).Order("id").Find(&st.Events).Error; err != nil {
		return nil, errs.Wrap(err, "load events")
	}
	if err := g.Where("user_id = ?", userID).Find(&st.Reviews).Error; err != nil {
		return nil, errs.Wrap(err, "load reviews")
	}
	if err := g.Where("assisted_by_id = ?", userID).Find(&st.Assisted).Error; err != nil {
		return nil, errs.Wrap(err, "load assisted orders")
	}
	groups := map[string]bool{}
	for _, o := range st.Orders {
		for _, it := range o.Items {
			groups[it.Product.GroupKey] = true
		}
	}
	if len(groups) > 0 {
		keys := make([]string, 0, len(groups))
		for k := range groups {
			keys = append(keys, k)
		}
		var rows []struct {
			GroupKey string
			Best     int
			N        int
		}
		err := g.Table("shop_products").Select("shop_products.group_key, MAX(shop_sellers.rating_x10) AS best, COUNT(*) AS n").
			Joins("JOIN shop_sellers ON shop_sellers.id = shop_products.seller_id").
			Where("shop_products.group_key IN ? AND shop_products.active", keys).Group("shop_products.group_key").Scan(&rows).Error
		if err != nil {
			return nil, errs.Wrap(err, "load product groups")
		}
		for _, r := range rows {
			st.BestInGroup[r.GroupKey], st.GroupSize[r.GroupKey] = r.Best, r.N
		}
	}
	return st, nil
}

// A Checker looks at a learner's sandbox and says whether a practice task is done, with
// the evidence (which order or action shows it).
type Checker func(st *State) (evidence string, done bool)

// Checkers are the practice tasks the sandbox can check, by task id.
var Checkers = map[string]Checker{
	"buy-first-order": func(st *State) (string, bool) {
		return firstOrder(st, func(o *Order) bool {
			return o.Delivery == DeliveryPickup && o.CentreID != nil && *o.CentreID == st.CentreID
		})
	},
	"buy-fertiliser-pickup": func(st *State) (string, bool) {
		return firstOrder(st, func(o *Order) bool {
			return o.Delivery == DeliveryPickup && anyItem(o, func(it *OrderItem) bool { return it.Product.Fertiliser() && it.PriceCents <= 15000 })
		})
	},
	"buy-compare-sellers": func(st *State) (string, bool) {
		return firstOrder(st, func(o *Order) bool {
			return anyItem(o, func(it *OrderItem) bool {
				g := it.Product.GroupKey
				return st.GroupSize[g] >= 2 && it.Product.Seller != nil && it.Product.Seller.RatingX10 == st.BestInGroup[g] && st.comparedAt(o, it.ProductID)
			})
		})
	},
	"buy-cart-several": func(st *State) (string, bool) {
		return firstOrder(st, func(o *Order) bool { return len(o.Items) >= 3 })
	},
	"buy-track-order": func(st *State) (string, bool) {
		return firstOrder(st, func(o *Order) bool {
			return o.Delivery == DeliveryPickup && o.StageAt(st.Now) >= StageArrived && st.tracked(o)
		})
	},
	"buy-pickup-parcel": func(st *State) (string, bool) {
		return firstOrder(st, func(o *Order) bool { return o.PickedUpAt != nil })
	},
	"buy-return-damaged": func(st *State) (string, bool) {
		return firstOrder(st, func(o *Order) bool {
			return o.Aftersale != nil && o.Aftersale.Reason == "damaged" && o.Aftersale.RefundedAt != nil
		})
	},
	"buy-write-review": func(st *State) (string, bool) {
		for _, r := range st.Reviews {
			return fmt.Sprintf("review #%d", r.ID), true
		}
		return "", false
	},
	"buy-home-delivery": func(st *State) (string, bool) {
		return firstOrder(st, func(o *Order) bool { return o.Delivery == DeliveryHome })
	},
	"buy-school-budget": func(st *State) (string, bool) {
		return firstOrder(st, func(o *Order) bool {
			if len(o.Items) < 2 || o.GoodsCents > 10000 {
				return false
			}
			return !anyItem(o, func(it *OrderItem) bool { return it.Product.Category != "school" })
		})
	},
	"pay-set-pin": func(st *State) (string, bool) {
		if st.Wallet.HasPIN() {
			return "PIN", true
		}
		return "", false
	},
	"pay-wallet-pin": func(st *State) (string, bool) {
		return firstOrder(st, func(o *Order) bool { return o.Payment == PaymentWallet })
	},
	"pay-cash-on-pickup": func(st *State) (string, bool) {
		return firstOrder(st, func(o *Order) bool { return o.Payment == PaymentCash })
	},
	"pay-recover-declined": func(st *State) (string, bool) {
		for _, e := range st.Events {
			if e.Kind != EventDeclined {
				continue
			}
			if ev, ok := firstOrder(st, func(o *Order) bool { return !o.PlacedAt.Before(e.At) }); ok {
				return ev, true
			}
		}
		return "", false
	},
	"assist-villager-order": func(st *State) (string, bool) {
		for _, o := range st.Assisted {
			return fmt.Sprintf("order %s", o.Number()), true
		}
		return "", false
	},
}

func firstOrder(st *State, ok func(*Order) bool) (string, bool) {
	for i := range st.Orders {
		if ok(&st.Orders[i]) {
			return fmt.Sprintf("order %s", st.Orders[i].Number()), true
		}
	}
	return "", false
}

func anyItem(o *Order, ok func(*OrderItem) bool) bool {
	for i := range o.Items {
		if o.Items[i].Product != nil && ok(&o.Items[i]) {
			return true
		}
	}
	return false
}

// comparedAt reports whether the product was added to the cart from the compare page for
// this order (recorded on the order's items by checkout).
func (st *State) comparedAt(o *Order, productID uint) bool {
	for _, e := range st.Events {
		if e.Kind == EventCompared && e.Ref == fmt.Sprint(productID) && !e.At.After(o.PlacedAt) {
			return true
		}
	}
	return false
}

// tracked reports whether the learner fast-forwarded this order.
func (st *State) tracked(o *Order) bool {
	for _, e := range st.Events {
		if e.Kind == EventTracked && e.Ref == fmt.Sprint(o.ID) {
			return true
		}
	}
	return false
}

// Check runs every checker of the given task ids and returns those now done, with evidence.
func Check(st *State, taskIDs []string) map[string]string {
	done := map[string]string{}
	for _, id := range taskIDs {
		if c := Checkers[id]; c != nil {
			if ev, ok := c(st); ok {
				done[id] = ev
			}
		}
	}
	return done
}

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
	UserID     uint
	CentreID   uint
	Wallet     *Wallet
	Now        time.Time // the simulated clock
	Orders     []Order   // with items, products and after-sales
	Events     []Event
	Reviews    []LearnerReview
	Assisted   []Order // orders this person placed in villagers' sandboxes
	Shop       *SellShop
	Listings   []Listing
	Sales      []SellOrder
	Messages   []SellMessage
	Bills      []BillPayment
	Tickets    []Ticket
	Scams      []ScamMessage
	AssistLogs int64
	Timetable  *Timetable
	Scenarios  *Scenarios
	// BestInGroup maps a product group to the highest seller rating among its products.
	BestInGroup map[string]int
	GroupSize   map[string]int
}

// LoadState reads a learner's sandbox for the checkers.
func (s *Service) LoadState(ctx context.Context, userID, centreID uint) (*State, error) {
	st := &State{UserID: userID, CentreID: centreID, BestInGroup: map[string]int{}, GroupSize: map[string]int{}, Timetable: s.Timetable, Scenarios: s.Scenarios}
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
	if shop, err := s.Shop(ctx, Owner{UserID: userID}); err != nil {
		return nil, err
	} else {
		st.Shop = shop
	}
	for _, load := range []struct {
		what string
		dst  any
	}{{"listings", &st.Listings}, {"sales", &st.Sales}, {"messages", &st.Messages}, {"bills", &st.Bills}, {"tickets", &st.Tickets}, {"scam messages", &st.Scams}} {
		if err := g.Where("user_id = ?", userID).Order("id").Find(load.dst).Error; err != nil {
			return nil, errs.Wrap(err, "load "+load.what)
		}
	}
	if err := g.Model(&AssistLog{}).Where("partner_id = ?", userID).Count(&st.AssistLogs).Error; err != nil {
		return nil, errs.Wrap(err, "count assist log")
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
	"sell-open-shop": func(st *State) (string, bool) {
		if st.Shop != nil {
			return st.Shop.Name, true
		}
		return "", false
	},
	"sell-list-product": func(st *State) (string, bool) {
		for _, l := range st.Listings {
			if l.PhotoID != nil && l.Stock > 0 && l.PriceCents > 0 {
				return fmt.Sprintf("listing #%d", l.ID), true
			}
		}
		return "", false
	},
	"sell-ship-order": func(st *State) (string, bool) {
		for _, o := range st.Sales {
			if o.ShippedAt != nil {
				return "tracking " + o.TrackingNo, true
			}
		}
		return "", false
	},
	"sell-answer-message": func(st *State) (string, bool) {
		for _, m := range st.Messages {
			if m.RepliedAt != nil {
				return fmt.Sprintf("message #%d", m.ID), true
			}
		}
		return "", false
	},
	"sell-handle-return": func(st *State) (string, bool) {
		for _, o := range st.Sales {
			if o.ReturnAnswer != "" {
				return fmt.Sprintf("sale #%d: %s", o.ID, o.ReturnAnswer), true
			}
		}
		return "", false
	},
	"sell-read-statement": func(st *State) (string, bool) {
		return st.event(EventStatement, "")
	},
	"bill-pay-electricity": func(st *State) (string, bool) { return st.bill(BillElectricity, time.Time{}) },
	"bill-pay-water":       func(st *State) (string, bool) { return st.bill(BillWater, time.Time{}) },
	"bill-topup-phone":     func(st *State) (string, bool) { return st.bill(BillPhone, time.Time{}) },
	"bill-wrong-account": func(st *State) (string, bool) {
		for _, e := range st.Events {
			if e.Kind == EventAccountNo {
				if ev, ok := st.bill("", e.At); ok {
					return ev, true
				}
			}
		}
		return "", false
	},
	"travel-book-bus":   func(st *State) (string, bool) { return st.ticket("bus", false) },
	"travel-book-train": func(st *State) (string, bool) { return st.ticket("train", false) },
	"travel-refund-ticket": func(st *State) (string, bool) {
		return st.ticket("", true)
	},
	"scam-report-refund-call": func(st *State) (string, bool) { return st.reported("scam-report-refund-call") },
	"scam-report-offplatform": func(st *State) (string, bool) { return st.reported("scam-report-offplatform") },
	"scam-report-cheap-phone": func(st *State) (string, bool) { return st.reported("scam-report-cheap-phone") },
	"scam-report-prize":       func(st *State) (string, bool) { return st.reported("scam-report-prize") },
	"scam-report-franchise":   func(st *State) (string, bool) { return st.reported("scam-report-franchise") },
	"assist-log-help": func(st *State) (string, bool) {
		if st.AssistLogs > 0 {
			return fmt.Sprintf("%d entries", st.AssistLogs), true
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

// comparedAt reports whether the product was added to the cart from the compare page
// before this order was placed (AddToCart records an EventCompared).
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

func (st *State) event(kind, ref string) (string, bool) {
	for _, e := range st.Events {
		if e.Kind == kind && (ref == "" || e.Ref == ref) {
			return kind, true
		}
	}
	return "", false
}

// bill finds a paid bill of a kind ("" for any) paid at or after since.
func (st *State) bill(kind string, since time.Time) (string, bool) {
	for _, b := range st.Bills {
		if (kind == "" || b.Kind == kind) && !b.PaidAt.Before(since) {
			return "receipt " + b.Receipt, true
		}
	}
	return "", false
}

// ticket finds a ticket of a kind ("" for any), refunded if asked.
func (st *State) ticket(kind string, refunded bool) (string, bool) {
	for _, t := range st.Tickets {
		tr := st.Timetable.Trip(t.TripID)
		if tr == nil || (kind != "" && tr.Kind != kind) || (refunded && t.RefundedAt == nil) {
			continue
		}
		return "ticket " + t.Code, true
	}
	return "", false
}

// reported finds a scam of the task's kind that the learner reported.
func (st *State) reported(task string) (string, bool) {
	for _, m := range st.Scams {
		if sc := st.Scenarios.Get(m.Scenario); sc != nil && sc.Task == task && m.Action == ActReport {
			return "reported " + m.Scenario, true
		}
	}
	return "", false
}

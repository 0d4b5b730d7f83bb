package sandbox

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
)

// A Checker is how a practice task is checked: the kinds of event that may complete it,
// and the check of one such event, which reads what it needs about that event (one
// order, one bill …) in the transaction that recorded it.
type Checker struct {
	On    []string
	Check func(c *Check) (evidence string, done bool, err error)
}

// A Check is one event being checked for its owner's practice tasks.
type Check struct {
	Event    *Event
	CentreID uint      // the owner's own centre, where the operation knows it (checkout does)
	Since    time.Time // when the learner opened the lesson of the task being checked: earlier events do not count
	tx       *gorm.DB
	s        *Service
	order    *Order
}

// Checkers are the practice tasks the sandbox can check, by task id.
var Checkers = map[string]Checker{
	"buy-first-order": onOrder(func(c *Check, o *Order) (bool, error) {
		return o.Delivery == DeliveryPickup && o.CentreID != nil && *o.CentreID == c.CentreID, nil
	}),
	"buy-fertiliser-pickup": onOrder(func(c *Check, o *Order) (bool, error) {
		return o.Delivery == DeliveryPickup && anyItem(o, func(it *OrderItem) bool { return it.Product.Fertiliser() && it.PriceCents <= 15000 }), nil
	}),
	"buy-compare-sellers": onOrder(func(c *Check, o *Order) (bool, error) { return c.boughtBestCompared(o) }),
	"buy-cart-several": onOrder(func(c *Check, o *Order) (bool, error) {
		return len(o.Items) >= 3, nil
	}),
	// Tracked to arrival: the fast-forward that brings it to the centre, or picking up a
	// parcel that was tracked on the way.
	"buy-track-order": {On: []string{EventTracked, EventPickedUp}, Check: func(c *Check) (string, bool, error) {
		o, err := c.Order()
		if err != nil || o.Delivery != DeliveryPickup || o.StageAt(c.Event.At) < StageArrived {
			return "", false, err
		}
		if c.Event.Kind == EventPickedUp {
			if tracked, err := c.happened(EventTracked, time.Time{}, c.Event.Ref); err != nil || !tracked {
				return "", false, err
			}
		}
		return "order " + o.Number(), true, nil
	}},
	"buy-pickup-parcel": {On: []string{EventPickedUp}, Check: func(c *Check) (string, bool, error) {
		o, err := c.Order()
		if err != nil || o.PickedUpAt == nil {
			return "", false, err
		}
		return "order " + o.Number(), true, nil
	}},
	"buy-return-damaged": {On: []string{EventRefunded}, Check: func(c *Check) (string, bool, error) {
		o, err := c.Order()
		if err != nil {
			return "", false, err
		}
		var a Aftersale
		if err := c.tx.Where("order_id = ? AND user_id = ?", o.ID, c.Event.UserID).Take(&a).Error; err != nil {
			return "", false, err
		}
		if a.Reason != "damaged" || a.RefundedAt == nil {
			return "", false, nil
		}
		return "order " + o.Number(), true, nil
	}},
	"buy-write-review": {On: []string{EventReviewed}, Check: func(c *Check) (string, bool, error) {
		return "review #" + c.Event.Ref, true, nil
	}},
	// Chose by the ratings: every item well rated (4.5 or more), from a seller rated as well.
	"buy-well-rated": onOrder(func(c *Check, o *Order) (bool, error) {
		return len(o.Items) > 0 && !anyItem(o, func(it *OrderItem) bool {
			return it.Product.RatingX10 < 45 || it.Product.Seller == nil || it.Product.Seller.RatingX10 < 45
		}), nil
	}),
	"buy-home-delivery": onOrder(func(c *Check, o *Order) (bool, error) { return o.Delivery == DeliveryHome, nil }),
	"buy-school-budget": onOrder(func(c *Check, o *Order) (bool, error) {
		if len(o.Items) < 2 || o.GoodsCents > 10000 {
			return false, nil
		}
		return !anyItem(o, func(it *OrderItem) bool { return it.Product.Category != "school" }), nil
	}),
	"pay-set-pin": {On: []string{EventPINSet}, Check: func(c *Check) (string, bool, error) {
		return "PIN", true, nil
	}},
	// Changed a PIN that was set (which needs the current one), as after someone saw it.
	"pay-change-pin": {On: []string{EventPINSet}, Check: func(c *Check) (string, bool, error) {
		return "PIN changed", c.Event.Ref == "changed", nil
	}},
	"pay-read-ledger": {On: []string{EventLedger}, Check: func(c *Check) (string, bool, error) {
		return EventLedger, true, nil
	}},
	"pay-wallet-pin":     onOrder(func(c *Check, o *Order) (bool, error) { return o.Payment == PaymentWallet, nil }),
	"pay-cash-on-pickup": onOrder(func(c *Check, o *Order) (bool, error) { return o.Payment == PaymentCash, nil }),
	"pay-recover-declined": onOrder(func(c *Check, o *Order) (bool, error) {
		return c.happened(EventDeclined, o.PlacedAt)
	}),
	"sell-open-shop": {On: []string{EventShopOpened}, Check: func(c *Check) (string, bool, error) {
		var shop SellShop
		if err := c.tx.Where("user_id = ?", c.Event.UserID).Take(&shop).Error; err != nil {
			return "", false, err
		}
		return shop.Name, true, nil
	}},
	"sell-list-product": {On: []string{EventListingSaved}, Check: func(c *Check) (string, bool, error) {
		var l Listing
		if err := c.own(&l); err != nil || l.PhotoID == nil || l.Stock <= 0 || l.PriceCents <= 0 {
			return "", false, err
		}
		return fmt.Sprintf("listing #%d", l.ID), true, nil
	}},
	// Priced to cover the goods, the postage and the platform's fee (Listing.Covers).
	"sell-price-covers-costs": onListing(func(l *Listing) bool { return l.Stock > 0 && l.Covers() }),
	// A title that says how much (a weight or a count) and a description that says more.
	"sell-clear-title": onListing(func(l *Listing) bool {
		return digits.MatchString(l.Title) && utf8.RuneCountInString(l.Description) >= 10
	}),
	// Chose goods buyers want: a simulated buyer ordered from the shop.
	"sell-first-buyer": {On: []string{EventSaleCame}, Check: func(c *Check) (string, bool, error) {
		return "sale #" + c.Event.Ref, true, nil
	}},
	"sell-ship-order": {On: []string{EventSaleShipped}, Check: func(c *Check) (string, bool, error) {
		var o SellOrder
		if err := c.own(&o); err != nil || o.ShippedAt == nil {
			return "", false, err
		}
		return "tracking " + o.TrackingNo, true, nil
	}},
	"sell-answer-message": {On: []string{EventAnswered}, Check: func(c *Check) (string, bool, error) {
		return "message #" + c.Event.Ref, true, nil
	}},
	"sell-handle-return": {On: []string{EventReturnHandled}, Check: func(c *Check) (string, bool, error) {
		var o SellOrder
		if err := c.own(&o); err != nil || o.ReturnAnswer == "" {
			return "", false, err
		}
		return fmt.Sprintf("sale #%d: %s", o.ID, o.ReturnAnswer), true, nil
	}},
	"sell-read-statement": {On: []string{EventStatement}, Check: func(c *Check) (string, bool, error) {
		return EventStatement, true, nil
	}},
	"bill-pay-electricity": onBill(func(c *Check, b *BillPayment) (bool, error) { return b.Kind == BillElectricity, nil }),
	"bill-pay-water":       onBill(func(c *Check, b *BillPayment) (bool, error) { return b.Kind == BillWater, nil }),
	"bill-topup-phone":     onBill(func(c *Check, b *BillPayment) (bool, error) { return b.Kind == BillPhone, nil }),
	// A wrong account number caught, then a bill paid.
	"bill-wrong-account": onBill(func(c *Check, b *BillPayment) (bool, error) {
		return c.happened(EventAccountNo, b.PaidAt)
	}),
	"travel-book-bus":         onTicket(EventTicketBooked, "bus"),
	"travel-book-train":       onTicket(EventTicketBooked, "train"),
	"travel-refund-ticket":    onTicket(EventTicketRefunded, ""),
	"scam-report-refund-call": onReport("scam-report-refund-call"),
	"scam-report-offplatform": onReport("scam-report-offplatform"),
	"scam-report-cheap-phone": onReport("scam-report-cheap-phone"),
	"scam-report-prize":       onReport("scam-report-prize"),
	"scam-report-franchise":   onReport("scam-report-franchise"),
	"scam-report-after-fall": {On: []string{EventScam(ActReport)}, Check: func(c *Check) (string, bool, error) {
		if sc := c.s.Scenarios.Get(c.Event.Ref); sc == nil || !sc.Scam {
			return "", false, nil
		}
		fell, err := c.happened(EventScam(ActFall), time.Time{}, c.Event.Ref)
		return "reported after falling for " + c.Event.Ref, fell, err
	}},
	// Told a genuine message from a scam: kept it as genuine.
	"scam-keep-genuine": onScenario(ActKeep, func(sc *Scenario) bool { return !sc.Scam }),
	// Cut off a scam call or text: blocked the sender.
	"scam-block-sender": onScenario(ActBlock, func(sc *Scenario) bool {
		return sc.Scam && (sc.Channel == "call" || sc.Channel == "sms")
	}),
	// Refused to pay outside the platform's own payment page: blocked the seller who asked.
	"scam-block-offplatform": onScenario(ActBlock, func(sc *Scenario) bool { return sc.Task == "scam-report-offplatform" }),
	"assist-log-help": {On: []string{EventHelpLogged}, Check: func(c *Check) (string, bool, error) {
		return "assist log #" + c.Event.Ref, true, nil
	}},
	// Helped without writing down the villager's ID, phone or account number.
	"assist-log-private": onHelp(func(c *Check, l *AssistLog) (bool, error) {
		return l.Note != "" && !longNumber.MatchString(l.Note), nil
	}),
	// Taught a villager (the "lesson" kind of help), as when warning them about scams.
	"assist-warn-villager": onHelp(func(c *Check, l *AssistLog) (bool, error) { return l.Kind == "lesson", nil }),
	// Came back to a villager helped before.
	"assist-follow-up": onHelp(func(c *Check, l *AssistLog) (bool, error) {
		var ids []uint
		err := c.tx.Model(&AssistLog{}).Where("partner_id = ? AND villager_id = ? AND id < ?", l.PartnerID, l.VillagerID, l.ID).Limit(1).Pluck("id", &ids).Error
		return len(ids) > 0, err
	}),
	// A villager's very first order, placed with them in an assisted session.
	"assist-first-order": {On: []string{EventOrderAssisted}, Check: func(c *Check) (string, bool, error) {
		o, err := c.Order()
		if err != nil || o.AssistedByID == nil || *o.AssistedByID != c.Event.UserID {
			return "", false, err
		}
		var ids []uint
		if err := c.tx.Model(&Order{}).Where("user_id = ? AND id < ?", o.UserID, o.ID).Limit(1).Pluck("id", &ids).Error; err != nil || len(ids) > 0 {
			return "", false, err
		}
		return "order " + o.Number(), true, nil
	}},
	// A centre's day: since opening the lesson, an order placed (own or for a villager), a
	// bill paid and a help logged, in any order.
	"centre-busy-day": {On: []string{EventOrderPlaced, EventOrderAssisted, EventBillPaid, EventHelpLogged}, Check: func(c *Check) (string, bool, error) {
		for _, kinds := range [][]string{{EventOrderPlaced, EventOrderAssisted}, {EventBillPaid}, {EventHelpLogged}} {
			if slices.Contains(kinds, c.Event.Kind) {
				continue
			}
			seen := false
			for _, k := range kinds {
				ok, err := c.happened(k, time.Time{})
				if err != nil {
					return "", false, err
				}
				seen = seen || ok
			}
			if !seen {
				return "", false, nil
			}
		}
		return "order, bill and help", true, nil
	}},
	// A parcel collected at the centre's counter with its pickup code.
	"centre-pickup-parcel": {On: []string{EventPickedUp}, Check: func(c *Check) (string, bool, error) {
		o, err := c.Order()
		if err != nil || o.PickedUpAt == nil || o.Delivery != DeliveryPickup {
			return "", false, err
		}
		return "order " + o.Number(), true, nil
	}},
	"shop-reset": {On: []string{EventReset}, Check: func(c *Check) (string, bool, error) {
		return EventReset, true, nil
	}},
	// The partner's event for an order they placed in a villager's sandbox.
	"assist-villager-order": {On: []string{EventOrderAssisted}, Check: func(c *Check) (string, bool, error) {
		o, err := c.Order()
		if err != nil || o.AssistedByID == nil || *o.AssistedByID != c.Event.UserID {
			return "", false, err
		}
		return "order " + o.Number(), true, nil
	}},
}

// listeners lists, by event kind, the tasks whose checkers listen to it, in TaskIDs order.
var listeners = func() map[string][]string {
	m := map[string][]string{}
	for _, id := range TaskIDs {
		for _, kind := range Checkers[id].On {
			m[kind] = append(m[kind], id)
		}
	}
	return m
}()

// onOrder checks the order just placed; the evidence is its number.
func onOrder(ok func(c *Check, o *Order) (bool, error)) Checker {
	return Checker{On: []string{EventOrderPlaced}, Check: func(c *Check) (string, bool, error) {
		o, err := c.Order()
		if err != nil {
			return "", false, err
		}
		if done, err := ok(c, o); err != nil || !done {
			return "", false, err
		}
		return "order " + o.Number(), true, nil
	}}
}

// onBill checks the bill just paid; the evidence is its receipt.
func onBill(ok func(c *Check, b *BillPayment) (bool, error)) Checker {
	return Checker{On: []string{EventBillPaid}, Check: func(c *Check) (string, bool, error) {
		var b BillPayment
		if err := c.own(&b); err != nil {
			return "", false, err
		}
		if done, err := ok(c, &b); err != nil || !done {
			return "", false, err
		}
		return "receipt " + b.Receipt, true, nil
	}}
}

// onTicket checks the ticket just booked or refunded, of a kind of trip ("" for any).
func onTicket(kind, trip string) Checker {
	return Checker{On: []string{kind}, Check: func(c *Check) (string, bool, error) {
		var t Ticket
		if err := c.own(&t); err != nil {
			return "", false, err
		}
		tr := c.s.Timetable.Trip(t.TripID)
		if tr == nil || (trip != "" && tr.Kind != trip) || (kind == EventTicketRefunded && t.RefundedAt == nil) {
			return "", false, nil
		}
		return "ticket " + t.Code, true, nil
	}}
}

// onReport checks a reported scenario: it completes the task the scenario teaches.
func onReport(task string) Checker {
	return Checker{On: []string{EventScam(ActReport)}, Check: func(c *Check) (string, bool, error) {
		if sc := c.s.Scenarios.Get(c.Event.Ref); sc == nil || sc.Task != task {
			return "", false, nil
		}
		return "reported " + c.Event.Ref, true, nil
	}}
}

// onListing checks the listing just saved; the evidence is its number.
func onListing(ok func(l *Listing) bool) Checker {
	return Checker{On: []string{EventListingSaved}, Check: func(c *Check) (string, bool, error) {
		var l Listing
		if err := c.own(&l); err != nil || !ok(&l) {
			return "", false, err
		}
		return fmt.Sprintf("listing #%d", l.ID), true, nil
	}}
}

// onScenario checks a scenario the learner acted on with action.
func onScenario(action string, ok func(sc *Scenario) bool) Checker {
	return Checker{On: []string{EventScam(action)}, Check: func(c *Check) (string, bool, error) {
		if sc := c.s.Scenarios.Get(c.Event.Ref); sc == nil || !ok(sc) {
			return "", false, nil
		}
		return action + " " + c.Event.Ref, true, nil
	}}
}

// onHelp checks the partner's assist log entry just written.
func onHelp(ok func(c *Check, l *AssistLog) (bool, error)) Checker {
	return Checker{On: []string{EventHelpLogged}, Check: func(c *Check) (string, bool, error) {
		id, err := c.id()
		if err != nil {
			return "", false, err
		}
		var l AssistLog
		if err := c.tx.Where("id = ? AND partner_id = ?", id, c.Event.UserID).Take(&l).Error; err != nil {
			return "", false, err
		}
		if done, err := ok(c, &l); err != nil || !done {
			return "", false, err
		}
		return "assist log #" + c.Event.Ref, true, nil
	}}
}

// longNumber is an ID card, phone or account number written in a note.
var longNumber = regexp.MustCompile(`[0-9０-９]{6,}`)

func anyItem(o *Order, ok func(*OrderItem) bool) bool {
	for i := range o.Items {
		if o.Items[i].Product != nil && ok(&o.Items[i]) {
			return true
		}
	}
	return false
}

// id is the id the event's Ref names.
func (c *Check) id() (uint, error) {
	n, err := strconv.ParseUint(c.Event.Ref, 10, 64)
	return uint(n), err
}

// Order is the order the event names, with its items, their products and sellers, read
// once per event.
func (c *Check) Order() (*Order, error) {
	if c.order != nil {
		return c.order, nil
	}
	id, err := c.id()
	if err != nil {
		return nil, err
	}
	var o Order
	if err := c.tx.Preload("Items.Product.Seller").Where("id = ?", id).Take(&o).Error; err != nil {
		return nil, err
	}
	c.order = &o
	return c.order, nil
}

// own reads into dst the row the event names, from the event owner's sandbox.
func (c *Check) own(dst any) error {
	id, err := c.id()
	if err != nil {
		return err
	}
	return c.tx.Where("id = ? AND user_id = ?", id, c.Event.UserID).Take(dst).Error
}

// happened reports whether the owner had an event of kind at or before by (at any time
// when by is zero), about one of refs when any are given, since the task's lesson was opened.
func (c *Check) happened(kind string, by time.Time, refs ...string) (bool, error) {
	q := c.tx.Model(&Event{}).Where("user_id = ? AND kind = ? AND created_at >= ?", c.Event.UserID, kind, c.Since)
	if !by.IsZero() {
		q = q.Where("at <= ?", by)
	}
	if len(refs) > 0 {
		q = q.Where("ref IN ?", refs)
	}
	var ids []uint
	err := q.Limit(1).Pluck("id", &ids).Error
	return len(ids) > 0, err
}

// boughtBestCompared reports whether the order holds goods that more than one seller
// offers, from the best-rated of them, added to the cart from the compare page before
// the order was placed.
func (c *Check) boughtBestCompared(o *Order) (bool, error) {
	var keys []string
	for _, it := range o.Items {
		if it.Product != nil {
			keys = append(keys, it.Product.GroupKey)
		}
	}
	if len(keys) == 0 {
		return false, nil
	}
	var groups []struct {
		GroupKey string
		Best     int
		N        int
	}
	err := c.tx.Table("shop_products").Select("shop_products.group_key, MAX(shop_sellers.rating_x10) AS best, COUNT(*) AS n").
		Joins("JOIN shop_sellers ON shop_sellers.id = shop_products.seller_id").
		Where("shop_products.group_key IN ? AND shop_products.active", keys).Group("shop_products.group_key").Scan(&groups).Error
	if err != nil {
		return false, err
	}
	var best []string // the order's products from the best seller of goods with several
	for _, it := range o.Items {
		for _, g := range groups {
			if it.Product != nil && it.Product.GroupKey == g.GroupKey && g.N >= 2 && it.Product.Seller != nil && it.Product.Seller.RatingX10 == g.Best {
				best = append(best, ref(it.ProductID))
			}
		}
	}
	if len(best) == 0 {
		return false, nil
	}
	return c.happened(EventCompared, o.PlacedAt, best...)
}

package sandbox

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"cunlu/app/errs"
	"cunlu/app/textcheck"
)

// Delivery and payment choices.
const (
	DeliveryPickup = "pickup"
	DeliveryHome   = "home"
	PaymentWallet  = "wallet"
	PaymentCash    = "cash"
)

// Order is a sandbox order. Its tracking times are on the owner's simulated clock, so the
// stage it is at follows from the clock; "fast-forward" moves the clock, never the order.
type Order struct {
	ID            uint
	UserID        uint
	CheckoutKey   string
	AssistedByID  *uint
	Delivery      string
	CentreID      *uint
	Address       string
	Payment       string
	GoodsCents    int64
	ShippingCents int64
	TotalCents    int64
	PlacedAt      time.Time
	ShipAt        time.Time
	WarehouseAt   time.Time
	ArriveAt      time.Time
	PickedUpAt    *time.Time
	PickupCode    string
	Delayed       bool
	Damaged       bool
	CreatedAt     time.Time
	Items         []OrderItem `gorm:"foreignKey:OrderID"`
	Aftersale     *Aftersale  `gorm:"foreignKey:OrderID"`
}

func (Order) TableName() string { return "sandbox_orders" }

// OrderItem is one line of an order, at the price paid.
type OrderItem struct {
	ID         uint
	OrderID    uint
	ProductID  uint
	Product    *Product
	PriceCents int64
	Qty        int
}

func (OrderItem) TableName() string { return "sandbox_order_items" }

// Aftersale is a return-and-refund request.
type Aftersale struct {
	ID          uint
	OrderID     uint
	UserID      uint
	Reason      string
	Note        string
	AmountCents int64
	RefundTo    string // RefundWallet or RefundCash: the way the money came
	RequestedAt time.Time
	ResolveAt   time.Time
	RefundedAt  *time.Time
}

func (Aftersale) TableName() string { return "sandbox_aftersales" }

// Where a refund goes: back the way the money came.
const (
	RefundWallet = "wallet" // paid from the wallet: refunded into it
	RefundCash   = "cash"   // paid in cash at pickup: refunded in cash at the centre, not into the wallet
)

// Return reasons a learner can choose.
var ReturnReasons = []string{"damaged", "wrong_item", "not_as_described", "not_needed"}

// LearnerReview is a review a learner wrote in their own sandbox (seen by them only).
type LearnerReview struct {
	ID        uint
	UserID    uint
	OrderID   uint
	ProductID uint
	Stars     int
	Text      string
	CreatedAt time.Time
}

func (LearnerReview) TableName() string { return "sandbox_reviews" }

// Stage is where an order is on its way.
type Stage int

const (
	StagePaid      Stage = iota // ordered (and paid, unless cash on pickup)
	StageShipped                // the seller handed it to the courier
	StageWarehouse              // at the county warehouse
	StageArrived                // at the service centre (pickup) or delivered (home)
	StagePickedUp               // collected with the pickup code
)

// Stages lists the stages of the tracking timeline.
var Stages = []Stage{StagePaid, StageShipped, StageWarehouse, StageArrived, StagePickedUp}

// StageAt is the order's stage at simulated time now.
func (o *Order) StageAt(now time.Time) Stage {
	switch {
	case o.PickedUpAt != nil:
		return StagePickedUp
	case !now.Before(o.ArriveAt):
		return StageArrived
	case !now.Before(o.WarehouseAt):
		return StageWarehouse
	case !now.Before(o.ShipAt):
		return StageShipped
	}
	return StagePaid
}

// TimeOf is when the order reached (or will reach) a stage.
func (o *Order) TimeOf(st Stage) *time.Time {
	switch st {
	case StagePaid:
		return &o.PlacedAt
	case StageShipped:
		return &o.ShipAt
	case StageWarehouse:
		return &o.WarehouseAt
	case StageArrived:
		return &o.ArriveAt
	}
	return o.PickedUpAt
}

// Received reports whether the learner has the goods (picked up, or delivered home).
func (o *Order) Received(now time.Time) bool {
	return o.PickedUpAt != nil || (o.Delivery == DeliveryHome && !now.Before(o.ArriveAt))
}

// ItemCount is how many things the order holds: its lines' quantities added up.
func (o *Order) ItemCount() int {
	n := 0
	for _, it := range o.Items {
		n += it.Qty
	}
	return n
}

// Number is the order number shown to learners.
func (o *Order) Number() string { return fmt.Sprintf("CL%s%06d", o.PlacedAt.Format("0601"), o.ID) }

// inOrder runs fn in a transaction holding the owner's wallet (so one learner's actions
// run one at a time) with one of the owner's orders; another sandbox's order is NotFound.
func (s *Service) inOrder(ctx context.Context, o Owner, orderID uint, preload string, fn func(tx *gorm.DB, w *Wallet, ord Order) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w, err := s.lockWallet(tx, o.UserID)
		if err != nil {
			return err
		}
		q := tx
		if preload != "" {
			q = q.Preload(preload)
		}
		var ord Order
		if err := q.Where("id = ? AND user_id = ?", orderID, o.UserID).Take(&ord).Error; err != nil {
			return notFound(err)
		}
		return fn(tx, w, ord)
	})
}

// settle makes the refunds whose time has come on the owner's simulated clock, crediting
// the wallet with those paid from it (cash is handed back at the centre, outside the wallet).
func (s *Service) settle(tx *gorm.DB, userID uint) error {
	var w Wallet
	res := tx.Where("user_id = ?", userID).Limit(1).Find(&w)
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	now := w.SimNow(s.now())
	var due []Aftersale
	if err := tx.Where("user_id = ? AND refunded_at IS NULL AND resolve_at <= ?", userID, now).Find(&due).Error; err != nil {
		return err
	}
	for _, a := range due {
		res := tx.Model(&Aftersale{}).Where("id = ? AND refunded_at IS NULL", a.ID).Update("refunded_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 || a.RefundTo != RefundWallet {
			continue
		}
		orderID := a.OrderID
		if err := tx.Create(&LedgerEntry{UserID: userID, AmountCents: a.AmountCents, Kind: "refund", OrderID: &orderID, At: now}).Error; err != nil {
			return err
		}
		if err := tx.Model(&Wallet{}).Where("user_id = ?", userID).Update("balance_cents", gorm.Expr("balance_cents + ?", a.AmountCents)).Error; err != nil {
			return err
		}
		if err := s.record(tx, Owner{UserID: userID}, EventRefunded, ref(a.OrderID), now); err != nil {
			return err
		}
	}
	return nil
}

// Orders lists the owner's orders, newest first, with the simulated time now.
func (s *Service) Orders(ctx context.Context, o Owner) ([]Order, time.Time, error) {
	w, err := s.Wallet(ctx, o)
	if err != nil {
		return nil, time.Time{}, err
	}
	var out []Order
	err = s.db.WithContext(ctx).Preload("Items.Product").Preload("Aftersale").Where("user_id = ?", o.UserID).Order("id DESC").Find(&out).Error
	return out, w.SimNow(s.now()), errs.Wrap(err, "list orders")
}

// Order returns one of the owner's orders; another sandbox's order is NotFound.
func (s *Service) Order(ctx context.Context, o Owner, id uint) (*Order, time.Time, error) {
	w, err := s.Wallet(ctx, o)
	if err != nil {
		return nil, time.Time{}, err
	}
	var ord Order
	err = s.db.WithContext(ctx).Preload("Items.Product.Seller").Preload("Aftersale").Where("id = ? AND user_id = ?", id, o.UserID).Take(&ord).Error
	if err != nil {
		return nil, time.Time{}, errs.Wrap(notFound(err), "find order")
	}
	return &ord, w.SimNow(s.now()), nil
}

// FastForward moves the owner's simulated clock to the order's next event (its next
// tracking stage, or its refund), so a lesson never waits for days.
func (s *Service) FastForward(ctx context.Context, o Owner, orderID uint) error {
	err := s.inOrder(ctx, o, orderID, "Aftersale", func(tx *gorm.DB, w *Wallet, ord Order) error {
		now := w.SimNow(s.now())
		var next *time.Time
		for _, t := range []time.Time{ord.ShipAt, ord.WarehouseAt, ord.ArriveAt} {
			if t.After(now) {
				next = &t
				break
			}
		}
		if next == nil && ord.Aftersale != nil && ord.Aftersale.RefundedAt == nil {
			next = &ord.Aftersale.ResolveAt
		}
		if next == nil {
			return errs.New(errs.Conflict, "shop.error.nothing_to_wait_for")
		}
		step := int64(next.Sub(now).Seconds()) + 1
		if err := tx.Model(&Wallet{}).Where("user_id = ?", o.UserID).Update("clock_offset", gorm.Expr("clock_offset + ?", step)).Error; err != nil {
			return err
		}
		if err := s.record(tx, o, EventTracked, ref(ord.ID), next.Add(time.Second)); err != nil {
			return err
		}
		return s.settle(tx, o.UserID)
	})
	return errs.Wrap(err, "fast-forward")
}

// PickUp hands over an order at the service centre when the learner gives its pickup code.
func (s *Service) PickUp(ctx context.Context, o Owner, orderID uint, code string) error {
	err := s.inOrder(ctx, o, orderID, "", func(tx *gorm.DB, w *Wallet, ord Order) error {
		now := w.SimNow(s.now())
		switch {
		case ord.Delivery != DeliveryPickup:
			return errs.New(errs.Conflict, "shop.error.not_pickup")
		case ord.PickedUpAt != nil:
			return errs.New(errs.Conflict, "shop.error.already_picked_up")
		case ord.StageAt(now) < StageArrived:
			return errs.New(errs.Conflict, "shop.error.not_arrived")
		case strings.TrimSpace(code) != ord.PickupCode:
			return errs.Field("code", "shop.error.pickup_code")
		}
		if err := tx.Model(&Order{}).Where("id = ?", ord.ID).Update("picked_up_at", now).Error; err != nil {
			return err
		}
		return s.record(tx, o, EventPickedUp, ref(ord.ID), now)
	})
	return errs.Wrap(err, "pick up")
}

// RequestReturn asks for a return and refund of a received order (once per order). The
// refund is made a simulated day later, the way the order was paid: into the wallet, or in
// cash at the centre for cash on pickup. (A cash order is received, and so paid, only when
// picked up: before that there is nothing to refund.)
func (s *Service) RequestReturn(ctx context.Context, o Owner, orderID uint, reason, note string) error {
	if !slices.Contains(ReturnReasons, reason) {
		return errs.Field("reason", "shop.error.return_reason")
	}
	note, err := cleanText(textcheck.Text, "note", note, 0, 300)
	if err != nil {
		return err
	}
	err = s.inOrder(ctx, o, orderID, "Aftersale", func(tx *gorm.DB, w *Wallet, ord Order) error {
		now := w.SimNow(s.now())
		if ord.Aftersale != nil {
			return errs.New(errs.Conflict, "shop.error.return_exists")
		}
		if !ord.Received(now) {
			return errs.New(errs.Conflict, "shop.error.return_too_early")
		}
		to := RefundWallet
		if ord.Payment == PaymentCash {
			to = RefundCash
		}
		a := Aftersale{OrderID: ord.ID, UserID: o.UserID, Reason: reason, Note: note, AmountCents: ord.TotalCents, RefundTo: to,
			RequestedAt: now, ResolveAt: now.Add(24 * time.Hour)}
		if err := tx.Create(&a).Error; err != nil {
			return err
		}
		return s.record(tx, o, EventReturnRequested, ref(ord.ID), now)
	})
	return errs.Wrap(err, "request return")
}

// WriteReview stores a review of a product of a received order, once per product and order.
func (s *Service) WriteReview(ctx context.Context, o Owner, orderID, productID uint, stars int, text string) error {
	text = strings.TrimSpace(text)
	if stars < 1 || stars > 5 {
		return errs.Field("stars", "shop.error.stars")
	}
	if err := textcheck.Text("text", text); err != nil {
		return err
	}
	if utf8.RuneCountInString(text) > 500 {
		return errs.Field("text", "error.too_long").With("Max", 500)
	}
	if utf8.RuneCountInString(text) < 2 {
		return errs.Field("text", "shop.error.review_short")
	}
	err := s.inOrder(ctx, o, orderID, "Items", func(tx *gorm.DB, w *Wallet, ord Order) error {
		now := w.SimNow(s.now())
		if !ord.Received(now) {
			return errs.New(errs.Conflict, "shop.error.review_too_early")
		}
		found := false
		for _, it := range ord.Items {
			found = found || it.ProductID == productID
		}
		if !found {
			return errNotFound
		}
		var n int64
		if err := tx.Model(&LearnerReview{}).Where("user_id = ? AND order_id = ? AND product_id = ?", o.UserID, orderID, productID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return errs.New(errs.Conflict, "shop.error.review_exists")
		}
		r := LearnerReview{UserID: o.UserID, OrderID: orderID, ProductID: productID, Stars: stars, Text: text, CreatedAt: s.now()}
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return s.record(tx, o, EventReviewed, ref(r.ID), now)
	})
	return errs.Wrap(err, "write review")
}

// Reviews lists the owner's own reviews of a product.
func (s *Service) Reviews(ctx context.Context, o Owner, productID uint) ([]LearnerReview, error) {
	var out []LearnerReview
	err := s.db.WithContext(ctx).Where("user_id = ? AND product_id = ?", o.UserID, productID).Order("id DESC").Find(&out).Error
	return out, errs.Wrap(err, "list reviews")
}

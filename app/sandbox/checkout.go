package sandbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cunlu/app/errs"
	"cunlu/app/textcheck"
)

// Outcome codes let a trainer rehearse what goes wrong in real shopping, like a payment
// sandbox's test cards: typed into the checkout form's "practice code" field.
const (
	OutcomeDeclined = "0001" // the payment is declined: insufficient balance
	OutcomeSoldOut  = "0002" // the first item sells out during checkout
	OutcomeDelayed  = "0003" // the parcel is delayed a day at the county warehouse
	OutcomeDamaged  = "0004" // the parcel arrives damaged
)

// Outcomes lists the outcome codes for the trainers' help page.
var Outcomes = []string{OutcomeDeclined, OutcomeSoldOut, OutcomeDelayed, OutcomeDamaged}

// CheckoutForm is what the learner chose at checkout.
type CheckoutForm struct {
	Key      string // idempotency key of the checkout page
	Delivery string // DeliveryPickup or DeliveryHome
	CentreID uint   // pickup centre; the learner's own when 0
	Address  string // home delivery address
	Payment  string // PaymentWallet or PaymentCash
	PIN      string // payment PIN, for the wallet
	Outcome  string // an outcome code, or ""
}

// CentreExists reports whether a service centre exists (to pick up an order at, or to ship
// from): one centre looked up, not the list of all.
type CentreExists func(ctx context.Context, id uint) (bool, error)

// Tracking durations on the simulated clock.
const (
	toShip      = 3 * time.Hour
	toWarehouse = 20 * time.Hour
	toArrive    = 44 * time.Hour
	delay       = 24 * time.Hour
)

// Checkout turns the cart into an order in one transaction: stock, wallet, ledger, order
// and cart change together or not at all. Submitting the same key twice returns the first
// order. Errors: Invalid for a bad form or wrong PIN, Conflict for an empty cart, a sold-out
// item or a declined payment, TooMany while payment is locked after wrong PINs.
func (s *Service) Checkout(ctx context.Context, o Owner, f CheckoutForm, centreExists CentreExists) (*Order, error) {
	if !validKey(f.Key) {
		return nil, errs.New(errs.Invalid, "shop.error.checkout_stale")
	}
	if prev, err := s.orderByKey(ctx, o.UserID, f.Key); err != nil || prev != nil {
		return prev, err
	}
	f.Address = strings.TrimSpace(f.Address)
	f.Outcome = strings.TrimSpace(f.Outcome)
	switch f.Delivery {
	case DeliveryPickup:
		if f.CentreID == 0 {
			f.CentreID = o.CentreID
		}
		ok, err := centreExists(ctx, f.CentreID)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errs.Field("centre", "shop.error.centre")
		}
	case DeliveryHome:
		if n := utf8.RuneCountInString(f.Address); n < 4 || n > 200 || !utf8.ValidString(f.Address) || strings.ContainsRune(f.Address, 0) {
			return nil, errs.Field("address", "shop.error.address")
		}
		if err := textcheck.Name("address", f.Address); err != nil {
			return nil, err
		}
	default:
		return nil, errs.Field("delivery", "shop.error.delivery")
	}
	if f.Outcome != "" && !slices.Contains(Outcomes, f.Outcome) {
		return nil, errs.Field("outcome", "shop.error.outcome")
	}
	var w *Wallet
	switch f.Payment {
	case PaymentWallet:
		var err error
		if w, err = s.Wallet(ctx, o); err != nil {
			return nil, err
		}
		if !w.HasPIN() {
			return nil, errs.Field("pin", "shop.error.no_pin")
		}
		// The slow PIN check runs before the transaction, so it never holds the write lock.
		if err := s.checkPIN(ctx, w, f.PIN); err != nil {
			return nil, err
		}
	case PaymentCash:
		if f.Delivery != DeliveryPickup {
			return nil, errs.Field("payment", "shop.error.cash_needs_pickup")
		}
	default:
		return nil, errs.Field("payment", "shop.error.payment")
	}

	var order *Order
	var declined error
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.settle(tx, o.UserID); err != nil {
			return err
		}
		w, err := s.lockWallet(tx, o.UserID)
		if err != nil {
			return err
		}
		// A double submit of the same page may have placed the order while this one waited
		// for the wallet: return that order, as a later resubmit would get.
		var prev Order
		if res := tx.Preload("Items").Where("user_id = ? AND checkout_key = ?", o.UserID, f.Key).Limit(1).Find(&prev); res.Error != nil || res.RowsAffected == 1 {
			order = &prev
			return res.Error
		}
		now := w.SimNow(s.now())
		var items []CartItem
		if err := tx.Preload("Product").Where("user_id = ?", o.UserID).Order("added_at, product_id").Find(&items).Error; err != nil {
			return err
		}
		if len(items) == 0 {
			return errs.New(errs.Conflict, "shop.error.cart_empty")
		}
		t := Totals(items, f.Delivery)
		if f.Delivery == DeliveryPickup && !t.PickupOK {
			return errs.Field("delivery", "shop.error.no_pickup_item")
		}
		for i, it := range items {
			if !it.Product.Active {
				return errs.New(errs.Conflict, "shop.error.sold_out").With("Product", it.Product.NameZh)
			}
			if i == 0 && f.Outcome == OutcomeSoldOut {
				// Someone else bought the last ones a moment ago.
				if err := s.setStock(tx, o.UserID, it.Product.ID, 0); err != nil {
					return err
				}
				declined = errs.New(errs.Conflict, "shop.error.sold_out").With("Product", it.Product.NameZh)
				return s.record(tx, o, EventSoldOut, it.Product.SKU, now)
			}
			if err := s.takeStock(tx, o.UserID, it.Product, it.Qty); err != nil {
				return err
			}
		}
		ord := &Order{UserID: o.UserID, CheckoutKey: f.Key, Delivery: f.Delivery, Payment: f.Payment,
			GoodsCents: t.Goods, ShippingCents: t.Shipping, TotalCents: t.Total, PlacedAt: now,
			ShipAt: now.Add(toShip), WarehouseAt: now.Add(toWarehouse), ArriveAt: now.Add(toArrive),
			PickupCode: pickupCode(), Delayed: f.Outcome == OutcomeDelayed, Damaged: f.Outcome == OutcomeDamaged, CreatedAt: s.now()}
		if ord.Delayed {
			ord.ArriveAt = ord.ArriveAt.Add(delay)
		}
		if o.AssistedBy != 0 {
			ord.AssistedByID = &o.AssistedBy
		}
		if f.Delivery == DeliveryPickup {
			ord.CentreID = &f.CentreID
		} else {
			ord.Address = f.Address
		}
		if f.Payment == PaymentWallet {
			res := tx.Model(&Wallet{}).Where("user_id = ? AND balance_cents >= ?", o.UserID, t.Total).
				Update("balance_cents", gorm.Expr("balance_cents - ?", t.Total))
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 || f.Outcome == OutcomeDeclined {
				declined = errs.New(errs.Conflict, "shop.error.declined").With("Balance", Yuan(w.BalanceCents)).With("Total", Yuan(t.Total))
				return errDeclined
			}
		}
		for _, it := range items {
			ord.Items = append(ord.Items, OrderItem{ProductID: it.ProductID, PriceCents: it.Product.PriceCents, Qty: it.Qty})
		}
		if err := tx.Create(ord).Error; err != nil {
			return err
		}
		if f.Payment == PaymentWallet {
			id := ord.ID
			if err := tx.Create(&LedgerEntry{UserID: o.UserID, AmountCents: -t.Total, Kind: "payment", OrderID: &id, At: now}).Error; err != nil {
				return err
			}
		}
		if err := tx.Where("user_id = ?", o.UserID).Delete(&CartItem{}).Error; err != nil {
			return err
		}
		order = ord
		if err := s.record(tx, o, EventOrderPlaced, ref(ord.ID), now); err != nil {
			return err
		}
		if o.AssistedBy == 0 {
			return nil
		}
		return s.recordNow(tx, Owner{UserID: o.AssistedBy}, EventOrderAssisted, ref(ord.ID))
	})
	if errors.Is(err, errDeclined) {
		// Nothing of the checkout was kept; the refusal itself is remembered, as a real
		// wallet's history would show it.
		rerr := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return s.recordNow(tx, o, EventDeclined, "") })
		if rerr != nil {
			return nil, errs.Wrap(rerr, "record declined payment")
		}
		return nil, declined
	}
	if declined != nil && err == nil {
		return nil, declined // sold out: the stock change and the event stay, nothing else happened
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return s.orderByKey(ctx, o.UserID, f.Key)
	}
	if err != nil {
		return nil, errs.Wrap(err, "checkout")
	}
	return order, nil
}

var errDeclined = errors.New("payment declined")

func (s *Service) orderByKey(ctx context.Context, userID uint, key string) (*Order, error) {
	var ord Order
	res := s.db.WithContext(ctx).Preload("Items").Where("user_id = ? AND checkout_key = ?", userID, key).Limit(1).Find(&ord)
	if res.Error != nil {
		return nil, errs.Wrap(res.Error, "find order")
	}
	if res.RowsAffected == 0 {
		return nil, nil
	}
	return &ord, nil
}

// takeStock lowers the owner's stock of p by qty, atomically and only if enough is left.
func (s *Service) takeStock(tx *gorm.DB, userID uint, p *Product, qty int) error {
	if p.Stock < qty {
		// The catalogue row is the starting stock; a learner's row may only be lower.
		return errs.New(errs.Conflict, "shop.error.sold_out").With("Product", p.NameZh)
	}
	res := tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_id"}, {Name: "product_id"}},
		DoUpdates: clause.Assignments(map[string]any{"stock": gorm.Expr("sandbox_stock.stock - ?", qty)}),
		Where:     clause.Where{Exprs: []clause.Expression{gorm.Expr("sandbox_stock.stock >= ?", qty)}},
	}).Create(&stockRow{UserID: userID, ProductID: p.ID, Stock: p.Stock - qty})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return errs.New(errs.Conflict, "shop.error.sold_out").With("Product", p.NameZh)
	}
	return nil
}

func (s *Service) setStock(tx *gorm.DB, userID, productID uint, stock int) error {
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_id"}, {Name: "product_id"}},
		DoUpdates: clause.Assignments(map[string]any{"stock": stock}),
	}).Create(&stockRow{UserID: userID, ProductID: productID, Stock: stock}).Error
}

type stockRow struct {
	UserID    uint `gorm:"primaryKey;autoIncrement:false"`
	ProductID uint `gorm:"primaryKey;autoIncrement:false"`
	Stock     int
}

func (stockRow) TableName() string { return "sandbox_stock" }

func pickupCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1000000))
	return fmt.Sprintf("%06d", n.Int64())
}

// Yuan formats cents as money: "¥138.00".
func Yuan(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s¥%d.%02d", sign, cents/100, cents%100)
}

// validKey reports whether an idempotency key has the shape the pages make (16 to 64
// letters, digits, - and _), so nothing else reaches a query.
func validKey(k string) bool {
	if len(k) < 16 || len(k) > 64 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

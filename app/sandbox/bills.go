package sandbox

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"cunlu/app/errs"
)

// Bill kinds a centre pays for villagers.
const (
	BillElectricity = "electricity"
	BillWater       = "water"
	BillPhone       = "phone"
)

// BillKinds lists the bill kinds in the order the page shows them.
var BillKinds = []string{BillElectricity, BillWater, BillPhone}

// TopUps are the phone top-up amounts offered, in cents.
var TopUps = []int64{1000, 2000, 5000, 10000, 20000}

// BillPayment is a paid bill with its receipt.
type BillPayment struct {
	ID          uint
	UserID      uint
	Kind        string
	Account     string
	Holder      string
	AmountCents int64
	Receipt     string
	PaidAt      time.Time
}

func (BillPayment) TableName() string { return "bill_payments" }

// luhnOK reports whether a string of digits ends in a valid Luhn check digit, as utility
// account numbers do, so a mistyped digit is caught before money moves.
func luhnOK(s string) bool {
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// ValidAccount reports whether an account number has the shape of its kind: electricity
// 10 digits starting with 1, water 8 digits starting with 2, both with a check digit; a
// phone number is a mainland mobile number.
func ValidAccount(kind, account string) bool {
	switch kind {
	case BillElectricity:
		return len(account) == 10 && account[0] == '1' && luhnOK(account)
	case BillWater:
		return len(account) == 8 && account[0] == '2' && luhnOK(account)
	case BillPhone:
		return len(account) == 11 && account[0] == '1' && account[1] >= '3' && allDigits(account)
	}
	return false
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// Bill is what the utility says about an account: whose it is (masked) and what is due.
type Bill struct {
	Kind     string
	Account  string
	Holder   string
	DueCents int64
}

var holders = []string{"张*英", "李*华", "王*兰", "刘*明", "陈*芳", "杨*军", "赵*珍", "黄*福"}

// LookUpBill answers like the utility's system, deterministically per account number.
func LookUpBill(kind, account string) (*Bill, error) {
	account = strings.TrimSpace(account)
	if !slices.Contains(BillKinds, kind) {
		return nil, errs.Field("kind", "error.bad_request")
	}
	if !ValidAccount(kind, account) {
		return nil, errs.Field("account", "bill.error.account_"+kind)
	}
	h := fnv.New32a()
	h.Write([]byte(kind + account))
	n := h.Sum32()
	b := &Bill{Kind: kind, Account: account, Holder: holders[n%uint32(len(holders))]}
	switch kind {
	case BillElectricity:
		b.DueCents = 3000 + int64(n%15000)
	case BillWater:
		b.DueCents = 1500 + int64(n%4500)
	}
	return b, nil
}

// BillForm is a bill payment as typed.
type BillForm struct {
	Kind        string
	Account     string
	Confirm     string // the phone number typed a second time
	AmountCents int64
	PIN         string
}

// PayBill pays a bill or tops up a phone from the wallet, confirmed with the payment PIN.
// A wrong account number is caught before paying (and remembered: noticing it is a
// practice task); the phone number must be typed the same twice.
func (s *Service) PayBill(ctx context.Context, o Owner, f BillForm) (*BillPayment, error) {
	f.Account = strings.ReplaceAll(strings.TrimSpace(f.Account), " ", "")
	if !slices.Contains(BillKinds, f.Kind) {
		return nil, errs.Field("kind", "error.bad_request")
	}
	bill, err := LookUpBill(f.Kind, f.Account)
	if err != nil {
		if rerr := s.recordEvent(ctx, o, EventAccountNo, f.Kind); rerr != nil {
			return nil, rerr
		}
		return nil, err
	}
	switch f.Kind {
	case BillPhone:
		if strings.ReplaceAll(strings.TrimSpace(f.Confirm), " ", "") != f.Account {
			return nil, errs.Field("confirm", "bill.error.confirm")
		}
		if !slices.Contains(TopUps, f.AmountCents) {
			return nil, errs.Field("amount", "bill.error.amount")
		}
	default:
		if f.AmountCents < 100 || f.AmountCents > 100000 {
			return nil, errs.Field("amount", "bill.error.amount")
		}
	}
	w, err := s.Wallet(ctx, o)
	if err != nil {
		return nil, err
	}
	if !w.HasPIN() {
		return nil, errs.Field("pin", "shop.error.no_pin")
	}
	if err := s.checkPIN(ctx, w, f.PIN); err != nil {
		return nil, err
	}
	var p *BillPayment
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w, err := s.lockWallet(tx, o.UserID)
		if err != nil {
			return err
		}
		now := w.SimNow(s.now())
		if err := s.debit(tx, o.UserID, f.AmountCents, "bill", now); err != nil {
			return err
		}
		p = &BillPayment{UserID: o.UserID, Kind: f.Kind, Account: f.Account, Holder: bill.Holder, AmountCents: f.AmountCents, PaidAt: now}
		if err := tx.Create(p).Error; err != nil {
			return err
		}
		p.Receipt = fmt.Sprintf("JF%s%06d", now.Format("060102"), p.ID)
		if err := tx.Model(p).Update("receipt", p.Receipt).Error; err != nil {
			return err
		}
		return s.record(tx, o, EventBillPaid, ref(p.ID), now)
	})
	if err != nil {
		return nil, errs.Wrap(err, "pay bill")
	}
	return p, nil
}

// debit takes money from the wallet inside tx, refusing when the balance is short.
func (s *Service) debit(tx *gorm.DB, userID uint, cents int64, kind string, at time.Time) error {
	res := tx.Model(&Wallet{}).Where("user_id = ? AND balance_cents >= ?", userID, cents).Update("balance_cents", gorm.Expr("balance_cents - ?", cents))
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return errs.New(errs.Conflict, "bill.error.balance")
	}
	return tx.Create(&LedgerEntry{UserID: userID, AmountCents: -cents, Kind: kind, At: at}).Error
}

// credit puts money into the wallet inside tx.
func (s *Service) credit(tx *gorm.DB, userID uint, cents int64, kind string, at time.Time) error {
	if err := tx.Model(&Wallet{}).Where("user_id = ?", userID).Update("balance_cents", gorm.Expr("balance_cents + ?", cents)).Error; err != nil {
		return err
	}
	return tx.Create(&LedgerEntry{UserID: userID, AmountCents: cents, Kind: kind, At: at}).Error
}

func (s *Service) recordEvent(ctx context.Context, o Owner, kind, ref string) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w, err := s.wallet(tx, o.UserID)
		if err != nil {
			return err
		}
		return s.record(tx, o, kind, ref, w.SimNow(s.now()))
	})
	return errs.Wrap(err, "record event")
}

// Bills lists the owner's paid bills, newest first.
func (s *Service) Bills(ctx context.Context, o Owner) ([]BillPayment, error) {
	var out []BillPayment
	err := s.db.WithContext(ctx).Where("user_id = ?", o.UserID).Order("id DESC").Find(&out).Error
	return out, errs.Wrap(err, "list bills")
}

// BillPayment returns one of the owner's bill payments (for its receipt).
func (s *Service) BillPayment(ctx context.Context, o Owner, id uint) (*BillPayment, error) {
	var p BillPayment
	err := s.db.WithContext(ctx).Where("id = ? AND user_id = ?", id, o.UserID).Take(&p).Error
	return &p, errs.Wrap(notFound(err), "find bill")
}

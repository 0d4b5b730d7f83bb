package sandbox

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cunlu/app/errs"
)

// Owner is whose sandbox an action works in: a learner, or a villager being helped by a
// partner in an assisted session (AssistedBy is then the partner).
type Owner struct {
	UserID     uint
	CentreID   uint
	AssistedBy uint
}

// Wallet is a sandbox's pretend money, payment PIN and simulated clock.
type Wallet struct {
	UserID         uint `gorm:"primaryKey;autoIncrement:false"`
	BalanceCents   int64
	PINHash        string     `gorm:"column:pin_hash"`
	PINFailures    int        `gorm:"column:pin_failures"`
	PINLockedUntil *time.Time `gorm:"column:pin_locked_until"`
	ClockOffset    int64      // seconds ahead of the real clock
	CreatedAt      time.Time
}

func (Wallet) TableName() string { return "sandbox_wallets" }

// HasPIN reports whether a payment PIN is set.
func (w *Wallet) HasPIN() bool { return w.PINHash != "" }

// LedgerEntry is one movement of pretend money. A wallet's balance is always
// StartBalance plus the sum of its entries.
type LedgerEntry struct {
	ID          uint
	UserID      uint
	AmountCents int64
	Kind        string // payment, refund
	OrderID     *uint
	At          time.Time
}

func (LedgerEntry) TableName() string { return "sandbox_ledger" }

const (
	pinMaxFailures = 3
	pinLockFor     = 15 * time.Minute
)

// wallet returns the owner's wallet inside tx, creating it with the starting balance on
// first use.
func (s *Service) wallet(tx *gorm.DB, userID uint) (*Wallet, error) {
	var w Wallet
	res := tx.Where("user_id = ?", userID).Limit(1).Find(&w)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 1 {
		return &w, nil
	}
	w = Wallet{UserID: userID, BalanceCents: StartBalance, CreatedAt: s.now()}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&w).Error; err != nil {
		return nil, err
	}
	if err := tx.Where("user_id = ?", userID).Take(&w).Error; err != nil {
		return nil, err
	}
	return &w, nil
}

// lockWallet takes the wallet row for the rest of tx. On PostgreSQL this is SELECT … FOR
// UPDATE, so a learner's concurrent checkouts run one after the other; SQLite's immediate
// transactions already run one writer at a time.
func (s *Service) lockWallet(tx *gorm.DB, userID uint) (*Wallet, error) {
	if _, err := s.wallet(tx, userID); err != nil {
		return nil, err
	}
	var w Wallet
	q := tx
	if tx.Dialector.Name() == "postgres" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return &w, q.Where("user_id = ?", userID).Take(&w).Error
}

// Wallet returns the owner's wallet (created on first use).
func (s *Service) Wallet(ctx context.Context, o Owner) (*Wallet, error) {
	var w *Wallet
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.settle(tx, o.UserID); err != nil {
			return err
		}
		var err error
		w, err = s.wallet(tx, o.UserID)
		return err
	})
	return w, errs.Wrap(err, "load wallet")
}

// Ledger lists the wallet's movements, newest first, changing nothing.
func (s *Service) Ledger(ctx context.Context, o Owner) ([]LedgerEntry, error) {
	var out []LedgerEntry
	err := s.db.WithContext(ctx).Where("user_id = ?", o.UserID).Order("id DESC").Limit(100).Find(&out).Error
	return out, errs.Wrap(err, "load ledger")
}

// ReadLedger is Ledger for the learner who opens the wallet to read it: once there are
// movements, and while a task that listens for it is open (the wallet lesson's), reading them
// is an act that is recorded, as opening the statement is. Otherwise it changes nothing.
func (s *Service) ReadLedger(ctx context.Context, o Owner) ([]LedgerEntry, error) {
	var out []LedgerEntry
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("user_id = ?", o.UserID).Order("id DESC").Limit(100).Find(&out).Error; err != nil || len(out) == 0 {
			return err
		}
		if listened, err := s.listened(tx, o.UserID, EventLedger); err != nil || !listened {
			return err
		}
		return s.recordNow(tx, o, EventLedger, "")
	})
	return out, errs.Wrap(err, "load ledger")
}

// SimNow is the owner's simulated time.
func (w *Wallet) SimNow(real time.Time) time.Time {
	return real.Add(time.Duration(w.ClockOffset) * time.Second)
}

// SetPIN sets the payment PIN, or changes it when one is set (then the current PIN is needed).
func (s *Service) SetPIN(ctx context.Context, o Owner, current, pin string, check func(string) error) error {
	if err := check(pin); err != nil {
		return err
	}
	w, err := s.Wallet(ctx, o)
	if err != nil {
		return err
	}
	if w.HasPIN() {
		if err := s.checkPIN(ctx, w, current); err != nil {
			return err
		}
	}
	h, err := s.secrets.HashPIN(pin)
	if err != nil {
		return errs.Wrap(err, "hash PIN")
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Model(&Wallet{}).Where("user_id = ?", o.UserID).
			Updates(map[string]any{"pin_hash": h, "pin_failures": 0, "pin_locked_until": nil}).Error
		if err != nil {
			return err
		}
		changed := ""
		if w.HasPIN() {
			changed = "changed"
		}
		return s.record(tx, o, EventPINSet, changed, w.SimNow(s.now()))
	})
	return errs.Wrap(err, "set PIN")
}

// checkPIN verifies a payment PIN like a real wallet: three wrong PINs lock payment for 15
// minutes.
func (s *Service) checkPIN(ctx context.Context, w *Wallet, pin string) error {
	now := s.now()
	if w.PINLockedUntil != nil && now.Before(*w.PINLockedUntil) {
		return errs.New(errs.TooMany, "shop.error.pin_locked").With("Minutes", int(w.PINLockedUntil.Sub(now).Minutes())+1)
	}
	if s.secrets.VerifyPIN(w.PINHash, pin) {
		if w.PINFailures > 0 {
			return errs.Wrap(s.db.WithContext(ctx).Model(&Wallet{}).Where("user_id = ?", w.UserID).Update("pin_failures", 0).Error, "reset PIN failures")
		}
		return nil
	}
	// Count the failure atomically: two wrong PINs sent at once must both count.
	var failures int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&Wallet{}).Where("user_id = ?", w.UserID).Update("pin_failures", gorm.Expr("pin_failures + 1")).Error; err != nil {
			return err
		}
		if err := tx.Model(&Wallet{}).Where("user_id = ?", w.UserID).Select("pin_failures").Scan(&failures).Error; err != nil {
			return err
		}
		if failures >= pinMaxFailures {
			if err := tx.Model(&Wallet{}).Where("user_id = ?", w.UserID).
				Updates(map[string]any{"pin_failures": 0, "pin_locked_until": now.Add(pinLockFor)}).Error; err != nil {
				return err
			}
		}
		return s.record(tx, Owner{UserID: w.UserID}, EventPINWrong, "", w.SimNow(now))
	})
	if err != nil {
		return errs.Wrap(err, "record wrong PIN")
	}
	if failures >= pinMaxFailures {
		return errs.New(errs.TooMany, "shop.error.pin_locked").With("Minutes", int(pinLockFor.Minutes()))
	}
	return errs.Field("pin", "shop.error.pin_wrong").With("Left", pinMaxFailures-failures)
}

var errNotFound = errs.New(errs.NotFound, "error.not_found")

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return errNotFound
	}
	return err
}

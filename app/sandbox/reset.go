package sandbox

import (
	"context"

	"gorm.io/gorm"

	"cunlu/app/errs"
)

// Reset restores the owner's sandbox to its starting state: ¥2,000, an empty cart, no
// orders, shop, bills, tickets or messages, the catalogue's stock, no PIN, the real clock.
// Its one event is the reset itself (the practice-shop lesson's task listens to it).
// Practice tasks already done stay done, and the assist log (real help) is not touched.
func (s *Service) Reset(ctx context.Context, o Owner) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Children before parents: messages and sales before listings, listings before photos.
		for _, m := range []any{&CartItem{}, &stockRow{}, &LearnerReview{}, &Aftersale{}, &LedgerEntry{}, &Event{},
			&SellMessage{}, &SellOrder{}, &Listing{}, &Photo{}, &SellShop{}, &BillPayment{}, &Ticket{}, &ScamMessage{}} {
			if err := tx.Where("user_id = ?", o.UserID).Delete(m).Error; err != nil {
				return err
			}
		}
		if err := tx.Where("order_id IN (?)", tx.Model(&Order{}).Select("id").Where("user_id = ?", o.UserID)).Delete(&OrderItem{}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", o.UserID).Delete(&Order{}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", o.UserID).Delete(&Wallet{}).Error; err != nil {
			return err
		}
		return s.record(tx, o, EventReset, "", s.now())
	})
	return errs.Wrap(err, "reset sandbox")
}

// Owns reports whether order id is in the owner's sandbox (for handlers that only need a check).
func (s *Service) Owns(ctx context.Context, o Owner, orderID uint) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Order{}).Where("id = ? AND user_id = ?", orderID, o.UserID).Count(&n).Error
	return n == 1, errs.Wrap(err, "check order")
}

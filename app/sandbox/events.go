package sandbox

import (
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// Event is something that happened in a sandbox. Every operation records one in its own
// transaction, and the practice tasks that listen to its kind are checked against it there
// (see Checkers), so no task needs a learner's whole history.
type Event struct {
	ID     uint
	UserID uint
	Kind   string
	Ref    string    // what it happened to: an order, bill, ticket … id, or a scenario id
	At     time.Time // on the owner's simulated clock
	// CreatedAt is the real time it was recorded, which lessons' opening times compare
	// with (the simulated clock runs ahead when the learner fast-forwards). NULL on events
	// recorded before it was kept.
	CreatedAt time.Time
}

func (Event) TableName() string { return "sandbox_events" }

// Event kinds. The stored values of the older ones are kept as they were.
const (
	EventOrderPlaced     = "order_placed"     // Ref: the order
	EventOrderAssisted   = "order_assisted"   // the partner's event for an order placed in a villager's sandbox; Ref: the order
	EventDeclined        = "payment_declined" // the wallet refused a checkout
	EventSoldOut         = "sold_out"         // Ref: the product's SKU
	EventPINWrong        = "pin_wrong"
	EventPINSet          = "pin_set"       // Ref: "changed" when it replaced a PIN, else ""
	EventLedger          = "ledger_viewed" // looked at the wallet's movements, when there were some
	EventReset           = "sandbox_reset" // started the practice shop over
	EventSaleCame        = "sale_placed"   // a simulated buyer ordered from the learner's shop; Ref: the sale
	EventCompared        = "compared"      // a product added to the cart from the compare-sellers page; Ref: the product
	EventTracked         = "tracked"       // the clock fast-forwarded to an order's next step; Ref: the order
	EventPickedUp        = "picked_up"
	EventReturnRequested = "return_requested"
	EventRefunded        = "refunded"       // a return's refund reached the wallet; Ref: the order
	EventReviewed        = "review_written" // Ref: the review
	EventShopOpened      = "shop_opened"    // opened or renamed
	EventListingSaved    = "listing_saved"  // Ref: the listing
	EventSaleAccepted    = "sale_accepted"  // Ref: the sale
	EventSalePacked      = "sale_packed"
	EventSaleShipped     = "sale_shipped"
	EventReturnHandled   = "return_handled"   // a buyer's return refunded or refused; Ref: the sale
	EventAnswered        = "message_answered" // Ref: the message
	EventStatement       = "statement"        // opened the selling statement after a sale
	EventAccountNo       = "account_rejected" // a bill's account number was caught as wrong; Ref: the bill kind
	EventBillPaid        = "bill_paid"        // Ref: the payment
	EventTicketBooked    = "ticket_booked"    // Ref: the ticket
	EventTicketRefunded  = "ticket_refunded"
	EventHelpLogged      = "help_logged" // a partner's assist log entry; Ref: the entry
)

// EventScam is the kind recorded when a learner acts on a scam scenario (Ref: the scenario):
// "scam_reported", "scam_blocked", "scam_fell" or "scam_kept".
func EventScam(action string) string { return "scam_" + action }

// Progress is what the sandbox needs of the learners' progress, inside the transaction of
// the operation that records an event: the practice tasks a learner still has to do, and
// recording one as done. (The progress service implements it; it knows the courses.)
//
// OpenTasks maps each open task to the real time the learner first opened the lesson that
// names it: a task is open only once its lesson is opened, and only what the learner did
// in the sandbox from then on counts for it, so each lesson's task is a fresh act.
type Progress interface {
	OpenTasks(tx *gorm.DB, userID uint) (map[string]time.Time, error)
	CompleteTaskTx(tx *gorm.DB, userID uint, taskID, evidence string) error
}

// record stores what happened in o's sandbox and checks, in the same transaction, o's open
// practice tasks that listen to its kind, recording those it completes. An error undoes
// the whole operation: there is never a task without the change that did it, or a change
// whose task was lost.
func (s *Service) record(tx *gorm.DB, o Owner, kind, ref string, at time.Time) error {
	ev := &Event{UserID: o.UserID, Kind: kind, Ref: ref, At: at, CreatedAt: s.now()}
	if err := tx.Create(ev).Error; err != nil {
		return err
	}
	tasks := listeners[kind]
	if len(tasks) == 0 || s.progress == nil {
		return nil
	}
	open, err := s.progress.OpenTasks(tx, o.UserID)
	if err != nil {
		return err
	}
	c := &Check{Event: ev, CentreID: o.CentreID, tx: tx, s: s}
	for _, id := range tasks {
		since, ok := open[id]
		if !ok || ev.CreatedAt.Before(since) {
			continue
		}
		c.Since = since
		evidence, done, err := Checkers[id].Check(c)
		if err != nil {
			return fmt.Errorf("check %s: %w", id, err)
		}
		if done {
			if err := s.progress.CompleteTaskTx(tx, o.UserID, id, evidence); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordNow records an event at the owner's simulated time now.
// listened reports whether an open task of the learner listens for events of kind: a page
// that is only read records its reading only then, so opening it otherwise writes nothing.
func (s *Service) listened(tx *gorm.DB, userID uint, kind string) (bool, error) {
	if len(listeners[kind]) == 0 || s.progress == nil {
		return false, nil
	}
	open, err := s.progress.OpenTasks(tx, userID)
	if err != nil {
		return false, err
	}
	for _, id := range listeners[kind] {
		if _, ok := open[id]; ok {
			return true, nil
		}
	}
	return false, nil
}

func (s *Service) recordNow(tx *gorm.DB, o Owner, kind, ref string) error {
	now, err := s.clock(tx, o.UserID)
	if err != nil {
		return err
	}
	return s.record(tx, o, kind, ref, now)
}

// clock is a sandbox's simulated time now, read in tx without creating its wallet.
func (s *Service) clock(tx *gorm.DB, userID uint) (time.Time, error) {
	var offset []int64
	if err := tx.Model(&Wallet{}).Where("user_id = ?", userID).Pluck("clock_offset", &offset).Error; err != nil {
		return time.Time{}, err
	}
	w := Wallet{}
	if len(offset) == 1 {
		w.ClockOffset = offset[0]
	}
	return w.SimNow(s.now()), nil
}

// ref is an id as an event's Ref.
func ref(id uint) string { return strconv.FormatUint(uint64(id), 10) }

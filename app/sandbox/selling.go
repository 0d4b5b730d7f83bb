package sandbox

import (
	"context"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cunlu/app/errs"
	"cunlu/app/textcheck"
)

// FeePercent is the practice shop's platform fee on each sale (the Selling online course
// uses the same 5 % in its worked examples).
const FeePercent = 5

// SellShop is a learner's practice shop for selling.
type SellShop struct {
	UserID      uint `gorm:"primaryKey;autoIncrement:false"`
	Name        string
	Description string
	CentreID    uint
	Waits       int
	CreatedAt   time.Time
}

func (SellShop) TableName() string { return "sell_shops" }

// Listing is a product a learner offers in their practice shop. Its text is the learner's
// own: pages always show it escaped.
type Listing struct {
	ID            uint
	UserID        uint
	Title         string
	Description   string
	PriceCents    int64
	ShippingCents int64
	CostCents     int64 // what the goods and packaging cost the seller per unit (0: not said), for working out a price
	PostageCents  int64 // what the courier charges the seller per parcel (0: not said)
	Stock         int
	PhotoID       *uint
	Paused        bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (Listing) TableName() string { return "sell_listings" }

var digits = regexp.MustCompile(`[0-9０-９]`)

// Quality scores a listing the way buyers react to it: a photo counts most, then a clear
// title that says how much (a weight or a count), a real description, and a fair price.
// Simulated buyers come more often to better listings.
func (l *Listing) Quality() (score int, tips []string) {
	if l.PhotoID != nil {
		score += 2
	} else {
		tips = append(tips, "photo")
	}
	if n := utf8.RuneCountInString(l.Title); n >= 6 && n <= 60 && digits.MatchString(l.Title) {
		score++
	} else {
		tips = append(tips, "title")
	}
	if utf8.RuneCountInString(l.Description) >= 20 {
		score++
	} else {
		tips = append(tips, "description")
	}
	if l.PriceCents >= 100 && l.ShippingCents*2 <= l.PriceCents+1000 {
		score++
	} else {
		tips = append(tips, "price")
	}
	return score, tips
}

// SellOrder is an order a simulated buyer placed on a learner's listing.
type SellOrder struct {
	ID            uint
	UserID        uint
	ListingID     uint
	Listing       *Listing
	Buyer         string // a key of the buyers list, shown translated
	BuyerCity     string
	Qty           int
	PriceCents    int64
	ShippingCents int64
	FeeCents      int64
	Status        string
	TrackingNo    string
	PlacedAt      time.Time
	ShippedAt     *time.Time
	DeliveredAt   *time.Time
	ReturnReason  string
	ReturnAnswer  string
	CreatedAt     time.Time
}

func (SellOrder) TableName() string { return "sell_orders" }

// Gross is what the buyer paid.
func (o *SellOrder) Gross() int64 { return o.PriceCents*int64(o.Qty) + o.ShippingCents }

// Covers reports whether the listing's price, with the shipping the buyer pays, still
// covers the goods, the courier and the platform's fee on what the buyer pays (a sale of
// one): what the pricing lesson teaches. False when the cost or the postage is not said.
func (l *Listing) Covers() bool {
	if l.CostCents <= 0 || l.PostageCents <= 0 {
		return false
	}
	gross := l.PriceCents + l.ShippingCents
	return gross-gross*FeePercent/100 >= l.CostCents+l.PostageCents
}

// Net is what the seller receives after the platform fee.
func (o *SellOrder) Net() int64 { return o.Gross() - o.FeeCents }

// Sell order statuses, in the order they happen.
const (
	SellNew       = "new"
	SellAccepted  = "accepted"
	SellPacked    = "packed"
	SellShipped   = "shipped"
	SellDelivered = "delivered"
	SellReturn    = "return_requested"
	SellRefunded  = "refunded"
	SellCompleted = "completed"
)

// SellMessage is a buyer's question and the learner's answer.
type SellMessage struct {
	ID        uint
	UserID    uint
	OrderID   *uint
	Question  string // a key of the questions list, shown translated
	Buyer     string
	Reply     string
	AskedAt   time.Time
	RepliedAt *time.Time
}

func (SellMessage) TableName() string { return "sell_messages" }

// Buyers, their cities and their questions are keys shown through the catalogs.
var (
	buyers    = []string{"zhang", "wang", "li", "zhao", "chen", "liu", "huang", "zhou"}
	cities    = []string{"shizhou", "qingjiang", "nanping", "yunzhou", "county"}
	questions = []string{"when", "price", "fresh", "size"}
)

// ShopForm is what a learner types to open a shop.
type ShopForm struct {
	Name        string
	Description string
	CentreID    uint
}

// OpenShop opens (or renames) the owner's practice shop, shipping from a service centre.
func (s *Service) OpenShop(ctx context.Context, o Owner, f ShopForm, centreExists CentreExists) error {
	name, err := cleanText(textcheck.Name, "name", f.Name, 2, 30)
	if err != nil {
		return err
	}
	desc, err := cleanText(textcheck.Text, "description", f.Description, 0, 500)
	if err != nil {
		return err
	}
	ok, err := centreExists(ctx, f.CentreID)
	if err != nil {
		return err
	}
	if !ok {
		return errs.Field("centre", "shop.error.centre")
	}
	shop := SellShop{UserID: o.UserID, Name: name, Description: desc, CentreID: f.CentreID, CreatedAt: s.now()}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "user_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"name", "description", "centre_id"}),
		}).Create(&shop).Error
		if err != nil {
			return err
		}
		return s.recordNow(tx, o, EventShopOpened, "")
	})
	return errs.Wrap(err, "open shop")
}

// cleanText trims typed text and checks it with check (textcheck.Name for a name or a
// title, textcheck.Text for free text) and its length.
func cleanText(check func(field, v string) error, field, v string, minRunes, maxRunes int) (string, error) {
	v = strings.TrimSpace(v)
	if err := check(field, v); err != nil {
		return "", err
	}
	n := utf8.RuneCountInString(v)
	if n < minRunes {
		if minRunes <= 1 {
			return "", errs.Field(field, "error.required")
		}
		return "", errs.Field(field, "sell.error.too_short").With("Min", minRunes)
	}
	if n > maxRunes {
		return "", errs.Field(field, "error.too_long").With("Max", maxRunes)
	}
	return v, nil
}

// Shop returns the owner's practice shop, or nil when they have not opened one.
func (s *Service) Shop(ctx context.Context, o Owner) (*SellShop, error) {
	var sh SellShop
	res := s.db.WithContext(ctx).Where("user_id = ?", o.UserID).Limit(1).Find(&sh)
	if res.Error != nil {
		return nil, errs.Wrap(res.Error, "find shop")
	}
	if res.RowsAffected == 0 {
		return nil, nil
	}
	return &sh, nil
}

// ListingForm is what a learner types to list or edit a product.
type ListingForm struct {
	Title         string
	Description   string
	PriceCents    int64
	ShippingCents int64
	CostCents     int64 // optional: what the goods and packaging cost the seller per unit
	PostageCents  int64 // optional: what the courier charges the seller per parcel
	Stock         int
	Photo         io.ReadSeeker // the uploaded photo file, or nil to keep the current one
}

func checkListing(f ListingForm) (ListingForm, error) {
	var err error
	if f.Title, err = cleanText(textcheck.Name, "title", f.Title, 2, 60); err != nil {
		return f, err
	}
	if f.Description, err = cleanText(textcheck.Text, "description", f.Description, 0, 1000); err != nil {
		return f, err
	}
	switch {
	case f.PriceCents < 1 || f.PriceCents > 10_000_00:
		return f, errs.Field("price", "sell.error.price")
	case f.ShippingCents < 0 || f.ShippingCents > 500_00:
		return f, errs.Field("shipping", "sell.error.shipping")
	case f.CostCents < 0 || f.CostCents > 10_000_00:
		return f, errs.Field("cost", "sell.error.cost")
	case f.PostageCents < 0 || f.PostageCents > 500_00:
		return f, errs.Field("postage", "sell.error.postage")
	case f.Stock < 0 || f.Stock > 9999:
		return f, errs.Field("stock", "sell.error.stock")
	}
	return f, nil
}

// SaveListing creates a listing (id 0) or edits one of the owner's listings. The typed
// fields are checked first; only then is a photo read and re-encoded (preparePhoto), and it
// is stored in the same transaction as the listing, replacing the listing's old photo: a
// refused listing leaves no photo behind.
func (s *Service) SaveListing(ctx context.Context, o Owner, id uint, f ListingForm) (*Listing, error) {
	f, err := checkListing(f)
	if err != nil {
		return nil, err
	}
	var photo *Photo
	if f.Photo != nil {
		data, w, h, err := s.preparePhoto(ctx, f.Photo)
		if err != nil {
			return nil, err
		}
		photo = &Photo{UserID: o.UserID, Data: data, Width: w, Height: h, CreatedAt: s.now()}
	}
	var out Listing
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&SellShop{}).Where("user_id = ?", o.UserID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return errs.New(errs.Conflict, "sell.error.no_shop")
		}
		now := s.now()
		var old *uint
		if id == 0 {
			out = Listing{UserID: o.UserID, CreatedAt: now}
		} else {
			if err := tx.Where("id = ? AND user_id = ?", id, o.UserID).Take(&out).Error; err != nil {
				return notFound(err)
			}
			old = out.PhotoID
		}
		if photo != nil {
			if err := tx.Create(photo).Error; err != nil {
				return err
			}
			out.PhotoID = &photo.ID
		}
		out.Title, out.Description, out.PriceCents, out.ShippingCents, out.Stock, out.UpdatedAt = f.Title, f.Description, f.PriceCents, f.ShippingCents, f.Stock, now
		out.CostCents, out.PostageCents = f.CostCents, f.PostageCents
		if err := tx.Save(&out).Error; err != nil {
			return err
		}
		if photo != nil && old != nil {
			if err := tx.Where("id = ? AND user_id = ?", *old, o.UserID).Delete(&Photo{}).Error; err != nil {
				return err
			}
		}
		return s.recordNow(tx, o, EventListingSaved, ref(out.ID))
	})
	if err != nil {
		return nil, errs.Wrap(err, "save listing")
	}
	return &out, nil
}

// SetPaused pauses or resumes one of the owner's listings.
func (s *Service) SetPaused(ctx context.Context, o Owner, id uint, paused bool) error {
	res := s.db.WithContext(ctx).Model(&Listing{}).Where("id = ? AND user_id = ?", id, o.UserID).Updates(map[string]any{"paused": paused, "updated_at": s.now()})
	if res.Error != nil {
		return errs.Wrap(res.Error, "pause listing")
	}
	if res.RowsAffected == 0 {
		return errNotFound
	}
	return nil
}

// Listings lists the owner's listings, newest first.
func (s *Service) Listings(ctx context.Context, o Owner) ([]Listing, error) {
	var out []Listing
	err := s.db.WithContext(ctx).Where("user_id = ?", o.UserID).Order("id DESC").Find(&out).Error
	return out, errs.Wrap(err, "list listings")
}

// Listing returns one of the owner's listings.
func (s *Service) Listing(ctx context.Context, o Owner, id uint) (*Listing, error) {
	var l Listing
	err := s.db.WithContext(ctx).Where("id = ? AND user_id = ?", id, o.UserID).Take(&l).Error
	return &l, errs.Wrap(notFound(err), "find listing")
}

// Simulated buyers: each wait moves the owner's clock on six hours.
const waitStep = 6 * time.Hour

// WaitForBuyers lets six simulated hours pass in the owner's shop: buyers order from good
// listings (more from better ones), ask questions, receive shipped parcels, sometimes ask
// to return one, and delivered orders complete, paying the seller's wallet.
func (s *Service) WaitForBuyers(ctx context.Context, o Owner) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var shop SellShop
		if err := tx.Where("user_id = ?", o.UserID).Take(&shop).Error; err != nil {
			return errs.New(errs.Conflict, "sell.error.no_shop")
		}
		if _, err := s.lockWallet(tx, o.UserID); err != nil {
			return err
		}
		if err := tx.Model(&Wallet{}).Where("user_id = ?", o.UserID).Update("clock_offset", gorm.Expr("clock_offset + ?", int64(waitStep.Seconds()))).Error; err != nil {
			return err
		}
		w, err := s.wallet(tx, o.UserID)
		if err != nil {
			return err
		}
		now := w.SimNow(s.now())
		if err := s.settle(tx, o.UserID); err != nil {
			return err
		}
		step := shop.Waits
		if err := tx.Model(&SellShop{}).Where("user_id = ?", o.UserID).Update("waits", step+1).Error; err != nil {
			return err
		}
		if err := s.deliverAndComplete(tx, o.UserID, now); err != nil {
			return err
		}
		var listings []Listing
		if err := tx.Where("user_id = ? AND NOT paused AND stock > 0", o.UserID).Order("id").Find(&listings).Error; err != nil {
			return err
		}
		for i, l := range listings {
			score, _ := l.Quality()
			n := 0
			switch {
			case score >= 4:
				n = 2
			case score >= 2:
				n = 1
			}
			for k := 0; k < n && l.Stock > 0; k++ {
				seq := step*7 + i*3 + k
				ord := SellOrder{UserID: o.UserID, ListingID: l.ID, Buyer: buyers[seq%len(buyers)], BuyerCity: cities[seq%len(cities)],
					Qty: 1, PriceCents: l.PriceCents, ShippingCents: l.ShippingCents, Status: SellNew, PlacedAt: now, CreatedAt: s.now()}
				ord.FeeCents = ord.Gross() * FeePercent / 100
				if err := tx.Create(&ord).Error; err != nil {
					return err
				}
				if err := s.record(tx, o, EventSaleCame, ref(ord.ID), now); err != nil {
					return err
				}
				l.Stock--
				if err := tx.Model(&Listing{}).Where("id = ?", l.ID).Update("stock", gorm.Expr("stock - 1")).Error; err != nil {
					return err
				}
				if seq%2 == 0 {
					id := ord.ID
					msg := SellMessage{UserID: o.UserID, OrderID: &id, Question: questions[seq%len(questions)], Buyer: ord.Buyer, AskedAt: now}
					if err := tx.Create(&msg).Error; err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	return errs.Wrap(err, "wait for buyers")
}

// deliverAndComplete moves shipped parcels to delivered after half a simulated day, asks
// for a return on every third delivered order (a few squashed kiwis), and completes
// delivered orders after a day, paying the seller.
func (s *Service) deliverAndComplete(tx *gorm.DB, userID uint, now time.Time) error {
	if err := tx.Model(&SellOrder{}).Where("user_id = ? AND status = ? AND shipped_at <= ?", userID, SellShipped, now.Add(-12*time.Hour)).
		Updates(map[string]any{"status": SellDelivered, "delivered_at": now}).Error; err != nil {
		return err
	}
	var delivered []SellOrder
	if err := tx.Where("user_id = ? AND status = ?", userID, SellDelivered).Order("id").Find(&delivered).Error; err != nil {
		return err
	}
	for _, ord := range delivered {
		switch {
		case ord.ReturnAnswer == "" && ord.ID%3 == 2:
			if err := tx.Model(&SellOrder{}).Where("id = ?", ord.ID).Updates(map[string]any{"status": SellReturn, "return_reason": "damaged"}).Error; err != nil {
				return err
			}
		case ord.DeliveredAt != nil && !now.Before(ord.DeliveredAt.Add(24*time.Hour)):
			if err := s.completeSale(tx, &ord, now); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) completeSale(tx *gorm.DB, ord *SellOrder, now time.Time) error {
	res := tx.Model(&SellOrder{}).Where("id = ? AND status IN ?", ord.ID, []string{SellDelivered, SellReturn}).Update("status", SellCompleted)
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	if err := tx.Create(&LedgerEntry{UserID: ord.UserID, AmountCents: ord.Net(), Kind: "sale", At: now}).Error; err != nil {
		return err
	}
	return tx.Model(&Wallet{}).Where("user_id = ?", ord.UserID).Update("balance_cents", gorm.Expr("balance_cents + ?", ord.Net())).Error
}

var trackingPattern = regexp.MustCompile(`^[A-Za-z0-9]{8,20}$`)

// SellOrders lists the owner's sales, newest first.
func (s *Service) SellOrders(ctx context.Context, o Owner) ([]SellOrder, error) {
	var out []SellOrder
	err := s.db.WithContext(ctx).Preload("Listing").Where("user_id = ?", o.UserID).Order("id DESC").Find(&out).Error
	return out, errs.Wrap(err, "list sales")
}

// AdvanceSale moves one of the owner's sales on: accept, pack, ship (with a tracking
// number), or answer a return request ("accept" refunds the buyer, "refuse" keeps the sale).
func (s *Service) AdvanceSale(ctx context.Context, o Owner, id uint, action, tracking string) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w, err := s.lockWallet(tx, o.UserID)
		if err != nil {
			return err
		}
		now := w.SimNow(s.now())
		var ord SellOrder
		if err := tx.Where("id = ? AND user_id = ?", id, o.UserID).Take(&ord).Error; err != nil {
			return notFound(err)
		}
		next := map[string]string{"accept": SellNew, "pack": SellAccepted, "ship": SellPacked, "refund": SellReturn, "refuse": SellReturn}
		if want, ok := next[action]; !ok {
			return errs.Field("action", "error.bad_request")
		} else if ord.Status != want {
			return errs.New(errs.Conflict, "sell.error.wrong_step")
		}
		updates := map[string]any{}
		kind := EventReturnHandled
		switch action {
		case "accept":
			updates["status"], kind = SellAccepted, EventSaleAccepted
		case "pack":
			updates["status"], kind = SellPacked, EventSalePacked
		case "ship":
			tracking = strings.ToUpper(strings.TrimSpace(tracking))
			if !trackingPattern.MatchString(tracking) {
				return errs.Field("tracking", "sell.error.tracking")
			}
			updates["status"], updates["tracking_no"], updates["shipped_at"] = SellShipped, tracking, now
			kind = EventSaleShipped
		case "refund":
			updates["status"], updates["return_answer"] = SellRefunded, "refunded"
			if err := tx.Model(&Listing{}).Where("id = ?", ord.ListingID).Update("stock", gorm.Expr("stock + ?", ord.Qty)).Error; err != nil {
				return err
			}
		case "refuse":
			updates["status"], updates["return_answer"] = SellDelivered, "refused"
		}
		if err := tx.Model(&SellOrder{}).Where("id = ?", ord.ID).Updates(updates).Error; err != nil {
			return err
		}
		return s.record(tx, o, kind, ref(ord.ID), now)
	})
	return errs.Wrap(err, "advance sale")
}

// Messages lists the buyers' questions to the owner, newest first.
func (s *Service) Messages(ctx context.Context, o Owner) ([]SellMessage, error) {
	var out []SellMessage
	err := s.db.WithContext(ctx).Where("user_id = ?", o.UserID).Order("id DESC").Find(&out).Error
	return out, errs.Wrap(err, "list messages")
}

// Reply answers a buyer's question (once).
func (s *Service) Reply(ctx context.Context, o Owner, id uint, text string) error {
	text, err := cleanText(textcheck.Text, "reply", text, 2, 300)
	if err != nil {
		return err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w, err := s.lockWallet(tx, o.UserID)
		if err != nil {
			return err
		}
		now := w.SimNow(s.now())
		res := tx.Model(&SellMessage{}).Where("id = ? AND user_id = ? AND replied_at IS NULL", id, o.UserID).
			Updates(map[string]any{"reply": text, "replied_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			var n int64
			tx.Model(&SellMessage{}).Where("id = ? AND user_id = ?", id, o.UserID).Count(&n)
			if n == 0 {
				return errNotFound
			}
			return errs.New(errs.Conflict, "sell.error.already_replied")
		}
		return s.record(tx, o, EventAnswered, ref(id), now)
	})
	return errs.Wrap(err, "reply")
}

// Statement sums the owner's finished sales: what buyers paid, the fees, the refunds and
// what reached the wallet. Opening it after a sale is a practice task, so it is recorded.
type Statement struct {
	Orders   []SellOrder
	Gross    int64
	Fees     int64
	Refunded int64
	Net      int64
}

// Statement builds the owner's statement.
func (s *Service) Statement(ctx context.Context, o Owner) (*Statement, error) {
	st := &Statement{}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Preload("Listing").Where("user_id = ? AND status IN ?", o.UserID, []string{SellCompleted, SellRefunded}).Order("id").Find(&st.Orders).Error; err != nil {
			return err
		}
		completed := false
		for _, ord := range st.Orders {
			if ord.Status == SellRefunded {
				st.Refunded += ord.Gross()
				continue
			}
			completed = true
			st.Gross += ord.Gross()
			st.Fees += ord.FeeCents
			st.Net += ord.Net()
		}
		if !completed {
			return nil
		}
		w, err := s.wallet(tx, o.UserID)
		if err != nil {
			return err
		}
		return s.record(tx, o, EventStatement, "", w.SimNow(s.now()))
	})
	return st, errs.Wrap(err, "statement")
}

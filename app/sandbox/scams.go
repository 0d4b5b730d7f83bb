package sandbox

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cunlu/app/errs"
)

//go:embed data/scams.json
var scamsJSON []byte

// Scenario is a message or listing that arrives in a learner's sandbox. Most are scams
// with their warning signs; a few are genuine, because not every message is a scam.
type Scenario struct {
	ID        string   `json:"id"`
	Scam      bool     `json:"scam"`
	Task      string   `json:"task"`
	Channel   string   `json:"channel"` // call, sms, chat, listing
	FromZh    string   `json:"from_zh"`
	FromEn    string   `json:"from_en"`
	SubjectZh string   `json:"subject_zh"`
	SubjectEn string   `json:"subject_en"`
	BodyZh    string   `json:"body_zh"`
	BodyEn    string   `json:"body_en"`
	AskZh     string   `json:"ask_zh"`
	AskEn     string   `json:"ask_en"`
	FallZh    string   `json:"fall_zh"`
	FallEn    string   `json:"fall_en"`
	SignsZh   []string `json:"signs_zh"`
	SignsEn   []string `json:"signs_en"`
	// Listing scams also describe the product shown in the shop.
	PriceCents int64  `json:"price_cents"`
	Image      string `json:"image"`
	NameZh     string `json:"name_zh"`
	NameEn     string `json:"name_en"`
	DescZh     string `json:"desc_zh"`
	DescEn     string `json:"desc_en"`
}

// From is who the message says it is from, in lang.
func (sc *Scenario) From(lang string) string { return pick(lang, sc.FromZh, sc.FromEn) }

// Subject is the message's subject line, in lang.
func (sc *Scenario) Subject(lang string) string { return pick(lang, sc.SubjectZh, sc.SubjectEn) }

// Paragraphs is the message body, in lang.
func (sc *Scenario) Paragraphs(lang string) []string {
	return strings.Split(pick(lang, sc.BodyZh, sc.BodyEn), "\n\n")
}

// Ask is what the sender wants done, in lang.
func (sc *Scenario) Ask(lang string) string { return pick(lang, sc.AskZh, sc.AskEn) }

// Fall is what would have happened to someone who did it, in lang.
func (sc *Scenario) Fall(lang string) string { return pick(lang, sc.FallZh, sc.FallEn) }

// Signs are the warning signs, in lang.
func (sc *Scenario) Signs(lang string) []string {
	if lang == "en" && len(sc.SignsEn) > 0 {
		return sc.SignsEn
	}
	return sc.SignsZh
}

// ScamSKU is the catalogue SKU of a listing scenario's product.
func (sc *Scenario) ScamSKU() string { return "scam-" + sc.ID }

// Scenarios are the shipped scenarios, in the order they arrive.
type Scenarios struct {
	List []*Scenario
	byID map[string]*Scenario
}

// LoadScenarios parses the shipped scenarios.
func LoadScenarios() (*Scenarios, error) {
	var list []*Scenario
	if err := json.Unmarshal(scamsJSON, &list); err != nil {
		return nil, fmt.Errorf("scam scenarios: %w", err)
	}
	sc := &Scenarios{List: list, byID: map[string]*Scenario{}}
	for _, s := range list {
		sc.byID[s.ID] = s
	}
	return sc, nil
}

// Get returns a scenario by id, or nil.
func (sc *Scenarios) Get(id string) *Scenario { return sc.byID[id] }

// ReportReasons are the reasons a learner picks when reporting, as on real platforms.
var ReportReasons = []string{"impersonation", "offplatform", "price", "prize_loan", "franchise", "other"}

// rightReason is the reason that fits each scam task best.
var rightReason = map[string]string{
	"scam-report-refund-call": "impersonation",
	"scam-report-offplatform": "offplatform",
	"scam-report-cheap-phone": "price",
	"scam-report-prize":       "prize_loan",
	"scam-report-franchise":   "franchise",
}

// RightReason reports whether reason is the one that fits the scenario.
func (sc *Scenario) RightReason(reason string) bool { return rightReason[sc.Task] == reason }

// ScamMessage is a scenario as it arrived in one learner's sandbox, and what they did.
type ScamMessage struct {
	ID        uint
	UserID    uint
	Scenario  string
	ArrivedAt time.Time
	Action    string // "", reported, blocked, fell, kept
	ActedAt   *time.Time
}

func (ScamMessage) TableName() string { return "scam_messages" }

// Actions a learner can take on a message.
const (
	ActReport = "reported"
	ActBlock  = "blocked"
	ActFall   = "fell"
	ActKeep   = "kept" // a genuine message, recognised as such
)

// Inbox delivers the messages due and lists them, newest first. Three arrive at once;
// one more arrives each time the learner's simulated clock is moved on (fast-forwarding
// an order, or waiting for buyers), so they come "as in real life", over time.
func (s *Service) Inbox(ctx context.Context, o Owner, sc *Scenarios) ([]ScamMessage, error) {
	var out []ScamMessage
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w, err := s.wallet(tx, o.UserID)
		if err != nil {
			return err
		}
		var moves int64
		if err := tx.Model(&Event{}).Where("user_id = ? AND kind = ?", o.UserID, EventTracked).Count(&moves).Error; err != nil {
			return err
		}
		var shop SellShop
		tx.Where("user_id = ?", o.UserID).Limit(1).Find(&shop)
		due := 3 + int(moves) + shop.Waits
		now := w.SimNow(s.now())
		n := 0
		for _, scn := range sc.List {
			if scn.Channel == "listing" {
				continue
			}
			if n++; n > due {
				break
			}
			m := ScamMessage{UserID: o.UserID, Scenario: scn.ID, ArrivedAt: now}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&m).Error; err != nil {
				return err
			}
		}
		return tx.Where("user_id = ?", o.UserID).Order("id DESC").Find(&out).Error
	})
	return out, errs.Wrap(err, "inbox")
}

// ScamMessage returns one of the owner's messages.
func (s *Service) ScamMessage(ctx context.Context, o Owner, id uint) (*ScamMessage, error) {
	var m ScamMessage
	err := s.db.WithContext(ctx).Where("id = ? AND user_id = ?", id, o.UserID).Take(&m).Error
	return &m, errs.Wrap(notFound(err), "find message")
}

// Act records what the learner did with a message: report it (with a reason), block the
// sender, fall for it (nothing is lost: the page shows what would have happened), or keep
// it as genuine. The first decision stands; the learner may still report after falling for it.
func (s *Service) Act(ctx context.Context, o Owner, sc *Scenarios, id uint, action, reason string) (*ScamMessage, error) {
	if action != ActReport && action != ActBlock && action != ActFall && action != ActKeep {
		return nil, errs.Field("action", "error.bad_request")
	}
	if action == ActReport && !slices.Contains(ReportReasons, reason) {
		return nil, errs.Field("reason", "scam.error.reason")
	}
	var m ScamMessage
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w, err := s.wallet(tx, o.UserID)
		if err != nil {
			return err
		}
		if err := tx.Where("id = ? AND user_id = ?", id, o.UserID).Take(&m).Error; err != nil {
			return notFound(err)
		}
		if sc.Get(m.Scenario) == nil {
			return errNotFound
		}
		if m.Action != "" && !(m.Action == ActFall && action == ActReport) {
			return nil // already decided: showing the outcome again is enough
		}
		now := w.SimNow(s.now())
		m.Action, m.ActedAt = action, &now
		if err := tx.Model(&ScamMessage{}).Where("id = ?", m.ID).Updates(map[string]any{"action": action, "acted_at": now}).Error; err != nil {
			return err
		}
		return s.record(tx, o, EventScam(action), m.Scenario, now)
	})
	if err != nil {
		return nil, errs.Wrap(err, "act on message")
	}
	return &m, nil
}

// ActOnListing records an action on a scam listing in the shop (report it, or try to buy
// it), creating the learner's record of that scenario on first use.
func (s *Service) ActOnListing(ctx context.Context, o Owner, sc *Scenarios, productID uint, action, reason string) (*ScamMessage, error) {
	var p Product
	if err := s.db.WithContext(ctx).Where("id = ? AND scam_id <> ''", productID).Take(&p).Error; err != nil {
		return nil, errs.Wrap(notFound(err), "find listing")
	}
	var m ScamMessage
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w, err := s.wallet(tx, o.UserID)
		if err != nil {
			return err
		}
		m = ScamMessage{UserID: o.UserID, Scenario: p.ScamID, ArrivedAt: w.SimNow(s.now())}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&m).Error; err != nil {
			return err
		}
		return tx.Where("user_id = ? AND scenario = ?", o.UserID, p.ScamID).Take(&m).Error
	})
	if err != nil {
		return nil, errs.Wrap(err, "listing scam")
	}
	return s.Act(ctx, o, sc, m.ID, action, reason)
}

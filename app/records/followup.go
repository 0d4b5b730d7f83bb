package records

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cunlu/app/account"
	"cunlu/app/errs"
	"cunlu/app/textcheck"
)

// FollowUp is what came of a learner's training, asked 3 and 6 months after their first
// class (RECORDS.md, "after the training"), filled in by the partner of their centre.
type FollowUp struct {
	UserID       uint `gorm:"primaryKey;autoIncrement:false"`
	Month        int  `gorm:"primaryKey;autoIncrement:false"` // 3 or 6
	ShopOpened   bool
	ShopAddress  string // the online shop's address or name
	SalesBand    string // a monthly sales band: see SalesBands
	FoundWork    bool
	UsesServices bool // still buys, pays or books online
	RecordedByID uint
	RecordedAt   time.Time
}

func (FollowUp) TableName() string { return "training_followups" }

// SalesBands are the monthly sales a follow-up may name, in yuan.
var SalesBands = []string{"none", "lt1000", "1000-5000", "5000-20000", "gt20000"}

// FollowUpForm is a follow-up as the partner typed it.
type FollowUpForm struct {
	UserID       uint
	Month        int
	ShopOpened   bool
	ShopAddress  string
	SalesBand    string
	FoundWork    bool
	UsesServices bool
}

// RecordFollowUp stores (or corrects) a follow-up of one of the partner's learners: a
// villager or partner of their centre who was on a class's roster. A correction replaces
// the answers and is written to the audit log with what it was before.
func (s *Service) RecordFollowUp(ctx context.Context, actor *account.User, f FollowUpForm) error {
	if actor == nil || actor.Role != account.RolePartner || actor.CentreID == nil {
		return errs.New(errs.Forbidden, "error.forbidden")
	}
	if f.Month != 3 && f.Month != 6 {
		return errs.Field("month", "error.required")
	}
	addr := strings.TrimSpace(f.ShopAddress)
	if err := checkText("shop_address", addr, 0, 200); err != nil {
		return err
	}
	if err := textcheck.Text("shop_address", addr); err != nil {
		return err
	}
	if f.ShopOpened && addr == "" {
		return errs.Field("shop_address", "error.shop_address")
	}
	band := f.SalesBand
	if !f.ShopOpened {
		band, addr = "none", ""
	}
	ok := false
	for _, b := range SalesBands {
		ok = ok || b == band
	}
	if !ok {
		return errs.Field("sales_band", "error.required")
	}
	var u account.User
	if err := s.db.WithContext(ctx).Take(&u, f.UserID).Error; err != nil || u.CentreID == nil || *u.CentreID != *actor.CentreID {
		return errs.New(errs.NotFound, "error.not_found")
	}
	var n int64
	if err := s.db.WithContext(ctx).Model(&Enrolment{}).Where("user_id = ? AND removed_at IS NULL", u.ID).Count(&n).Error; err != nil {
		return errs.Wrap(err, "find classes")
	}
	if n == 0 {
		return errs.Field("user", "error.followup_not_trained")
	}
	row := FollowUp{UserID: u.ID, Month: f.Month, ShopOpened: f.ShopOpened, ShopAddress: addr, SalesBand: band,
		FoundWork: f.FoundWork, UsesServices: f.UsesServices, RecordedByID: actor.ID, RecordedAt: s.now()}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var old FollowUp
		res := tx.Where("user_id = ? AND month = ?", u.ID, f.Month).Limit(1).Find(&old)
		if res.Error != nil {
			return errs.Wrap(res.Error, "read follow-up")
		}
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error; err != nil {
			return errs.Wrap(err, "record follow-up")
		}
		action, detail := "followup.recorded", row.summary()
		if res.RowsAffected == 1 {
			action, detail = "followup.corrected", old.summary()+" → "+row.summary()
		}
		return appendAudit(tx, s.now(), Change{ActorID: actor.ID, Action: action, Subject: fmt.Sprintf("user:%d month:%d", u.ID, f.Month), Detail: detail})
	})
}

func (f FollowUp) summary() string {
	return fmt.Sprintf("shop=%t %q sales=%s work=%t online=%t", f.ShopOpened, f.ShopAddress, f.SalesBand, f.FoundWork, f.UsesServices)
}

// FollowUpRow is a trainee the partner should follow up, with what was recorded.
type FollowUpRow struct {
	UserID    uint
	Name      string
	TrainedAt time.Time // first enrolment
	Due3      time.Time
	Due6      time.Time
	Month3    *FollowUp
	Month6    *FollowUp
}

// FollowUps lists the trainees of the partner's centre with their follow-ups.
func (s *Service) FollowUps(ctx context.Context, actor *account.User) ([]FollowUpRow, error) {
	if actor == nil || actor.Role != account.RolePartner || actor.CentreID == nil {
		return nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	var enrolled []struct {
		UserID     uint
		Name       string
		EnrolledAt time.Time
	}
	err := s.db.WithContext(ctx).Table("training_enrolments e").Select("u.id AS user_id, u.name, e.enrolled_at").
		Joins("JOIN users u ON u.id = e.user_id").Where("u.centre_id = ? AND e.removed_at IS NULL", *actor.CentreID).
		Order("u.name, u.id, e.enrolled_at").Scan(&enrolled).Error
	if err != nil {
		return nil, errs.Wrap(err, "list trainees")
	}
	var rows []FollowUpRow
	var ids []uint
	for _, e := range enrolled { // in name order, each trainee's first class first
		if len(rows) > 0 && rows[len(rows)-1].UserID == e.UserID {
			continue
		}
		rows = append(rows, FollowUpRow{UserID: e.UserID, Name: e.Name, TrainedAt: e.EnrolledAt,
			Due3: e.EnrolledAt.AddDate(0, 3, 0), Due6: e.EnrolledAt.AddDate(0, 6, 0)})
		ids = append(ids, e.UserID)
	}
	var fs []FollowUp
	if err := s.db.WithContext(ctx).Where("user_id IN ?", ids).Find(&fs).Error; err != nil {
		return nil, errs.Wrap(err, "read follow-ups")
	}
	byUser := map[uint]int{}
	for i, r := range rows {
		byUser[r.UserID] = i
	}
	for i := range fs {
		r := &rows[byUser[fs[i].UserID]]
		if fs[i].Month == 3 {
			r.Month3 = &fs[i]
		} else {
			r.Month6 = &fs[i]
		}
	}
	return rows, nil
}

// FollowUpSummary is a township's follow-ups at one month: how many trainees were asked and
// what came of it.
type FollowUpSummary struct {
	Township     string
	Month        int
	Asked        int
	ShopOpened   int
	FoundWork    int
	UsesServices int
	Selling      int // a sales band above none
}

// FollowUpsByTownship rolls up the follow-ups of a coordinator's region by township.
func (s *Service) FollowUpsByTownship(ctx context.Context, actor *account.User) ([]FollowUpSummary, error) {
	if actor == nil || actor.Role != account.RoleCoordinator || actor.RegionID == nil {
		return nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	mine, err := s.accounts.Region(ctx, *actor.RegionID)
	if err != nil {
		return nil, err
	}
	var out []FollowUpSummary
	err = s.db.WithContext(ctx).Table("training_followups f").
		Select(`t.name AS township, f.month, COUNT(*) AS asked,
			SUM(CASE WHEN f.shop_opened THEN 1 ELSE 0 END) AS shop_opened,
			SUM(CASE WHEN f.found_work THEN 1 ELSE 0 END) AS found_work,
			SUM(CASE WHEN f.uses_services THEN 1 ELSE 0 END) AS uses_services,
			SUM(CASE WHEN f.sales_band <> 'none' THEN 1 ELSE 0 END) AS selling`).
		Joins("JOIN users u ON u.id = f.user_id").Joins("JOIN centres c ON c.id = u.centre_id").
		Joins("JOIN regions v ON v.id = c.region_id").Joins("JOIN regions t ON t.id = v.parent_id").
		Where("v.path LIKE ?", mine.Path+"%").Group("t.name, f.month").Order("t.name, f.month").Scan(&out).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errs.Wrap(err, "roll up follow-ups")
	}
	return out, nil
}

package sandbox

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"cunlu/app/errs"
	"cunlu/app/textcheck"
)

// AssistKinds are the services a partner records in the assist log.
var AssistKinds = []string{"order", "parcel", "bill", "ticket", "lesson", "other"}

// AssistLog is one service a partner did for a villager of their centre. It is real help
// in the real village (not a sandbox action), which the coordinator's reports count.
type AssistLog struct {
	ID         uint
	PartnerID  uint
	VillagerID uint
	Kind       string
	Note       string
	CreatedAt  time.Time
}

func (AssistLog) TableName() string { return "assist_logs" }

// RecordAssist adds an entry to the assist log. The caller has checked that the villager
// belongs to the partner's centre (account.AssistTarget).
func (s *Service) RecordAssist(ctx context.Context, partnerID, villagerID uint, kind, note string) (*AssistLog, error) {
	if !slices.Contains(AssistKinds, kind) {
		return nil, errs.Field("kind", "assist.error.kind")
	}
	note, err := cleanText(textcheck.Text, "note", note, 0, 200)
	if err != nil {
		return nil, err
	}
	l := &AssistLog{PartnerID: partnerID, VillagerID: villagerID, Kind: kind, Note: note, CreatedAt: s.now()}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(l).Error; err != nil {
			return err
		}
		return s.recordNow(tx, Owner{UserID: partnerID}, EventHelpLogged, ref(l.ID))
	})
	return l, errs.Wrap(err, "record assist")
}

// AssistLogs lists a partner's log, newest first, optionally for one villager only.
func (s *Service) AssistLogs(ctx context.Context, partnerID, villagerID uint, limit int) ([]AssistLog, error) {
	q := s.db.WithContext(ctx).Where("partner_id = ?", partnerID)
	if villagerID != 0 {
		q = q.Where("villager_id = ?", villagerID)
	}
	var out []AssistLog
	err := q.Order("id DESC").Limit(limit).Find(&out).Error
	return out, errs.Wrap(err, "list assist log")
}

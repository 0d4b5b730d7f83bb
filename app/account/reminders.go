package account

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"cunlu/app/errs"
)

// Reminder is a word a coordinator leaves for a partner from the alerts: come back to your
// own learning (AboutID nil), or go and see a villager of your centre who has stayed away.
// The partner's home shows it until they dismiss it.
type Reminder struct {
	ID          uint
	PartnerID   uint
	AboutID     *uint
	FromID      *uint
	CreatedAt   time.Time
	DismissedAt *time.Time
}

// ReminderNote is a reminder as the partner's home shows it, with who sent it and the
// villager it is about (their fields are empty for a reminder about the partner).
type ReminderNote struct {
	ID             uint
	CreatedAt      time.Time
	FromName       string
	AboutID        *uint
	AboutName      string
	AboutPhone     *string
	AboutLastSeen  *time.Time
	AboutCreatedAt *time.Time
}

// Remind leaves a reminder about learner id for the partners who can act on it: a partner
// themselves, or every active partner of a villager's centre. Only a coordinator may, and
// only for an active learner in their region; any other id is NotFound, so ids outside
// the region cannot be probed. A reminder still waiting for the same partner about the
// same person is not repeated. It returns how many partners have one waiting; 0 when a
// villager's centre has no partner.
func (s *Service) Remind(ctx context.Context, actor *User, learnerID uint) (int, error) {
	if err := requireRole(actor, RoleCoordinator); err != nil {
		return 0, err
	}
	notFound := errs.New(errs.NotFound, "error.not_found")
	if actor.RegionID == nil {
		return 0, notFound
	}
	home, err := s.Region(ctx, *actor.RegionID)
	if err != nil {
		return 0, err
	}
	g := s.db.WithContext(ctx)
	var learner User
	err = g.Table("users").Select("users.*").
		Joins("JOIN centres ON centres.id = users.centre_id").
		Joins("JOIN regions ON regions.id = centres.region_id").
		Where("users.id = ? AND users.active AND users.role IN ? AND regions.path LIKE ?", learnerID, []Role{RolePartner, RoleVillager}, home.Path+"%").
		Take(&learner).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, notFound
	}
	if err != nil {
		return 0, errs.Wrap(err, "find learner to remind about")
	}
	var partners []uint
	var about *uint
	if learner.Role == RolePartner {
		partners = []uint{learner.ID}
	} else {
		about = &learner.ID
		err = g.Model(&User{}).Where("centre_id = ? AND role = ? AND active", *learner.CentreID, RolePartner).Order("id").Pluck("id", &partners).Error
		if err != nil {
			return 0, errs.Wrap(err, "find the centre's partners")
		}
	}
	err = g.Transaction(func(tx *gorm.DB) error {
		for _, p := range partners {
			q := tx.Model(&Reminder{}).Where("partner_id = ? AND dismissed_at IS NULL", p)
			if about == nil {
				q = q.Where("about_id IS NULL")
			} else {
				q = q.Where("about_id = ?", *about)
			}
			var waiting int64
			if err := q.Count(&waiting).Error; err != nil {
				return err
			}
			if waiting > 0 {
				continue
			}
			if err := tx.Create(&Reminder{PartnerID: p, AboutID: about, FromID: &actor.ID, CreatedAt: s.now()}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return len(partners), errs.Wrap(err, "leave reminder")
}

// Reminders returns the reminders waiting for partner, oldest first.
func (s *Service) Reminders(ctx context.Context, partner *User) ([]ReminderNote, error) {
	if partner.Role != RolePartner {
		return nil, nil
	}
	var notes []ReminderNote
	err := s.db.WithContext(ctx).Table("reminders").
		Joins("LEFT JOIN users AS sender ON sender.id = reminders.from_id").
		Joins("LEFT JOIN users AS about ON about.id = reminders.about_id").
		Select(`reminders.id, reminders.created_at, COALESCE(sender.name, '') AS from_name, reminders.about_id,
			COALESCE(about.name, '') AS about_name, about.phone AS about_phone, about.last_seen_at AS about_last_seen, about.created_at AS about_created_at`).
		Where("reminders.partner_id = ? AND reminders.dismissed_at IS NULL", partner.ID).
		Order("reminders.created_at, reminders.id").Scan(&notes).Error
	return notes, errs.Wrap(err, "list reminders")
}

// DismissReminder marks partner's reminder id as read ("got it"). Someone else's reminder
// is NotFound; one already dismissed stays as it is.
func (s *Service) DismissReminder(ctx context.Context, partner *User, id uint) error {
	if err := requireRole(partner, RolePartner); err != nil {
		return err
	}
	g := s.db.WithContext(ctx)
	var r Reminder
	if err := g.Where("id = ? AND partner_id = ?", id, partner.ID).Take(&r).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return errs.New(errs.NotFound, "error.not_found")
		}
		return errs.Wrap(err, "find reminder")
	}
	err := g.Model(&Reminder{}).Where("id = ? AND dismissed_at IS NULL", id).Update("dismissed_at", s.now()).Error
	return errs.Wrap(err, "dismiss reminder")
}

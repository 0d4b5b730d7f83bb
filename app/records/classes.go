// Package records keeps the training ledger a programme's evaluator audits (RECORDS.md):
// training classes (培训班) with their plan and sessions, who was enrolled, and an
// append-only, hash-chained log of every change to them. Who may touch a class follows from
// where it is: a coordinator manages the classes of their region and below, a partner those
// of their own centre.
package records

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/errs"
	"cunlu/app/textcheck"
)

// Audiences a class is for.
const (
	ForPartners  = "partner"
	ForVillagers = "villager"
	ForBoth      = "both"
)

// Class is a training class: a plan of courses and lessons, sessions, a roster.
type Class struct {
	ID             uint
	RegionID       uint  // where it is held: the coordinator's region or one below it; a centre's village
	CentreID       *uint // set for a centre's own class, run by its partner
	Title          string
	Audience       string
	Plan           string // course slugs and course/lesson slugs, one per line
	TargetMinutes  int    // target hours (学时), in minutes
	Trainer        string
	TrainerProfile string
	CreatedByID    uint
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ClosedAt       *time.Time // a closed class's file is frozen: later corrections are amendments
}

func (Class) TableName() string { return "training_classes" }

// Session is one face-to-face meeting of a class.
type Session struct {
	ID        uint
	ClassID   uint
	StartsAt  time.Time
	EndsAt    time.Time
	Kind      string // "theory" or "practice" (理论, 实操)
	Place     string
	Trainer   string
	CreatedAt time.Time
}

func (Session) TableName() string { return "training_sessions" }

// Minutes is the session's scheduled length.
func (s Session) Minutes() int { return int(s.EndsAt.Sub(s.StartsAt) / time.Minute) }

// Enrolment puts a learner on a class's roster. A removed enrolment stays, with who removed
// it and why, so the roster at any date can be told.
type Enrolment struct {
	ClassID       uint `gorm:"primaryKey;autoIncrement:false"`
	UserID        uint `gorm:"primaryKey;autoIncrement:false"`
	EnrolledAt    time.Time
	EnrolledByID  uint
	RemovedAt     *time.Time
	RemovedByID   *uint
	RemovedReason string
}

func (Enrolment) TableName() string { return "training_enrolments" }

// Service keeps the training records.
type Service struct {
	db       *gorm.DB
	accounts *account.Service
	key      []byte // the server's secret key: check-in codes are made with it
	now      func() time.Time
}

// NewService returns the records service; now may be nil (the clock).
func NewService(g *gorm.DB, accounts *account.Service, key []byte, now func() time.Time) *Service {
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	return &Service{db: g, accounts: accounts, key: key, now: now}
}

// Key is the server's secret key, with which evidence packs are signed.
func (s *Service) Key() []byte { return s.key }

// ClassForm is what a trainer types to create a class.
type ClassForm struct {
	Title          string
	Audience       string
	Plan           string
	TargetHours    string // a number, halves allowed: "12", "7.5"
	Trainer        string
	TrainerProfile string
	RegionID       uint // a coordinator's choice (0: their own region); ignored for a partner
}

// parseHours reads hours as typed ("12", "7.5", "7,5") into minutes.
func parseHours(s string) (int, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "，", "."))
	s = strings.ReplaceAll(s, ",", ".")
	var h float64
	if _, err := fmt.Sscanf(s, "%g", &h); err != nil || h <= 0 || h > 500 {
		return 0, false
	}
	m := int(h*60 + 0.5)
	return m, m > 0
}

func checkText(field, v string, min, max int) error {
	n := utf8.RuneCountInString(strings.TrimSpace(v))
	if n < min {
		return errs.Field(field, "error.too_short").With("Min", min)
	}
	if n > max {
		return errs.Field(field, "error.too_long").With("Max", max)
	}
	return nil
}

// CreateClass creates a class where the actor may: a coordinator in their region (or one
// below it they chose), a partner at their own centre.
func (s *Service) CreateClass(ctx context.Context, actor *account.User, f ClassForm) (*Class, error) {
	c := Class{Title: strings.TrimSpace(f.Title), Audience: f.Audience, Plan: strings.TrimSpace(f.Plan),
		Trainer: strings.TrimSpace(f.Trainer), TrainerProfile: strings.TrimSpace(f.TrainerProfile), CreatedByID: actor.ID}
	for _, chk := range []error{
		checkText("title", c.Title, 2, 100), textcheck.Name("title", c.Title),
		checkText("trainer", c.Trainer, 2, 50), textcheck.Name("trainer", c.Trainer),
		checkText("trainer_profile", c.TrainerProfile, 0, 500), textcheck.Text("trainer_profile", c.TrainerProfile),
		checkText("plan", c.Plan, 0, 2000), textcheck.Text("plan", c.Plan),
	} {
		if chk != nil {
			return nil, chk
		}
	}
	if c.Audience != ForPartners && c.Audience != ForVillagers && c.Audience != ForBoth {
		return nil, errs.Field("audience", "error.required")
	}
	var ok bool
	if c.TargetMinutes, ok = parseHours(f.TargetHours); !ok {
		return nil, errs.Field("target_hours", "error.hours")
	}
	switch actor.Role {
	case account.RoleCoordinator:
		if actor.RegionID == nil {
			return nil, errs.New(errs.Forbidden, "error.forbidden")
		}
		c.RegionID = *actor.RegionID
		if f.RegionID != 0 && f.RegionID != c.RegionID {
			mine, err := s.accounts.Region(ctx, c.RegionID)
			if err != nil {
				return nil, err
			}
			r, err := s.accounts.Region(ctx, f.RegionID)
			if err != nil || !mine.Contains(*r) {
				return nil, errs.Field("region", "error.not_found")
			}
			c.RegionID = r.ID
		}
	case account.RolePartner:
		if actor.CentreID == nil {
			return nil, errs.New(errs.Forbidden, "error.forbidden")
		}
		centre, err := s.accounts.Centre(ctx, *actor.CentreID)
		if err != nil {
			return nil, err
		}
		c.RegionID, c.CentreID = centre.RegionID, &centre.ID
	default:
		return nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&c).Error; err != nil {
			return errs.Wrap(err, "create class")
		}
		return appendAudit(tx, s.now(), Change{ActorID: actor.ID, ClassID: &c.ID, Action: "class.created", Subject: fmt.Sprintf("class:%d", c.ID),
			Detail: fmt.Sprintf("%s; %s; %d min; %s", c.Title, c.Audience, c.TargetMinutes, c.Trainer)})
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// Class returns a class the actor may manage; any other is NotFound, so ids are not probed.
func (s *Service) Class(ctx context.Context, actor *account.User, id uint) (*Class, error) {
	var c Class
	if err := s.db.WithContext(ctx).Take(&c, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, errs.New(errs.NotFound, "error.not_found")
		}
		return nil, errs.Wrap(err, "find class")
	}
	ok, err := s.manages(ctx, actor, &c)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.New(errs.NotFound, "error.not_found")
	}
	return &c, nil
}

// manages reports whether actor may manage c: a coordinator whose region holds it, the
// partner of its centre.
func (s *Service) manages(ctx context.Context, actor *account.User, c *Class) (bool, error) {
	switch {
	case actor == nil:
		return false, nil
	case actor.Role == account.RolePartner:
		return c.CentreID != nil && actor.CentreID != nil && *c.CentreID == *actor.CentreID, nil
	case actor.Role == account.RoleCoordinator && actor.RegionID != nil:
		if *actor.RegionID == c.RegionID {
			return true, nil
		}
		mine, err := s.accounts.Region(ctx, *actor.RegionID)
		if err != nil {
			return false, err
		}
		r, err := s.accounts.Region(ctx, c.RegionID)
		if err != nil {
			return false, err
		}
		return mine.Contains(*r), nil
	}
	return false, nil
}

// SessionForm is a session as typed: a date and two times of day, in the county's time zone.
type SessionForm struct {
	Date    string // 2006-01-02
	Start   string // 15:04
	End     string // 15:04
	Kind    string
	Place   string
	Trainer string
}

// County time: China has one time zone.
// China is the time zone of every county (China has one): sessions are typed and shown in it.
var China = time.FixedZone("CST", 8*3600)

// AddSession schedules a session of a class the actor manages.
func (s *Service) AddSession(ctx context.Context, actor *account.User, classID uint, f SessionForm) (*Session, error) {
	c, err := s.Class(ctx, actor, classID)
	if err != nil {
		return nil, err
	}
	if c.ClosedAt != nil {
		return nil, errs.New(errs.Conflict, "error.class_closed")
	}
	day, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(f.Date), China)
	if err != nil {
		return nil, errs.Field("date", "error.date")
	}
	at := func(field, v string) (time.Time, error) {
		t, err := time.ParseInLocation("15:04", strings.TrimSpace(v), China)
		if err != nil {
			return time.Time{}, errs.Field(field, "error.time")
		}
		return day.Add(time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute), nil
	}
	ses := Session{ClassID: c.ID, Kind: f.Kind, Place: strings.TrimSpace(f.Place), Trainer: strings.TrimSpace(f.Trainer)}
	if ses.StartsAt, err = at("start", f.Start); err != nil {
		return nil, err
	}
	if ses.EndsAt, err = at("end", f.End); err != nil {
		return nil, err
	}
	if !ses.EndsAt.After(ses.StartsAt) {
		return nil, errs.Field("end", "error.end_before_start")
	}
	if ses.Kind != "theory" && ses.Kind != "practice" {
		return nil, errs.Field("kind", "error.required")
	}
	if ses.Trainer == "" {
		ses.Trainer = c.Trainer
	}
	for _, chk := range []error{checkText("place", ses.Place, 2, 100), textcheck.Name("place", ses.Place),
		checkText("trainer", ses.Trainer, 2, 50), textcheck.Name("trainer", ses.Trainer)} {
		if chk != nil {
			return nil, chk
		}
	}
	ses.StartsAt, ses.EndsAt = ses.StartsAt.UTC(), ses.EndsAt.UTC()
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&ses).Error; err != nil {
			return errs.Wrap(err, "add session")
		}
		return appendAudit(tx, s.now(), Change{ActorID: actor.ID, ClassID: &c.ID, Action: "session.added", Subject: fmt.Sprintf("session:%d", ses.ID),
			Detail: fmt.Sprintf("%s–%s %s; %s; %s", ses.StartsAt.In(China).Format("2006-01-02 15:04"), ses.EndsAt.In(China).Format("15:04"), ses.Kind, ses.Place, ses.Trainer)})
	})
	if err != nil {
		return nil, err
	}
	return &ses, nil
}

// Sessions lists a class's sessions in time order.
func (s *Service) Sessions(ctx context.Context, classID uint) ([]Session, error) {
	var out []Session
	err := s.db.WithContext(ctx).Where("class_id = ?", classID).Order("starts_at, id").Find(&out).Error
	return out, errs.Wrap(err, "list sessions")
}

// Enrol puts learners on the roster of a class the actor manages. Each must be an active
// learner of the class's audience whose centre lies in the class's region (a centre's class:
// that centre). Someone already enrolled is left as they are; someone removed before is
// enrolled again. Every enrolment is in the audit log.
func (s *Service) Enrol(ctx context.Context, actor *account.User, classID uint, userIDs []uint) (int, error) {
	c, err := s.Class(ctx, actor, classID)
	if err != nil {
		return 0, err
	}
	if c.ClosedAt != nil {
		return 0, errs.New(errs.Conflict, "error.class_closed")
	}
	region, err := s.accounts.Region(ctx, c.RegionID)
	if err != nil {
		return 0, err
	}
	added := 0
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, id := range userIDs {
			var u account.User
			if err := tx.Take(&u, id).Error; err != nil {
				return errs.Field("learner", "error.not_found")
			}
			if err := s.eligible(tx, c, region, &u); err != nil {
				return err
			}
			var e Enrolment
			res := tx.Where("class_id = ? AND user_id = ?", c.ID, u.ID).Limit(1).Find(&e)
			if res.Error != nil {
				return errs.Wrap(res.Error, "find enrolment")
			}
			now := s.now()
			switch {
			case res.RowsAffected == 0:
				e = Enrolment{ClassID: c.ID, UserID: u.ID, EnrolledAt: now, EnrolledByID: actor.ID}
				if err := tx.Create(&e).Error; err != nil {
					return errs.Wrap(err, "enrol")
				}
			case e.RemovedAt != nil:
				if err := tx.Model(&Enrolment{}).Where("class_id = ? AND user_id = ?", c.ID, u.ID).
					Updates(map[string]any{"removed_at": nil, "removed_by_id": nil, "removed_reason": "", "enrolled_at": now, "enrolled_by_id": actor.ID}).Error; err != nil {
					return errs.Wrap(err, "enrol again")
				}
			default:
				continue
			}
			added++
			if err := appendAudit(tx, now, Change{ActorID: actor.ID, ClassID: &c.ID, Action: "enrolment.added", Subject: fmt.Sprintf("user:%d", u.ID), Detail: u.Name}); err != nil {
				return err
			}
		}
		return nil
	})
	return added, err
}

// eligible checks that u may be on c's roster.
func (s *Service) eligible(tx *gorm.DB, c *Class, region *account.Region, u *account.User) error {
	if !u.Active || u.CentreID == nil || (u.Role != account.RolePartner && u.Role != account.RoleVillager) {
		return errs.Field("learner", "error.not_found")
	}
	if c.Audience != ForBoth && string(u.Role) != c.Audience {
		return errs.Field("learner", "error.wrong_audience")
	}
	if c.CentreID != nil {
		if *u.CentreID != *c.CentreID {
			return errs.Field("learner", "error.not_found")
		}
		return nil
	}
	var n int64
	err := tx.Table("centres").Joins("JOIN regions ON regions.id = centres.region_id").
		Where("centres.id = ? AND regions.path LIKE ?", *u.CentreID, region.Path+"%").Count(&n).Error
	if err != nil {
		return errs.Wrap(err, "check learner's region")
	}
	if n == 0 {
		return errs.Field("learner", "error.not_found")
	}
	return nil
}

// Unenrol takes a learner off a roster, with a reason; the enrolment stays, marked removed.
func (s *Service) Unenrol(ctx context.Context, actor *account.User, classID, userID uint, reason string) error {
	c, err := s.Class(ctx, actor, classID)
	if err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if err := checkText("reason", reason, 2, 200); err != nil {
		return err
	}
	if err := textcheck.Text("reason", reason); err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now()
		res := tx.Model(&Enrolment{}).Where("class_id = ? AND user_id = ? AND removed_at IS NULL", c.ID, userID).
			Updates(map[string]any{"removed_at": now, "removed_by_id": actor.ID, "removed_reason": reason})
		if res.Error != nil {
			return errs.Wrap(res.Error, "unenrol")
		}
		if res.RowsAffected == 0 {
			return errs.New(errs.NotFound, "error.not_found")
		}
		return appendAudit(tx, now, Change{ActorID: actor.ID, ClassID: &c.ID, Action: "enrolment.removed", Subject: fmt.Sprintf("user:%d", userID), Reason: reason})
	})
}

// RosterRow is one learner on a class's roster.
type RosterRow struct {
	UserID      uint
	Name        string
	Phone       *string
	Role        string
	CentreName  string
	VillageName string
	EnrolledAt  time.Time
}

// Roster lists a class's current learners by name.
func (s *Service) Roster(ctx context.Context, classID uint) ([]RosterRow, error) {
	var out []RosterRow
	err := s.db.WithContext(ctx).Table("training_enrolments e").
		Select("u.id AS user_id, u.name, u.phone, u.role, c.name AS centre_name, v.name AS village_name, e.enrolled_at").
		Joins("JOIN users u ON u.id = e.user_id").
		Joins("LEFT JOIN centres c ON c.id = u.centre_id").
		Joins("LEFT JOIN regions v ON v.id = c.region_id").
		Where("e.class_id = ? AND e.removed_at IS NULL", classID).Order("u.name, u.id").Scan(&out).Error
	return out, errs.Wrap(err, "list roster")
}

// ClassRow is a class in a list, with its counts.
type ClassRow struct {
	Class
	Place    string // the centre's name, or the region's
	Sessions int
	Learners int
}

// Classes lists the classes the actor manages, newest first: a coordinator's region and
// below, a partner's centre.
func (s *Service) Classes(ctx context.Context, actor *account.User) ([]ClassRow, error) {
	q := s.db.WithContext(ctx).Table("training_classes tc").
		Select(`tc.*, COALESCE(ce.name, r.name) AS place,
			(SELECT COUNT(*) FROM training_sessions ts WHERE ts.class_id = tc.id) AS sessions,
			(SELECT COUNT(*) FROM training_enrolments te WHERE te.class_id = tc.id AND te.removed_at IS NULL) AS learners`).
		Joins("JOIN regions r ON r.id = tc.region_id").
		Joins("LEFT JOIN centres ce ON ce.id = tc.centre_id")
	switch {
	case actor.Role == account.RolePartner && actor.CentreID != nil:
		q = q.Where("tc.centre_id = ?", *actor.CentreID)
	case actor.Role == account.RoleCoordinator && actor.RegionID != nil:
		mine, err := s.accounts.Region(ctx, *actor.RegionID)
		if err != nil {
			return nil, err
		}
		q = q.Where("r.path LIKE ?", mine.Path+"%")
	default:
		return nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	var out []ClassRow
	err := q.Order("tc.id DESC").Scan(&out).Error
	return out, errs.Wrap(err, "list classes")
}

// Candidates lists the active learners of one centre who may join the class and are not on
// its roster, by name. A centre's class takes its own centre's; a region's, any centre in it.
func (s *Service) Candidates(ctx context.Context, c *Class, centreID uint) ([]account.User, error) {
	if c.CentreID != nil {
		centreID = *c.CentreID
	}
	region, err := s.accounts.Region(ctx, c.RegionID)
	if err != nil {
		return nil, err
	}
	roles := []string{string(account.RolePartner), string(account.RoleVillager)}
	if c.Audience != ForBoth {
		roles = []string{c.Audience}
	}
	var out []account.User
	err = s.db.WithContext(ctx).Model(&account.User{}).
		Joins("JOIN centres ON centres.id = users.centre_id").Joins("JOIN regions ON regions.id = centres.region_id").
		Where("users.centre_id = ? AND users.active AND users.role IN ? AND regions.path LIKE ?", centreID, roles, region.Path+"%").
		Where("NOT EXISTS (SELECT 1 FROM training_enrolments te WHERE te.class_id = ? AND te.user_id = users.id AND te.removed_at IS NULL)", c.ID).
		Order("users.name, users.id").Limit(500).Find(&out).Error
	return out, errs.Wrap(err, "list candidates")
}

// ManagedSession returns a session of a class the actor manages (else NotFound).
func (s *Service) ManagedSession(ctx context.Context, actor *account.User, classID, sessionID uint) (*Session, *Class, error) {
	c, err := s.Class(ctx, actor, classID)
	if err != nil {
		return nil, nil, err
	}
	var ses Session
	if err := s.db.WithContext(ctx).Where("id = ? AND class_id = ?", sessionID, c.ID).Take(&ses).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, errs.New(errs.NotFound, "error.not_found")
		}
		return nil, nil, errs.Wrap(err, "find session")
	}
	return &ses, c, nil
}

// LearnerSession is what a learner's check-in page shows: the session, its class, and where
// the learner stands.
type LearnerSession struct {
	Session    Session
	ClassTitle string
	OnRoster   bool
	Attendance *Attendance
}

// ForLearner returns a session as the learner's check-in page shows it.
func (s *Service) ForLearner(ctx context.Context, learner *account.User, sessionID uint) (*LearnerSession, error) {
	ses, c, err := s.session(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	ls := &LearnerSession{Session: *ses, ClassTitle: c.Title, OnRoster: s.onRoster(ctx, c.ID, learner.ID) == nil}
	var a Attendance
	res := s.db.WithContext(ctx).Where("session_id = ? AND user_id = ?", ses.ID, learner.ID).Limit(1).Find(&a)
	if res.Error != nil {
		return nil, errs.Wrap(res.Error, "read attendance")
	}
	if res.RowsAffected == 1 {
		ls.Attendance = &a
	}
	return ls, nil
}

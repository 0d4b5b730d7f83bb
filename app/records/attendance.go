package records

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
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

// Attendance is one learner at one session: when they checked in and out, and how.
type Attendance struct {
	SessionID    uint `gorm:"primaryKey;autoIncrement:false"`
	UserID       uint `gorm:"primaryKey;autoIncrement:false"`
	CheckedInAt  time.Time
	CheckedOutAt *time.Time
	How          string // "code": the learner scanned or typed the session's code; "hand": the trainer marked them
	Device       string // the browser the learner checked in from (a hash of its address and user agent), to spot 代签
	MarkedByID   *uint  // "hand": the trainer
	Reason       string // "hand": why
}

func (Attendance) TableName() string { return "training_attendance" }

// Ways of checking in.
const (
	ByCode = "code"
	ByHand = "hand"
)

// CodeEvery is how often a session's check-in code changes. A code is accepted during its
// own period and the one after, so one scanned just before the change still works.
const CodeEvery = 30 * time.Second

// Check-in opens this long before a session starts and closes when it ends.
const openBefore = 30 * time.Minute

// SessionCode is the check-in code a session shows at t: six digits from an HMAC of the
// session and the 30-second period under the server's key, so it cannot be worked out from
// an earlier one, and a photo of it sent to the village group is useless a minute later.
func (s *Service) SessionCode(sessionID uint, t time.Time) string {
	return s.code(sessionID, t.Unix()/int64(CodeEvery/time.Second))
}

func (s *Service) code(sessionID uint, period int64) string {
	m := hmac.New(sha256.New, s.key)
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(sessionID))
	binary.BigEndian.PutUint64(b[8:], uint64(period))
	m.Write([]byte("attendance\n"))
	m.Write(b[:])
	sum := m.Sum(nil)
	return fmt.Sprintf("%06d", binary.BigEndian.Uint32(sum[:4])%1_000_000)
}

// codeValid reports whether code is the session's code now or in the period before.
func (s *Service) codeValid(sessionID uint, code string, now time.Time) bool {
	code = strings.TrimSpace(code)
	p := now.Unix() / int64(CodeEvery/time.Second)
	ok := 0
	for _, q := range []int64{p, p - 1} {
		ok |= subtle.ConstantTimeCompare([]byte(s.code(sessionID, q)), []byte(code))
	}
	return ok == 1
}

// session returns a session with its class.
func (s *Service) session(ctx context.Context, id uint) (*Session, *Class, error) {
	var ses Session
	if err := s.db.WithContext(ctx).Take(&ses, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, nil, errs.New(errs.NotFound, "error.not_found")
		}
		return nil, nil, errs.Wrap(err, "find session")
	}
	var c Class
	if err := s.db.WithContext(ctx).Take(&c, ses.ClassID).Error; err != nil {
		return nil, nil, errs.Wrap(err, "find class")
	}
	return &ses, &c, nil
}

// CheckIn records a learner arriving at a session with the code it shows (or, the second
// time, leaving: CheckOut). The learner must be on the class's roster, the code current,
// and the session open (from half an hour before its start to its end).
func (s *Service) CheckIn(ctx context.Context, learner *account.User, sessionID uint, code, device string) (*Attendance, error) {
	ses, _, err := s.session(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !s.codeValid(ses.ID, code, now) {
		return nil, errs.Field("code", "error.attend_code")
	}
	if now.Before(ses.StartsAt.Add(-openBefore)) || now.After(ses.EndsAt) {
		return nil, errs.Field("code", "error.attend_closed")
	}
	if err := s.onRoster(ctx, ses.ClassID, learner.ID); err != nil {
		return nil, err
	}
	a := Attendance{SessionID: ses.ID, UserID: learner.ID, CheckedInAt: now, How: ByCode, Device: device}
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&a)
	if res.Error != nil {
		return nil, errs.Wrap(res.Error, "check in")
	}
	if res.RowsAffected == 0 {
		return nil, errs.New(errs.Conflict, "error.attend_twice")
	}
	return &a, nil
}

// CheckOut records a checked-in learner leaving, with the session's current code. Leaving
// after the end is recorded as the end: time present counts within the session only.
func (s *Service) CheckOut(ctx context.Context, learner *account.User, sessionID uint, code string) (*Attendance, error) {
	ses, _, err := s.session(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !s.codeValid(ses.ID, code, now) {
		return nil, errs.Field("code", "error.attend_code")
	}
	if now.After(ses.EndsAt.Add(openBefore)) {
		return nil, errs.Field("code", "error.attend_closed")
	}
	res := s.db.WithContext(ctx).Model(&Attendance{}).
		Where("session_id = ? AND user_id = ? AND checked_out_at IS NULL", ses.ID, learner.ID).Update("checked_out_at", now)
	if res.Error != nil {
		return nil, errs.Wrap(res.Error, "check out")
	}
	if res.RowsAffected == 0 {
		return nil, errs.New(errs.Conflict, "error.attend_not_in")
	}
	var a Attendance
	err = s.db.WithContext(ctx).Where("session_id = ? AND user_id = ?", ses.ID, learner.ID).Take(&a).Error
	return &a, errs.Wrap(err, "read attendance")
}

func (s *Service) onRoster(ctx context.Context, classID, userID uint) error {
	var n int64
	err := s.db.WithContext(ctx).Model(&Enrolment{}).Where("class_id = ? AND user_id = ? AND removed_at IS NULL", classID, userID).Count(&n).Error
	if err != nil {
		return errs.Wrap(err, "check roster")
	}
	if n == 0 {
		return errs.Field("code", "error.attend_not_enrolled")
	}
	return nil
}

// HandForm is a trainer marking a learner present by hand: when they came and left, and why
// they did not check in themselves.
type HandForm struct {
	UserID uint
	In     string // 15:04, on the session's day
	Out    string // 15:04 or empty
	Reason string
}

// MarkByHand records a learner present at a session of a class the actor manages, with a
// reason, in the audit log. It replaces what the learner's own check-in said, if anything.
func (s *Service) MarkByHand(ctx context.Context, actor *account.User, sessionID uint, f HandForm) error {
	ses, c, err := s.session(ctx, sessionID)
	if err != nil {
		return err
	}
	if ok, err := s.manages(ctx, actor, c); err != nil {
		return err
	} else if !ok {
		return errs.New(errs.NotFound, "error.not_found")
	}
	if c.ClosedAt != nil {
		return errs.New(errs.Conflict, "error.class_closed")
	}
	reason := strings.TrimSpace(f.Reason)
	if err := checkText("reason", reason, 2, 200); err != nil {
		return err
	}
	if err := textcheck.Text("reason", reason); err != nil {
		return err
	}
	day := ses.StartsAt.In(China)
	at := func(field, v string) (time.Time, error) {
		t, err := time.ParseInLocation("15:04", strings.TrimSpace(v), China)
		if err != nil {
			return time.Time{}, errs.Field(field, "error.time")
		}
		d := time.Date(day.Year(), day.Month(), day.Day(), t.Hour(), t.Minute(), 0, 0, China).UTC()
		if d.Before(ses.StartsAt.Add(-openBefore)) || d.After(ses.EndsAt.Add(openBefore)) {
			return time.Time{}, errs.Field(field, "error.attend_outside")
		}
		return d, nil
	}
	a := Attendance{SessionID: ses.ID, UserID: f.UserID, How: ByHand, MarkedByID: &actor.ID, Reason: reason}
	if a.CheckedInAt, err = at("in", f.In); err != nil {
		return err
	}
	if strings.TrimSpace(f.Out) != "" {
		out, err := at("out", f.Out)
		if err != nil {
			return err
		}
		if !out.After(a.CheckedInAt) {
			return errs.Field("out", "error.end_before_start")
		}
		a.CheckedOutAt = &out
	}
	if err := s.onRoster(ctx, c.ID, f.UserID); err != nil {
		return errs.Field("user", "error.attend_not_enrolled")
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "session_id"}, {Name: "user_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"checked_in_at", "checked_out_at", "how", "marked_by_id", "reason"})}).Create(&a).Error
		if err != nil {
			return errs.Wrap(err, "mark attendance")
		}
		out := "-"
		if a.CheckedOutAt != nil {
			out = a.CheckedOutAt.In(China).Format("15:04")
		}
		return appendAudit(tx, s.now(), Change{ActorID: actor.ID, ClassID: &c.ID, Action: "attendance.by_hand",
			Subject: fmt.Sprintf("session:%d user:%d", ses.ID, f.UserID), Detail: a.CheckedInAt.In(China).Format("15:04") + "–" + out, Reason: reason})
	})
}

// Presence is a learner's attendance at a session as the register shows it.
type Presence struct {
	Attendance
	Name    string
	Minutes int  // present within the session's times (0 without a check-out)
	Late    bool // checked in more than 10 minutes after the start
	Early   bool // left more than 10 minutes before the end
}

// Register lists who came to a session, by check-in time.
func (s *Service) Register(ctx context.Context, sessionID uint) ([]Presence, error) {
	ses, _, err := s.session(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Attendance
		Name string
	}
	err = s.db.WithContext(ctx).Table("training_attendance a").Select("a.*, u.name").Joins("JOIN users u ON u.id = a.user_id").
		Where("a.session_id = ?", ses.ID).Order("a.checked_in_at, a.user_id").Scan(&rows).Error
	if err != nil {
		return nil, errs.Wrap(err, "read register")
	}
	const grace = 10 * time.Minute
	out := make([]Presence, len(rows))
	for i, r := range rows {
		p := Presence{Attendance: r.Attendance, Name: r.Name, Late: r.CheckedInAt.After(ses.StartsAt.Add(grace))}
		if r.CheckedOutAt != nil {
			from, to := maxTime(r.CheckedInAt, ses.StartsAt), minTime(*r.CheckedOutAt, ses.EndsAt)
			if to.After(from) {
				p.Minutes = int(to.Sub(from) / time.Minute)
			}
			p.Early = r.CheckedOutAt.Before(ses.EndsAt.Add(-grace))
		}
		out[i] = p
	}
	return out, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// OpenSessions lists the sessions of the learner's classes that are open for checking in or
// out now (half an hour either side), for the check-in page reached by tapping rather than
// scanning.
func (s *Service) OpenSessions(ctx context.Context, learner *account.User) ([]LearnerSession, error) {
	now := s.now()
	var rows []struct {
		Session
		ClassTitle string
	}
	err := s.db.WithContext(ctx).Table("training_sessions ts").Select("ts.*, tc.title AS class_title").
		Joins("JOIN training_classes tc ON tc.id = ts.class_id").
		Joins("JOIN training_enrolments te ON te.class_id = tc.id AND te.user_id = ? AND te.removed_at IS NULL", learner.ID).
		Where("ts.starts_at <= ? AND ts.ends_at >= ?", now.Add(openBefore), now.Add(-openBefore)).
		Order("ts.starts_at").Scan(&rows).Error
	if err != nil {
		return nil, errs.Wrap(err, "list open sessions")
	}
	out := make([]LearnerSession, 0, len(rows))
	for _, r := range rows {
		ls := LearnerSession{Session: r.Session, ClassTitle: r.ClassTitle, OnRoster: true}
		var a Attendance
		res := s.db.WithContext(ctx).Where("session_id = ? AND user_id = ?", r.ID, learner.ID).Limit(1).Find(&a)
		if res.Error != nil {
			return nil, errs.Wrap(res.Error, "read attendance")
		}
		if res.RowsAffected == 1 {
			ls.Attendance = &a
		}
		out = append(out, ls)
	}
	return out, nil
}

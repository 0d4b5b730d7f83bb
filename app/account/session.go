package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cunlu/app/errs"
)

// touchEvery limits how often a request writes the session's last-seen time, so reading a
// lesson does not cost a database write each time.
const touchEvery = time.Minute

// hashToken returns what the database stores for a session token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// StartSession signs user in: it creates a new session and returns its token (256 random
// bits) for the cookie. If previous is the token of a session this browser already had, that
// session is destroyed in the same transaction, so a token fixed before sign-in is worthless after it.
func (s *Service) StartSession(ctx context.Context, user *User, previous, ip, userAgent string) (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", errs.Wrap(err, "session token")
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	now := s.now()
	// A header may carry any bytes and PostgreSQL refuses invalid UTF-8: keep at most 255
	// bytes of valid text, cut on a character boundary.
	userAgent = strings.ToValidUTF8(userAgent, "")
	if len(userAgent) > 255 {
		userAgent = strings.ToValidUTF8(userAgent[:255], "")
	}
	sess := &Session{TokenHash: hashToken(token), UserID: user.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.MaxAge), IP: ip, UserAgent: userAgent}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if previous != "" {
			if err := tx.Where("token_hash = ?", hashToken(previous)).Delete(&Session{}).Error; err != nil {
				return err
			}
		}
		if err := tx.Create(sess).Error; err != nil {
			return err
		}
		if err := tx.Model(&User{}).Where("id = ?", user.ID).Update("last_seen_at", now).Error; err != nil {
			return err
		}
		return recordActivity(tx, user, now)
	})
	if err != nil {
		return "", errs.Wrap(err, "start session")
	}
	return token, nil
}

// SessionUser returns the active user signed in with token. It returns Unauthorized when the
// token is unknown, expired (idle or too old) or its account is deactivated; expired sessions
// are deleted on the way.
func (s *Service) SessionUser(ctx context.Context, token string) (*User, error) {
	if token == "" || len(token) > 100 {
		return nil, errs.New(errs.Unauthorized, "error.signed_out")
	}
	g := s.db.WithContext(ctx)
	var sess Session
	if err := g.Where("token_hash = ?", hashToken(token)).Take(&sess).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, errs.New(errs.Unauthorized, "error.signed_out")
		}
		return nil, errs.Wrap(err, "find session")
	}
	// The password and PIN hashes stay in the database: no page needs them, and what checks
	// one (ChangePassword) reads the person again.
	var u User
	if err := g.Omit("password_hash", "pin_hash").Take(&u, sess.UserID).Error; err != nil {
		return nil, errs.Wrap(err, "find session's person")
	}
	now := s.now()
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > s.IdleTimeout {
		g.Delete(&Session{}, sess.ID)
		return nil, errs.New(errs.Unauthorized, "error.session_expired")
	}
	if !u.Active {
		g.Where("user_id = ?", u.ID).Delete(&Session{})
		return nil, errs.New(errs.Unauthorized, "error.account_inactive")
	}
	if now.Sub(sess.LastSeenAt) > touchEvery {
		if err := g.Model(&Session{}).Where("id = ?", sess.ID).Update("last_seen_at", now).Error; err != nil {
			return nil, errs.Wrap(err, "touch session")
		}
		g.Model(&User{}).Where("id = ?", u.ID).Update("last_seen_at", now)
		if err := recordActivity(g, &u, now); err != nil {
			return nil, errs.Wrap(err, "record activity")
		}
	}
	return &u, nil
}

// EndSession signs a browser out. Ending an unknown token is not an error.
func (s *Service) EndSession(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return errs.Wrap(s.db.WithContext(ctx).Where("token_hash = ?", hashToken(token)).Delete(&Session{}).Error, "end session")
}

// CountSessions returns how many sessions a user has (for admin pages and tests).
func (s *Service) CountSessions(ctx context.Context, userID uint) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Session{}).Where("user_id = ?", userID).Count(&n).Error
	return n, errs.Wrap(err, "count sessions")
}

// activityWeek marks a person active in a week, for the weekly active-learners chart.
// Written at most once a minute per session, as last-seen is; the first mark of a week
// also counts the person in their centre's weekly total, so reports sum a few hundred rows
// instead of scanning everyone's activity.
type activityWeek struct {
	UserID uint   `gorm:"primaryKey;autoIncrement:false"`
	Week   string `gorm:"primaryKey"`
}

func (activityWeek) TableName() string { return "user_activity" }

type centreWeek struct {
	CentreID uint   `gorm:"primaryKey;autoIncrement:false"`
	Week     string `gorm:"primaryKey"`
	Active   int
}

func (centreWeek) TableName() string { return "centre_weekly_active" }

// WeekOf is the Monday of t's week, as YYYY-MM-DD.
func WeekOf(t time.Time) string {
	return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7)).Format("2006-01-02")
}

func recordActivity(g *gorm.DB, u *User, now time.Time) error {
	week := WeekOf(now)
	res := g.Clauses(clause.OnConflict{DoNothing: true}).Create(&activityWeek{UserID: u.ID, Week: week})
	if res.Error != nil || res.RowsAffected == 0 || u.CentreID == nil {
		return res.Error
	}
	return g.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "centre_id"}, {Name: "week"}},
		DoUpdates: clause.Assignments(map[string]any{"active": gorm.Expr("centre_weekly_active.active + 1")}),
	}).Create(&centreWeek{CentreID: *u.CentreID, Week: week, Active: 1}).Error
}

// SessionInfo is one signed-in browser as an admin sees it. The token (and its hash) is
// never shown.
type SessionInfo struct {
	ID         uint
	CreatedAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
}

// Sessions lists the browsers where a person is signed in, most recently used first;
// sessions that have expired (idle or too old) are left out, since they no longer work.
// Admins only; NotFound when there is no such account.
func (s *Service) Sessions(ctx context.Context, actor *User, userID uint) ([]SessionInfo, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	if _, err := s.User(ctx, userID); err != nil {
		return nil, err
	}
	now := s.now()
	var out []SessionInfo
	err := s.db.WithContext(ctx).Model(&Session{}).
		Select("id, created_at, last_seen_at, ip, user_agent").
		Where("user_id = ? AND expires_at > ? AND last_seen_at > ?", userID, now, now.Add(-s.IdleTimeout)).
		Order("last_seen_at DESC, id DESC").Scan(&out).Error
	return out, errs.Wrap(err, "list sessions")
}

// EndSessions signs a person out of every browser at once (a lost phone, a shared computer
// left signed in) and returns how many sessions ended. Their account stays active. Admins
// only; NotFound when there is no such account.
func (s *Service) EndSessions(ctx context.Context, actor *User, userID uint) (int64, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return 0, err
	}
	if _, err := s.User(ctx, userID); err != nil {
		return 0, err
	}
	res := s.db.WithContext(ctx).Where("user_id = ?", userID).Delete(&Session{})
	return res.RowsAffected, errs.Wrap(res.Error, "end sessions")
}

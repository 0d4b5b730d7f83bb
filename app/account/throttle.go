package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cunlu/app/errs"
)

// Sign-in throttling lives in the database, so it survives restarts and is shared by every
// app instance. Failures are counted per key within a window; a key with too many failures
// is refused until its window ends. Accounts and client IPs have separate keys: at a service
// centre dozens of villagers share one IP, so one person's mistakes lock only their own
// account, and the IP limit is high enough for a busy centre but stops guessing across accounts.
const (
	throttleWindow    = 15 * time.Minute
	accountMaxFailure = 5
	ipMaxFailure      = 100
)

func accountKey(kind, id string) string { return throttleKey(kind, id) }
func ipKey(ip string) string            { return throttleKey("ip", ip) }

// throttleKey keeps what was typed readable when it is short, and hashes it when it is long
// or not valid text (invalid UTF-8, a NUL byte), so that every key fits its column (160
// characters) and PostgreSQL accepts it: a refused write would leave the failure uncounted.
func throttleKey(kind, id string) string {
	if len(id) > 100 || !utf8.ValidString(id) || strings.ContainsRune(id, 0) {
		sum := sha256.Sum256([]byte(id))
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	return kind + ":" + id
}

// reserve counts one attempt against the account key and the client IP's key before the
// secret is checked, and reports false (counting nothing) when either has reached its limit
// in the current window, with errRefused or errRefusedIP saying which. Each key is one upsert
// whose WHERE refuses a key at its limit, so parallel attempts, here or on another instance, cannot all pass a check that is read
// before the slow hash and written after it: at most the limit are ever evaluated. A
// reservation stays as a failure unless release gives it back.
func (s *Service) reserve(ctx context.Context, acctKey, ip string) (bool, error) {
	now := s.now()
	cutoff := now.Add(-throttleWindow)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, k := range []struct {
			key   string
			limit int
		}{{acctKey, accountMaxFailure}, {ipKey(ip), ipMaxFailure}} {
			res := tx.Clauses(clause.OnConflict{
				Columns: []clause.Column{{Name: "key"}},
				DoUpdates: clause.Assignments(map[string]any{
					"failures":     gorm.Expr("CASE WHEN login_throttles.window_start <= ? THEN 1 ELSE login_throttles.failures + 1 END", cutoff),
					"window_start": gorm.Expr("CASE WHEN login_throttles.window_start <= ? THEN ? ELSE login_throttles.window_start END", cutoff, now),
				}),
				Where: clause.Where{Exprs: []clause.Expression{
					gorm.Expr("login_throttles.window_start <= ? OR login_throttles.failures < ?", cutoff, k.limit),
				}},
			}).Create(&loginThrottle{Key: k.key, Failures: 1, WindowStart: now})
			if res.Error != nil {
				return errs.Wrap(res.Error, "reserve sign-in attempt")
			}
			if res.RowsAffected == 0 {
				if k.key != acctKey {
					return errRefusedIP // roll back the account key's count
				}
				return errRefused
			}
		}
		return nil
	})
	if errors.Is(err, errRefused) || errors.Is(err, errRefusedIP) {
		return false, err
	}
	return err == nil, err
}

var (
	errRefused   = errors.New("throttled: the account")
	errRefusedIP = errors.New("throttled: the client's address")
)

// release gives back an attempt that turned out not to be a failure: a successful sign-in
// forgets the account's failures and returns its one count to the IP.
func (s *Service) release(ctx context.Context, acctKey, ip string) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("key = ?", acctKey).Delete(&loginThrottle{}).Error; err != nil {
			return errs.Wrap(err, "clear throttle")
		}
		err := tx.Model(&loginThrottle{}).Where("key = ? AND failures > 0", ipKey(ip)).
			Update("failures", gorm.Expr("failures - 1")).Error
		return errs.Wrap(err, "release sign-in attempt")
	})
}

// triesLeft is how many more sign-ins the account key may try in its window, after the
// failure just counted: what a person is told after a wrong PIN. Every key counts the same
// way, known account or not, so the number reveals nothing about which exist. It is -1 when
// the count cannot be read (the message then leaves the number out).
func (s *Service) triesLeft(ctx context.Context, acctKey string) int {
	var t loginThrottle
	err := s.db.WithContext(ctx).Where("key = ?", acctKey).Limit(1).Find(&t).Error
	if err != nil {
		return -1
	}
	return max(0, accountMaxFailure-t.Failures)
}

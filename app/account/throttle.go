package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// throttled reports whether any of the keys has reached its limit in the current window.
func (s *Service) throttled(ctx context.Context, acctKey, ip string) (bool, error) {
	var rows []loginThrottle
	since := s.now().Add(-throttleWindow)
	err := s.db.WithContext(ctx).Where("key IN ? AND window_start > ?", []string{acctKey, ipKey(ip)}, since).Find(&rows).Error
	if err != nil {
		return false, errs.Wrap(err, "read throttle")
	}
	for _, r := range rows {
		limit := accountMaxFailure
		if r.Key == ipKey(ip) {
			limit = ipMaxFailure
		}
		if r.Failures >= limit {
			return true, nil
		}
	}
	return false, nil
}

// recordFailure counts one failed sign-in against each key, atomically: one upsert per key
// that starts a new window when the old one has passed.
func (s *Service) recordFailure(ctx context.Context, keys ...string) error {
	now := s.now()
	cutoff := now.Add(-throttleWindow)
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, k := range keys {
			err := tx.Clauses(clause.OnConflict{
				Columns: []clause.Column{{Name: "key"}},
				DoUpdates: clause.Assignments(map[string]any{
					"failures":     gorm.Expr("CASE WHEN login_throttles.window_start <= ? THEN 1 ELSE login_throttles.failures + 1 END", cutoff),
					"window_start": gorm.Expr("CASE WHEN login_throttles.window_start <= ? THEN ? ELSE login_throttles.window_start END", cutoff, now),
				}),
			}).Create(&loginThrottle{Key: k, Failures: 1, WindowStart: now}).Error
			if err != nil {
				return errs.Wrap(err, "record sign-in failure")
			}
		}
		return nil
	})
}

// clearFailures forgets an account key's failures after a successful sign-in.
func (s *Service) clearFailures(ctx context.Context, key string) error {
	return errs.Wrap(s.db.WithContext(ctx).Where("key = ?", key).Delete(&loginThrottle{}).Error, "clear throttle")
}

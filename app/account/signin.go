package account

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"cunlu/app/errs"
)

// SignIn checks a login name (or a villager's phone number) and password. It returns
// TooMany while the account or the client IP is throttled, and Unauthorized with one message
// for every wrong combination, so a guesser cannot tell which part was wrong.
func (s *Service) SignIn(ctx context.Context, login, password, ip string) (*User, error) {
	login = NormalizeLogin(login)
	key := accountKey("login", login)
	return s.signIn(ctx, key, ip, password, func(g *gorm.DB, u *User) error {
		if !utf8.ValidString(login) || strings.ContainsRune(login, 0) {
			// No account has such a login, and PostgreSQL would refuse it in the query.
			return gorm.ErrRecordNotFound
		}
		return g.Where("login = ?", login).Take(u).Error
	}, func(u *User) string { return u.PasswordHash })
}

// SignInPIN checks a villager's phone number and six-digit PIN, with its own throttle key
// per phone number.
func (s *Service) SignInPIN(ctx context.Context, phone, pin, ip string) (*User, error) {
	phone = NormalizePhone(phone)
	key := accountKey("pin", phone)
	return s.signIn(ctx, key, ip, pin, func(g *gorm.DB, u *User) error {
		if !phonePattern.MatchString(phone) {
			return gorm.ErrRecordNotFound
		}
		return g.Where("phone = ? AND pin_hash <> ''", phone).Take(u).Error
	}, func(u *User) string { return u.PINHash })
}

func (s *Service) signIn(ctx context.Context, key, ip, secret string, find func(*gorm.DB, *User) error, hashOf func(*User) string) (*User, error) {
	ok, err := s.reserve(ctx, key, ip)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.New(errs.TooMany, "error.too_many_attempts")
	}
	var u User
	err = find(s.db.WithContext(ctx), &u)
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		// Not the person's failure: give the attempt back. A cancelled request cannot
		// reach the database either, so the release runs without the request's deadline.
		if rerr := s.release(context.WithoutCancel(ctx), key, ip); rerr != nil {
			return nil, errors.Join(errs.Wrap(err, "find account"), rerr)
		}
		return nil, errs.Wrap(err, "find account")
	}
	// Verify runs the KDF even for an unknown account, so timing does not reveal which
	// exist; a deactivated account gets the same answer as a wrong secret, so the right
	// password does not confirm a guess.
	ok = s.hash.Verify(hashOf(&u), secret) && err == nil && len(secret) <= 4*MaxPasswordRunes && u.Active
	if !ok {
		return nil, errs.New(errs.Unauthorized, "error.login_failed")
	}
	if err := s.release(ctx, key, ip); err != nil {
		return nil, err
	}
	return &u, nil
}

// EnsureAdmin makes sure someone can administer a new installation. When no admin account
// exists it creates "admin" with a random password and returns that password, to be shown
// once; otherwise it returns "". Safe to call from several instances at once.
func (s *Service) EnsureAdmin(ctx context.Context) (string, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&User{}).Where("role = ?", RoleAdmin).Count(&n).Error; err != nil {
		return "", errs.Wrap(err, "count admins")
	}
	if n > 0 {
		return "", nil
	}
	password := rand.Text()
	h, err := s.hash.Hash(password)
	if err != nil {
		return "", errs.Wrap(err, "hash password")
	}
	created := false
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&User{}).Where("role = ?", RoleAdmin).Count(&n).Error; err != nil || n > 0 {
			return err
		}
		created = true
		return tx.Create(&User{Login: "admin", Name: "Admin", Role: RoleAdmin, PasswordHash: h, Active: true, MustChangePassword: true}).Error
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return "", nil // another instance created it at the same moment
	}
	if err != nil {
		return "", errs.Wrap(err, "create first admin")
	}
	if !created {
		return "", nil
	}
	return password, nil
}

// HashSecret hashes a password or PIN with the service's KDF (for seeding demo data).
func (s *Service) HashSecret(secret string) (string, error) { return s.hash.Hash(secret) }

// VerifySecret reports whether secret matches a hash made by HashSecret (for the practice
// shop's payment PINs).
func (s *Service) VerifySecret(hash, secret string) bool { return s.hash.Verify(hash, secret) }

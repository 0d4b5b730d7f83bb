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
	return s.signIn(ctx, key, ip, func(g *gorm.DB, u *User) error {
		if !utf8.ValidString(login) || strings.ContainsRune(login, 0) {
			// No account has such a login, and PostgreSQL would refuse it in the query.
			return gorm.ErrRecordNotFound
		}
		return g.Where("login = ?", login).Take(u).Error
	}, func(u *User) bool {
		return s.hash.Verify(u.PasswordHash, password) && len(password) <= 4*MaxPasswordRunes
	})
}

// SignInPIN checks a villager's phone number and six-digit PIN, with its own throttle key
// per phone number. A PIN still hashed the older, slow way is hashed anew on success.
func (s *Service) SignInPIN(ctx context.Context, phone, pin, ip string) (*User, error) {
	phone = NormalizePhone(phone)
	key := accountKey("pin", phone)
	u, err := s.signIn(ctx, key, ip, func(g *gorm.DB, u *User) error {
		if !phonePattern.MatchString(phone) {
			return gorm.ErrRecordNotFound
		}
		return g.Where("phone = ? AND pin_hash <> ''", phone).Take(u).Error
	}, func(u *User) bool { return s.pins.Verify(u.PINHash, pin) })
	if err == nil && s.pins.NeedsRehash(u.PINHash) {
		err = s.db.WithContext(ctx).Model(&User{}).Where("id = ? AND pin_hash = ?", u.ID, u.PINHash).Update("pin_hash", s.pins.Hash(pin)).Error
		if err != nil {
			return nil, errs.Wrap(err, "rehash PIN")
		}
	}
	return u, err
}

// signIn reserves an attempt (throttle.go), finds the account and checks its secret with
// verify, which runs even for an unknown account (on an empty User), so that timing does not
// reveal which exist.
func (s *Service) signIn(ctx context.Context, key, ip string, find func(*gorm.DB, *User) error, verify func(*User) bool) (*User, error) {
	ok, err := s.reserve(ctx, key, ip)
	if errors.Is(err, errRefused) {
		return nil, errs.New(errs.TooMany, "error.too_many_attempts").With("Scope", "account")
	}
	if errors.Is(err, errRefusedIP) {
		// Not this account's failures: the whole address (a service centre) is locked.
		return nil, errs.New(errs.TooMany, "error.too_many_attempts").With("Scope", "ip")
	}
	if err != nil {
		return nil, err
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
	// A deactivated account gets the same answer as a wrong secret, so the right password
	// does not confirm a guess.
	ok = verify(&u) && err == nil && u.Active
	if !ok {
		return nil, errs.New(errs.Unauthorized, "error.login_failed").With("Left", s.triesLeft(ctx, key))
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

// HashPassword hashes a password with the service's slow KDF (for seeding demo data).
func (s *Service) HashPassword(password string) (string, error) { return s.hash.Hash(password) }

// HashPIN hashes a PIN under the installation's key: villagers' sign-in PINs and the
// practice shop's payment PINs.
func (s *Service) HashPIN(pin string) (string, error) { return s.pins.Hash(pin), nil }

// VerifyPIN reports whether pin matches a hash made by HashPIN (or an older slow one).
func (s *Service) VerifyPIN(hash, pin string) bool { return s.pins.Verify(hash, pin) }

// Package account owns people and places: regions (county → township → village), service
// centres, accounts with their roles, passwords and PINs, server-side sessions and sign-in
// throttling. Every method that changes something takes the acting user and checks that the
// actor may touch the object (its role, and the region or centre it belongs to).
package account

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"gorm.io/gorm"

	"cunlu/app/errs"
)

// Role is what an account may do.
type Role string

const (
	RoleAdmin       Role = "admin"       // operations: regions, centres, accounts
	RoleCoordinator Role = "coordinator" // county or township staff; sees everything in their region
	RolePartner     Role = "partner"     // runs a village service centre; learns and helps villagers
	RoleVillager    Role = "villager"    // learns at a centre; signs in with phone and PIN
)

// Roles lists every role, in the order forms show them.
var Roles = []Role{RoleAdmin, RoleCoordinator, RolePartner, RoleVillager}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// Learner reports whether the role takes courses and uses the practice shop.
func (r Role) Learner() bool { return r == RolePartner || r == RoleVillager }

// Level is a region's place in the county → township → village tree.
type Level string

const (
	LevelCounty   Level = "county"
	LevelTownship Level = "township"
	LevelVillage  Level = "village"
)

// childLevel is the only level allowed directly below each level.
var childLevel = map[Level]Level{LevelCounty: LevelTownship, LevelTownship: LevelVillage}

// Region is a county, township or village. Path lists the ids from the root ("/1/4/9/"),
// so "everything in a region" is a prefix match on one indexed column.
type Region struct {
	ID        uint
	ParentID  *uint
	Level     Level
	Name      string
	Path      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Contains reports whether other is r or lies below it.
func (r Region) Contains(other Region) bool { return strings.HasPrefix(other.Path, r.Path) }

// Centre is a village service centre, where partners work and villagers learn.
type Centre struct {
	ID        uint
	RegionID  uint // a village
	Region    *Region
	Name      string
	Address   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// User is an account. Coordinators belong to a region; partners and villagers to a centre.
type User struct {
	ID             uint
	Login          string
	Name           string
	Phone          *string
	Role           Role
	RegionID       *uint
	CentreID       *uint
	PasswordHash   string `json:"-"`
	PINHash        string `gorm:"column:pin_hash" json:"-"`
	Active         bool
	Lang           string
	RegisteredByID *uint
	// MustChangePassword: the password was chosen by someone else (an enrolment, an admin);
	// until its owner chooses their own, only the account page and signing out are open.
	MustChangePassword bool
	LastSeenAt         *time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// PhoneNumber returns the phone number or "".
func (u *User) PhoneNumber() string {
	if u == nil || u.Phone == nil {
		return ""
	}
	return *u.Phone
}

// Session is a signed-in browser. Only the SHA-256 of its token is stored.
type Session struct {
	ID         uint
	TokenHash  string
	UserID     uint
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
	// AssistUserID is the villager whose practice shop a partner is working in on this
	// browser (an assisted session at the centre's shared computer), or nil.
	AssistUserID *uint
}

type loginThrottle struct {
	Key         string `gorm:"primaryKey"`
	Failures    int
	WindowStart time.Time
}

func (loginThrottle) TableName() string { return "login_throttles" }

type setting struct {
	Key   string `gorm:"primaryKey"`
	Value string
}

func (setting) TableName() string { return "settings" }

// Service is the account store and its rules.
type Service struct {
	db   *gorm.DB
	now  func() time.Time
	hash *hasher    // passwords
	pins *pinHasher // PINs

	// IdleTimeout ends a session after this long without a request.
	IdleTimeout time.Duration
	// MaxAge ends a session this long after sign-in, however active.
	MaxAge time.Duration
}

// Options tune a Service; zero values take the defaults.
type Options struct {
	IdleTimeout time.Duration
	Now         func() time.Time // the clock, replaceable in tests
	// PINKey is the installation's secret for PIN hashes (pin.go), from the key file.
	// Without one, a random key is made: PINs set by this Service verify only in it.
	PINKey []byte
}

// NewService returns the account service over g.
func NewService(g *gorm.DB, opts Options) *Service {
	s := &Service{db: g, now: opts.Now, hash: newHasher(), IdleTimeout: opts.IdleTimeout, MaxAge: 30 * 24 * time.Hour}
	s.pins = &pinHasher{key: opts.PINKey, legacy: s.hash}
	if len(s.pins.key) == 0 {
		s.pins.key = make([]byte, 32)
		rand.Read(s.pins.key)
	}
	if s.now == nil {
		s.now = func() time.Time { return time.Now().UTC() }
	}
	if s.IdleTimeout == 0 {
		s.IdleTimeout = 12 * time.Hour
	}
	return s
}

// Setting reads a stored setting; ok is false when it is not set.
func (s *Service) Setting(ctx context.Context, key string) (value string, ok bool, err error) {
	var row setting
	res := s.db.WithContext(ctx).Where(&setting{Key: key}).Limit(1).Find(&row)
	if res.Error != nil {
		return "", false, errs.Wrap(res.Error, "read setting")
	}
	return row.Value, res.RowsAffected == 1, nil
}

// SetSetting stores a setting inside tx (or the service's database when tx is nil).
func (s *Service) SetSetting(ctx context.Context, tx *gorm.DB, key, value string) error {
	if tx == nil {
		tx = s.db
	}
	return tx.WithContext(ctx).Save(&setting{Key: key, Value: value}).Error
}

// DB exposes the database handle for packages that seed data inside one transaction.
func (s *Service) DB() *gorm.DB { return s.db }

// Now returns the service's clock reading.
func (s *Service) Now() time.Time { return s.now() }

package account

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cunlu/app/errs"
)

var (
	loginPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)
	phonePattern = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
)

// NormalizeLogin lower-cases and trims a sign-in name as typed.
func NormalizeLogin(login string) string { return strings.ToLower(strings.TrimSpace(login)) }

// NormalizePhone strips spaces, dashes and a +86 prefix from a mainland mobile number.
func NormalizePhone(phone string) string {
	phone = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(phone))
	phone = strings.TrimPrefix(phone, "+86")
	return phone
}

// AccountForm is what an admin types to create or edit an account. Password and PIN are
// set only when not empty.
type AccountForm struct {
	Login    string
	Name     string
	Phone    string
	Role     Role
	RegionID uint // coordinators
	CentreID uint // partners and villagers
	Password string
	PIN      string
}

// VillagerForm is what a partner types to register a villager at their centre.
type VillagerForm struct {
	Name     string
	Phone    string
	PIN      string
	CentreID uint
}

// checkAccount validates f for an account with the given id (0 when new) and returns the
// cleaned values. Passwords and PINs are checked here but hashed by the caller, outside any
// transaction, because hashing is slow.
func (s *Service) checkAccount(ctx context.Context, id uint, f AccountForm, isNew bool) (AccountForm, error) {
	var err error
	if !f.Role.Valid() {
		return f, errs.Field("role", "error.role_invalid")
	}
	if f.Name, err = cleanName("name", f.Name, 50); err != nil {
		return f, err
	}
	f.Phone = NormalizePhone(f.Phone)
	if f.Phone != "" && !phonePattern.MatchString(f.Phone) {
		return f, errs.Field("phone", "error.phone_invalid")
	}
	f.Login = NormalizeLogin(f.Login)
	if f.Login == "" && f.Role == RoleVillager {
		f.Login = f.Phone
	}
	if !loginPattern.MatchString(f.Login) {
		return f, errs.Field("login", "error.login_invalid")
	}
	g := s.db.WithContext(ctx)
	switch f.Role {
	case RoleCoordinator:
		var r Region
		if err := g.Take(&r, f.RegionID).Error; err != nil {
			return f, errs.Field("region", "error.coordinator_needs_region")
		}
		f.CentreID = 0
	case RolePartner, RoleVillager:
		var c Centre
		if err := g.Take(&c, f.CentreID).Error; err != nil {
			return f, errs.Field("centre", "error.account_needs_centre")
		}
		f.RegionID = 0
	default:
		f.RegionID, f.CentreID = 0, 0
	}
	if f.Role == RoleVillager {
		if f.Phone == "" {
			return f, errs.Field("phone", "error.villager_needs_phone")
		}
		if isNew && f.PIN == "" {
			return f, errs.Field("pin", "error.pin_format")
		}
	} else if isNew && f.Password == "" {
		return f, errs.Field("password", "error.password_too_short").With("Min", MinPasswordRunes)
	}
	if f.Password != "" {
		if err := CheckPassword(f.Password, f.Login); err != nil {
			return f, err
		}
	}
	if f.PIN != "" {
		if err := CheckPIN(f.PIN); err != nil {
			return f, err
		}
	}
	// The phone first: for villagers the login is the phone number, and "this phone is
	// already registered" is the message that helps.
	var n int64
	if f.Phone != "" {
		if err := g.Model(&User{}).Where("phone = ? AND id <> ?", f.Phone, id).Count(&n).Error; err != nil {
			return f, errs.Wrap(err, "check phone")
		}
		if n > 0 {
			return f, errs.Field("phone", "error.phone_taken")
		}
	}
	if err := g.Model(&User{}).Where("login = ? AND id <> ?", f.Login, id).Count(&n).Error; err != nil {
		return f, errs.Wrap(err, "check login")
	}
	if n > 0 {
		return f, errs.Field("login", "error.login_taken")
	}
	return f, nil
}

func optional(v uint) *uint {
	if v == 0 {
		return nil
	}
	return &v
}

func optionalString(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// uniqueViolation turns a unique-index failure that slipped past the checks (two admins
// saving at once) into the same Conflict the checks give.
func uniqueViolation(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return errs.New(errs.Conflict, "error.login_taken")
	}
	return err
}

// CreateAccount adds an account of any role. Admins only.
func (s *Service) CreateAccount(ctx context.Context, actor *User, f AccountForm) (*User, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	return s.createAccount(ctx, actor, f)
}

func (s *Service) createAccount(ctx context.Context, actor *User, f AccountForm) (*User, error) {
	f, err := s.checkAccount(ctx, 0, f, true)
	if err != nil {
		return nil, err
	}
	u := &User{Login: f.Login, Name: f.Name, Phone: optionalString(f.Phone), Role: f.Role,
		RegionID: optional(f.RegionID), CentreID: optional(f.CentreID), Active: true}
	if actor != nil {
		u.RegisteredByID = &actor.ID
	}
	if f.Password != "" {
		if u.PasswordHash, err = s.hash.Hash(f.Password); err != nil {
			return nil, errs.Wrap(err, "hash password")
		}
		u.MustChangePassword = actor != nil // chosen by the admin, known to them
	}
	if f.PIN != "" {
		u.PINHash = s.pins.Hash(f.PIN)
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(u).Error; err != nil {
			return uniqueViolation(err)
		}
		return CountLearners(tx, u)
	})
	if err != nil {
		return nil, errs.Wrap(err, "create account")
	}
	return u, nil
}

// RegisterVillager adds a villager at a centre. A partner may register villagers only at
// their own centre; admins anywhere.
func (s *Service) RegisterVillager(ctx context.Context, actor *User, f VillagerForm) (*User, error) {
	if err := requireRole(actor, RolePartner, RoleAdmin); err != nil {
		return nil, err
	}
	if actor.Role == RolePartner && (actor.CentreID == nil || *actor.CentreID != f.CentreID) {
		return nil, errs.New(errs.Forbidden, "error.other_centre")
	}
	return s.createAccount(ctx, actor, AccountForm{Name: f.Name, Phone: f.Phone, PIN: f.PIN, Role: RoleVillager, CentreID: f.CentreID})
}

// UpdateAccount changes an account's name, login, phone and region or centre, and its
// password or PIN when given. The role stays. Admins only.
func (s *Service) UpdateAccount(ctx context.Context, actor *User, id uint, f AccountForm) error {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return err
	}
	u, err := s.User(ctx, id)
	if err != nil {
		return err
	}
	f.Role = u.Role
	if f, err = s.checkAccount(ctx, id, f, false); err != nil {
		return err
	}
	updates := map[string]any{"login": f.Login, "name": f.Name, "phone": optionalString(f.Phone),
		"region_id": optional(f.RegionID), "centre_id": optional(f.CentreID), "updated_at": s.now()}
	if f.Password != "" {
		if updates["password_hash"], err = s.hash.Hash(f.Password); err != nil {
			return errs.Wrap(err, "hash password")
		}
		updates["must_change_password"] = true // a reset: the admin knows it
	}
	if f.PIN != "" {
		updates["pin_hash"] = s.pins.Hash(f.PIN)
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Read again, locked, in the transaction: the centre it leaves is the one it is
		// counted in, even with another admin saving at the same moment.
		var old User
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&old, id).Error; err != nil {
			return err
		}
		if err := tx.Model(&User{}).Where("id = ?", id).Updates(updates).Error; err != nil {
			return uniqueViolation(err)
		}
		moved := old
		moved.CentreID = optional(f.CentreID)
		if err := moveLearner(tx, &old, &moved); err != nil {
			return err
		}
		if f.Password != "" || f.PIN != "" {
			// A reset secret means the old one may be known to someone else: end every session.
			return tx.Where("user_id = ?", id).Delete(&Session{}).Error
		}
		return nil
	})
	return errs.Wrap(err, "update account")
}

// SetActive deactivates or reactivates an account. Deactivation ends all its sessions at
// once. Admins only, and never their own account.
func (s *Service) SetActive(ctx context.Context, actor *User, id uint, active bool) error {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return err
	}
	if actor.ID == id && !active {
		return errs.New(errs.Conflict, "error.cannot_deactivate_self")
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var old User
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&old, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return errs.New(errs.NotFound, "error.not_found")
			}
			return err
		}
		if err := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{"active": active, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		changed := old
		changed.Active = active
		if err := moveLearner(tx, &old, &changed); err != nil {
			return err
		}
		if !active {
			return tx.Where("user_id = ?", id).Delete(&Session{}).Error
		}
		return nil
	})
	return errs.Wrap(err, "set account active")
}

// ChangePassword lets a signed-in person replace their own password after proving the old
// one. Other sessions of the same person end; the current one continues.
func (s *Service) ChangePassword(ctx context.Context, actor *User, current, next, keepToken string) error {
	if actor == nil {
		return errs.New(errs.Unauthorized, "error.signed_out")
	}
	u, err := s.User(ctx, actor.ID)
	if err != nil {
		return err
	}
	if !s.hash.Verify(u.PasswordHash, current) {
		return errs.Field("current", "error.current_password_wrong")
	}
	if err := CheckPassword(next, u.Login); err != nil {
		return err
	}
	h, err := s.hash.Hash(next)
	if err != nil {
		return errs.Wrap(err, "hash password")
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{"password_hash": h, "must_change_password": false, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		return tx.Where("user_id = ? AND token_hash <> ?", u.ID, hashToken(keepToken)).Delete(&Session{}).Error
	})
	return errs.Wrap(err, "change password")
}

// SetLang remembers the interface language a person chose.
func (s *Service) SetLang(ctx context.Context, userID uint, lang string) error {
	return errs.Wrap(s.db.WithContext(ctx).Model(&User{}).Where("id = ?", userID).Update("lang", lang).Error, "set language")
}

// User returns one account.
func (s *Service) User(ctx context.Context, id uint) (*User, error) {
	var u User
	if err := s.db.WithContext(ctx).Take(&u, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, errs.New(errs.NotFound, "error.not_found")
		}
		return nil, errs.Wrap(err, "find account")
	}
	return &u, nil
}

// UserFilter narrows the admin's account list.
type UserFilter struct {
	Role     Role
	CentreID uint
	Query    string // part of a name, login or phone
	Limit    int
	Offset   int
}

// Users lists accounts for the admin, newest first.
func (s *Service) Users(ctx context.Context, actor *User, f UserFilter) ([]User, int64, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, 0, err
	}
	q := s.db.WithContext(ctx).Model(&User{})
	if f.Role.Valid() {
		q = q.Where("role = ?", f.Role)
	}
	if f.CentreID != 0 {
		q = q.Where("centre_id = ?", f.CentreID)
	}
	if t := strings.TrimSpace(f.Query); t != "" {
		// Bytes that are not UTF-8, and NUL, match nothing (PostgreSQL refuses them in text).
		t = strings.ReplaceAll(strings.ToValidUTF8(t, "\uFFFD"), "\x00", "\uFFFD")
		like := "%" + escapeLike(t) + "%"
		q = q.Where("name LIKE ? ESCAPE '\\' OR login LIKE ? ESCAPE '\\' OR phone LIKE ? ESCAPE '\\'", like, like, like)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, errs.Wrap(err, "count accounts")
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var us []User
	err := q.Order("id DESC").Limit(f.Limit).Offset(f.Offset).Find(&us).Error
	return us, total, errs.Wrap(err, "list accounts")
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// PartnersWithin lists the partners whose centres lie in the region. A coordinator may ask
// only about their own region or one below it; an admin about any.
func (s *Service) PartnersWithin(ctx context.Context, actor *User, regionID uint) ([]PartnerRow, error) {
	region, err := s.RegionInScope(ctx, actor, regionID)
	if err != nil {
		return nil, err
	}
	var rows []PartnerRow
	err = s.db.WithContext(ctx).Table("users").
		Select("users.id, users.name, users.login, users.phone, users.active, users.last_seen_at, centres.id AS centre_id, centres.name AS centre_name, regions.id AS village_id, regions.name AS village_name").
		Joins("JOIN centres ON centres.id = users.centre_id").
		Joins("JOIN regions ON regions.id = centres.region_id").
		Where("users.role = ? AND regions.path LIKE ?", RolePartner, region.Path+"%").
		Order("regions.name, centres.name, users.name, users.id").Scan(&rows).Error
	return rows, errs.Wrap(err, "list partners")
}

// PartnerRow is one line of a coordinator's partner list.
type PartnerRow struct {
	ID          uint
	Name        string
	Login       string
	Phone       *string
	Active      bool
	LastSeenAt  *time.Time
	CentreID    uint
	CentreName  string
	VillageID   uint
	VillageName string
}

// RegionInScope returns region id if actor may see it: admins see all; a coordinator sees
// their region and everything below. Anything else is NotFound, so ids outside the scope
// cannot be probed.
func (s *Service) RegionInScope(ctx context.Context, actor *User, id uint) (*Region, error) {
	if err := requireRole(actor, RoleAdmin, RoleCoordinator); err != nil {
		return nil, err
	}
	r, err := s.Region(ctx, id)
	if err != nil {
		return nil, err
	}
	if actor.Role == RoleCoordinator {
		if actor.RegionID == nil {
			return nil, errs.New(errs.NotFound, "error.not_found")
		}
		home, err := s.Region(ctx, *actor.RegionID)
		if err != nil {
			return nil, err
		}
		if !home.Contains(*r) {
			return nil, errs.New(errs.NotFound, "error.not_found")
		}
	}
	return r, nil
}

// VillagersOf lists the villagers of a centre. Partners see only their own centre.
func (s *Service) VillagersOf(ctx context.Context, actor *User, centreID uint) ([]User, error) {
	if err := requireRole(actor, RolePartner, RoleAdmin); err != nil {
		return nil, err
	}
	if actor.Role == RolePartner && (actor.CentreID == nil || *actor.CentreID != centreID) {
		return nil, errs.New(errs.Forbidden, "error.other_centre")
	}
	var us []User
	err := s.db.WithContext(ctx).Where("role = ? AND centre_id = ?", RoleVillager, centreID).Order("name, id").Find(&us).Error
	return us, errs.Wrap(err, "list villagers")
}

// ResetVillagerPIN sets a new PIN for a villager of the partner's own centre (a villager who
// forgot theirs), ends the villager's sessions (as an admin's reset does) and lifts the lock
// on their phone number so they can sign in with the new PIN at once. Another centre's
// villager, or anyone but a villager, is NotFound.
func (s *Service) ResetVillagerPIN(ctx context.Context, partner *User, villagerID uint, pin string) (*User, error) {
	v, err := s.AssistTarget(ctx, partner, villagerID)
	if err != nil {
		return nil, err
	}
	if err := CheckPIN(pin); err != nil {
		return nil, err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&User{}).Where("id = ?", v.ID).Updates(map[string]any{"pin_hash": s.pins.Hash(pin), "updated_at": s.now()}).Error; err != nil {
			return err
		}
		// As with an admin's reset: the old PIN may be known to someone else.
		if err := tx.Where("user_id = ?", v.ID).Delete(&Session{}).Error; err != nil {
			return err
		}
		if v.Phone == nil {
			return nil
		}
		return tx.Where("key = ?", accountKey("pin", *v.Phone)).Delete(&loginThrottle{}).Error
	})
	if err != nil {
		return nil, errs.Wrap(err, "reset PIN")
	}
	return v, nil
}

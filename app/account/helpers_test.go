package account_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db"
	"cunlu/app/errs"
)

// The secrets every fixture account has. They are hashed once per test binary, so fixtures
// cost no KDF runs; only the behaviour under test does.
// testPINKey is the PIN key of every Service in these tests, so that a second Service (a
// restarted program, another instance) checks the PINs the first one hashed.
var testPINKey = []byte("account tests' PIN key, 32 bytes")

const (
	fixturePassword = "river-stone-42"
	fixturePIN      = "739154"
)

var fixtureHashes = sync.OnceValues(func() ([2]string, error) {
	s := account.NewService(nil, account.Options{PINKey: testPINKey})
	pw, err := s.HashPassword(fixturePassword)
	if err != nil {
		return [2]string{}, err
	}
	pin, err := s.HashPIN(fixturePIN)
	return [2]string{pw, pin}, err
})

// clock is a fake clock that moves only when a test says so.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// world is a small installation: one county with townships A and B, villages Alder and
// Aspen in A and Birch in B, a centre in each village, and one account of each kind.
type world struct {
	ctx   context.Context
	g     *gorm.DB
	clock *clock
	svc   *account.Service

	county, townA, townB, alder, aspen, birch *account.Region
	centreAlder, centreAspen, centreBirch     *account.Centre

	admin       *account.User // "ops"
	coordCounty *account.User // coordinator of the county
	coordA      *account.User // coordinator of township A
	partnerA1   *account.User // "partner-a1" at the Alder centre, phone 13800000011
	partnerA2   *account.User // "partner-a2" at the Aspen centre
	partnerB1   *account.User // "partner-b1" at the Birch centre
	villagerA1  *account.User // phone 13800000001 with a PIN, at the Alder centre
}

func newWorld(t *testing.T, g *gorm.DB) *world {
	t.Helper()
	w := &world{ctx: context.Background(), g: g, clock: newClock()}
	w.svc = account.NewService(g, account.Options{PINKey: testPINKey, Now: w.clock.Now})
	w.admin = w.addUser(t, account.User{Login: "ops", Name: "Ops", Role: account.RoleAdmin})

	w.county = w.addRegion(t, "Clearwater", account.LevelCounty, nil)
	w.townA = w.addRegion(t, "Town A", account.LevelTownship, w.county)
	w.townB = w.addRegion(t, "Town B", account.LevelTownship, w.county)
	w.alder = w.addRegion(t, "Alder", account.LevelVillage, w.townA)
	w.aspen = w.addRegion(t, "Aspen", account.LevelVillage, w.townA)
	w.birch = w.addRegion(t, "Birch", account.LevelVillage, w.townB)
	w.centreAlder = w.addCentre(t, "Alder centre", w.alder)
	w.centreAspen = w.addCentre(t, "Aspen centre", w.aspen)
	w.centreBirch = w.addCentre(t, "Birch centre", w.birch)

	w.coordCounty = w.addUser(t, account.User{Login: "coord-county", Name: "County coordinator", Role: account.RoleCoordinator, RegionID: &w.county.ID})
	w.coordA = w.addUser(t, account.User{Login: "coord-a", Name: "Coordinator A", Role: account.RoleCoordinator, RegionID: &w.townA.ID})
	w.partnerA1 = w.addUser(t, account.User{Login: "partner-a1", Name: "Partner A1", Phone: ptr("13800000011"), Role: account.RolePartner, CentreID: &w.centreAlder.ID})
	w.partnerA2 = w.addUser(t, account.User{Login: "partner-a2", Name: "Partner A2", Role: account.RolePartner, CentreID: &w.centreAspen.ID})
	w.partnerB1 = w.addUser(t, account.User{Login: "partner-b1", Name: "Partner B1", Role: account.RolePartner, CentreID: &w.centreBirch.ID})
	w.villagerA1 = w.addUser(t, account.User{Login: "13800000001", Name: "Villager A1", Phone: ptr("13800000001"), Role: account.RoleVillager, CentreID: &w.centreAlder.ID})
	return w
}

func (w *world) addRegion(t *testing.T, name string, level account.Level, parent *account.Region) *account.Region {
	t.Helper()
	f := account.RegionForm{Name: name, Level: level}
	if parent != nil {
		f.ParentID = parent.ID
	}
	r, err := w.svc.CreateRegion(w.ctx, w.admin, f)
	if err != nil {
		t.Fatalf("create region %s: %v", name, err)
	}
	return r
}

func (w *world) addCentre(t *testing.T, name string, village *account.Region) *account.Centre {
	t.Helper()
	c, err := w.svc.CreateCentre(w.ctx, w.admin, account.CentreForm{Name: name, RegionID: village.ID})
	if err != nil {
		t.Fatalf("create centre %s: %v", name, err)
	}
	return c
}

// addUser inserts an account straight into the database with the fixture secrets:
// a password for everyone but villagers, a PIN for villagers.
func (w *world) addUser(t *testing.T, u account.User) *account.User {
	t.Helper()
	h, err := fixtureHashes()
	if err != nil {
		t.Fatalf("hash fixture secrets: %v", err)
	}
	if u.Role == account.RoleVillager {
		u.PINHash = h[1]
	} else {
		u.PasswordHash = h[0]
	}
	u.Active = true
	err = w.g.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&u).Error; err != nil {
			return err
		}
		return account.CountLearners(tx, &u)
	})
	if err != nil {
		t.Fatalf("insert user %s: %v", u.Login, err)
	}
	return &u
}

// countUsers counts accounts matching a condition (all accounts when query is "").
func (w *world) countUsers(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	var n int64
	q := w.g.Model(&account.User{})
	if query != "" {
		q = q.Where(query, args...)
	}
	if err := q.Count(&n).Error; err != nil {
		t.Fatalf("count users: %v", err)
	}
	return n
}

func (w *world) sessions(t *testing.T, u *account.User) int64 {
	t.Helper()
	n, err := w.svc.CountSessions(w.ctx, u.ID)
	if err != nil {
		t.Fatalf("count sessions: %v", err)
	}
	return n
}

func (w *world) startSession(t *testing.T, u *account.User) string {
	t.Helper()
	tok, err := w.svc.StartSession(w.ctx, u, "", "192.0.2.1", "test-agent")
	if err != nil {
		t.Fatalf("start session for %s: %v", u.Login, err)
	}
	return tok
}

func ptr[T any](v T) *T { return &v }

// wantErr fails the test unless err is an *errs.Error with the given code and, when key
// is not "", the given message key.
func wantErr(t *testing.T, err error, code errs.Code, key string) *errs.Error {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want %s %s", err, code, key)
	}
	if e.Code != code || (key != "" && e.Key != key) {
		t.Fatalf("err = %v, want %s %s", err, code, key)
	}
	return e
}

// wantFieldErr is wantErr for an Invalid error about one form field.
func wantFieldErr(t *testing.T, err error, field, key string) {
	t.Helper()
	if e := wantErr(t, err, errs.Invalid, key); e.Field != field {
		t.Fatalf("err = %v, want field %q", err, field)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ids[T any](rows []T, id func(T) uint) []uint {
	out := make([]uint, 0, len(rows))
	for _, r := range rows {
		out = append(out, id(r))
	}
	return out
}

func sameIDs(t *testing.T, what string, got, want []uint) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// reopen opens a second connection pool to the database behind g, as a restarted process
// (or a second app instance) would, and closes it when the test ends.
func reopen(t *testing.T, g *gorm.DB) *gorm.DB {
	t.Helper()
	var url string
	switch d := g.Dialector.(type) {
	case *sqlite.Dialector:
		url = d.DSN
	case *postgres.Dialector:
		url = d.Config.DSN
	default:
		t.Fatalf("unknown dialector %T", g.Dialector)
	}
	g2, err := db.Open(context.Background(), url, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("reopen database: %v", err)
	}
	t.Cleanup(func() { db.Close(g2) })
	return g2
}

package account_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
)

func TestSignIn(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		tests := []struct {
			name     string
			login    string
			password string
			want     *account.User // nil: refused with error.login_failed
		}{
			{"right", "partner-a1", fixturePassword, w.partnerA1},
			{"login as typed", "  Partner-A1 ", fixturePassword, w.partnerA1},
			{"wrong password", "partner-a1", "river-stone-43", nil},
			{"empty password", "partner-a1", "", nil},
			{"unknown login", "nobody-here", fixturePassword, nil},
			{"villager has no password", "13800000001", "", nil},
			{"villager PIN as password", "13800000001", fixturePIN, nil},
			{"very long login", strings.Repeat("a", 200), fixturePassword, nil},
			{"login not UTF-8", "partner-a1\xff", fixturePassword, nil},
			{"login with a NUL byte", "partner-a1\x00", fixturePassword, nil},
			{"password longer than allowed", "partner-a1", fixturePassword + strings.Repeat("x", 600), nil},
		}
		var failed *errs.Error
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := w.svc.SignIn(w.ctx, tt.login, tt.password, "192.0.2.1")
				if tt.want != nil {
					if err != nil || u.ID != tt.want.ID {
						t.Fatalf("SignIn = %v, %v; want %s", u, err, tt.want.Login)
					}
					return
				}
				e := wantErr(t, err, errs.Unauthorized, "error.login_failed")
				if u != nil {
					t.Errorf("returned %+v with the error", u)
				}
				// Every wrong combination looks the same to the person signing in.
				if failed == nil {
					failed = e
				} else if e.Field != failed.Field || e.Error() != failed.Error() || len(e.Args) != len(failed.Args) {
					t.Errorf("error %v differs from %v", e, failed)
				}
			})
		}
	})
}

func TestSignInPIN(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		tests := []struct {
			name  string
			phone string
			pin   string
			want  *account.User
		}{
			{"right", "13800000001", fixturePIN, w.villagerA1},
			{"phone as typed", "+86 138-0000-0001", fixturePIN, w.villagerA1},
			{"wrong PIN", "13800000001", "902817", nil},
			{"empty PIN", "13800000001", "", nil},
			{"unknown phone", "13800000002", fixturePIN, nil},
			{"not a phone", "hello", fixturePIN, nil},
			{"partner's phone has no PIN", "13800000011", "", nil},
			{"password as PIN", "13800000011", fixturePassword, nil},
			{"very long phone", strings.Repeat("1", 200), fixturePIN, nil},
			{"phone not UTF-8", "1380000000\xff", fixturePIN, nil},
			{"phone with a NUL byte", "1380000000\x00", fixturePIN, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := w.svc.SignInPIN(w.ctx, tt.phone, tt.pin, "192.0.2.1")
				if tt.want != nil {
					if err != nil || u.ID != tt.want.ID {
						t.Fatalf("SignInPIN = %v, %v; want %s", u, err, tt.want.Login)
					}
					return
				}
				wantErr(t, err, errs.Unauthorized, "error.login_failed")
				if u != nil {
					t.Errorf("returned %+v with the error", u)
				}
			})
		}
	})
}

func TestSignInInactive(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		must(t, w.svc.SetActive(w.ctx, w.admin, w.partnerA1.ID, false))
		must(t, w.svc.SetActive(w.ctx, w.admin, w.villagerA1.ID, false))

		// The right secret gets the same answer as a wrong one, so it confirms no guess.
		_, err := w.svc.SignIn(w.ctx, "partner-a1", fixturePassword, "192.0.2.1")
		wantErr(t, err, errs.Unauthorized, "error.login_failed")
		_, err = w.svc.SignInPIN(w.ctx, "13800000001", fixturePIN, "192.0.2.1")
		wantErr(t, err, errs.Unauthorized, "error.login_failed")
		_, err = w.svc.SignIn(w.ctx, "partner-a1", "river-stone-43", "192.0.2.1")
		wantErr(t, err, errs.Unauthorized, "error.login_failed")
		// And it counts like one: after five tries the account is locked, as any other.
		for range 3 {
			_, err = w.svc.SignIn(w.ctx, "partner-a1", fixturePassword, "192.0.2.1")
			wantErr(t, err, errs.Unauthorized, "error.login_failed")
		}
		_, err = w.svc.SignIn(w.ctx, "partner-a1", fixturePassword, "192.0.2.1")
		wantErr(t, err, errs.TooMany, "error.too_many_attempts")
	})
}

func TestEnsureAdmin(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		ctx := context.Background()
		s := account.NewService(g, account.Options{PINKey: testPINKey})
		password, err := s.EnsureAdmin(ctx)
		must(t, err)
		if len(password) < 20 {
			t.Fatalf("first password %q: want at least 20 random characters", password)
		}
		if err := account.CheckPassword(password, "admin"); err != nil {
			t.Errorf("the generated password breaks the rules: %v", err)
		}
		u, err := s.SignIn(ctx, "admin", password, "192.0.2.1")
		must(t, err)
		if u.Role != account.RoleAdmin || !u.Active || !u.MustChangePassword {
			t.Errorf("first admin %+v: want an active admin who must choose their own password (the first one is printed)", u)
		}

		again, err := account.NewService(g, account.Options{PINKey: testPINKey}).EnsureAdmin(ctx)
		if err != nil || again != "" {
			t.Fatalf("second call = %q, %v; want \"\"", again, err)
		}
		var n int64
		must(t, g.Model(&account.User{}).Where("role = ?", account.RoleAdmin).Count(&n).Error)
		if n != 1 {
			t.Errorf("%d admins, want 1", n)
		}
		if _, err := s.SignIn(ctx, "admin", password, "192.0.2.1"); err != nil {
			t.Errorf("the first password stopped working: %v", err)
		}
	})
}

func TestEnsureAdminConcurrent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		// Two instances starting on one new database: exactly one creates the admin.
		var wg sync.WaitGroup
		passwords := make([]string, 2)
		errList := make([]error, 2)
		for i := range passwords {
			wg.Go(func() {
				passwords[i], errList[i] = account.NewService(g, account.Options{PINKey: testPINKey}).EnsureAdmin(context.Background())
			})
		}
		wg.Wait()
		for _, err := range errList {
			must(t, err)
		}
		if (passwords[0] == "") == (passwords[1] == "") {
			t.Fatalf("passwords %q and %q: want exactly one", passwords[0], passwords[1])
		}
		var n int64
		must(t, g.Model(&account.User{}).Where("role = ?", account.RoleAdmin).Count(&n).Error)
		if n != 1 {
			t.Errorf("%d admins, want 1", n)
		}
	})
}

// TestPINTriesLeftAndPartnerReset: a wrong PIN says how many tries the phone number has left
// (the same for a number nobody has); the partner of the villager's centre, and no other,
// sets a new PIN, which lifts the lock and ends the villager's sessions.
func TestPINTriesLeftAndPartnerReset(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		token, err := w.svc.StartSession(w.ctx, w.villagerA1, "", "192.0.2.1", "test")
		must(t, err)
		for _, phone := range []string{"13800000001", "13999999999"} {
			for try := 1; try <= 5; try++ {
				_, err := w.svc.SignInPIN(w.ctx, phone, "975310", "192.0.2.1")
				e := wantErr(t, err, errs.Unauthorized, "error.login_failed")
				if left := e.Args["Left"]; left != 5-try {
					t.Errorf("%s try %d: %v tries left, want %d", phone, try, left, 5-try)
				}
			}
		}
		_, err = w.svc.SignInPIN(w.ctx, "13800000001", fixturePIN, "192.0.2.1")
		wantErr(t, err, errs.TooMany, "")

		if _, err := w.svc.ResetVillagerPIN(w.ctx, w.partnerB1, w.villagerA1.ID, "605182"); !errs.Is(err, errs.NotFound) {
			t.Errorf("another centre's partner: %v, want not found", err)
		}
		if _, err := w.svc.ResetVillagerPIN(w.ctx, w.partnerA1, w.villagerA1.ID, "111111"); !errs.Is(err, errs.Invalid) {
			t.Errorf("an easy PIN: %v, want invalid", err)
		}
		if _, err := w.svc.ResetVillagerPIN(w.ctx, w.partnerA1, w.partnerA1.ID, "605182"); !errs.Is(err, errs.NotFound) {
			t.Errorf("a partner's own account: %v, want not found", err)
		}
		if _, err := w.svc.ResetVillagerPIN(w.ctx, w.partnerA1, w.villagerA1.ID, "605182"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.SignInPIN(w.ctx, "13800000001", "605182", "192.0.2.1"); err != nil {
			t.Errorf("the new PIN, right after the lock: %v", err)
		}
		if _, err := w.svc.SessionUser(w.ctx, token); err == nil {
			t.Error("a session from before the new PIN still works")
		}
	})
}

package account_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
)

func TestCreateAccount(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		ctx := w.ctx
		// A partner whose login happens to be a phone number nobody has.
		w.addUser(t, account.User{Login: "13900000009", Name: "Digits", Role: account.RolePartner, CentreID: &w.centreBirch.ID})
		before := w.countUsers(t, "")

		refused := []struct {
			name  string
			actor *account.User
			form  account.AccountForm
			code  errs.Code
			field string
			key   string
		}{
			{"no role", w.admin, account.AccountForm{Login: "new-one", Name: "N", Password: "good-pass-1"},
				errs.Invalid, "role", "error.role_invalid"},
			{"unknown role", w.admin, account.AccountForm{Login: "new-one", Name: "N", Role: "root", Password: "good-pass-1"},
				errs.Invalid, "role", "error.role_invalid"},
			{"no name", w.admin, account.AccountForm{Login: "new-one", Name: " ", Role: account.RoleAdmin, Password: "good-pass-1"},
				errs.Invalid, "name", "error.required"},
			{"login too short", w.admin, account.AccountForm{Login: "ab", Name: "N", Role: account.RoleAdmin, Password: "good-pass-1"},
				errs.Invalid, "login", "error.login_invalid"},
			{"login with a space", w.admin, account.AccountForm{Login: "new one", Name: "N", Role: account.RoleAdmin, Password: "good-pass-1"},
				errs.Invalid, "login", "error.login_invalid"},
			{"login in Chinese", w.admin, account.AccountForm{Login: "管理员", Name: "N", Role: account.RoleAdmin, Password: "good-pass-1"},
				errs.Invalid, "login", "error.login_invalid"},
			{"bad phone", w.admin, account.AccountForm{Login: "new-one", Name: "N", Phone: "12345", Role: account.RoleAdmin, Password: "good-pass-1"},
				errs.Invalid, "phone", "error.phone_invalid"},
			{"coordinator without region", w.admin, account.AccountForm{Login: "new-one", Name: "N", Role: account.RoleCoordinator, Password: "good-pass-1"},
				errs.Invalid, "region", "error.coordinator_needs_region"},
			{"coordinator in missing region", w.admin, account.AccountForm{Login: "new-one", Name: "N", Role: account.RoleCoordinator, RegionID: 99999, Password: "good-pass-1"},
				errs.Invalid, "region", "error.coordinator_needs_region"},
			{"coordinator with a centre only", w.admin, account.AccountForm{Login: "new-one", Name: "N", Role: account.RoleCoordinator, CentreID: w.centreAlder.ID, Password: "good-pass-1"},
				errs.Invalid, "region", "error.coordinator_needs_region"},
			{"partner without centre", w.admin, account.AccountForm{Login: "new-one", Name: "N", Role: account.RolePartner, RegionID: w.alder.ID, Password: "good-pass-1"},
				errs.Invalid, "centre", "error.account_needs_centre"},
			{"partner in missing centre", w.admin, account.AccountForm{Login: "new-one", Name: "N", Role: account.RolePartner, CentreID: 99999, Password: "good-pass-1"},
				errs.Invalid, "centre", "error.account_needs_centre"},
			{"partner without password", w.admin, account.AccountForm{Login: "new-one", Name: "N", Role: account.RolePartner, CentreID: w.centreAlder.ID},
				errs.Invalid, "password", "error.password_too_short"},
			{"partner with common password", w.admin, account.AccountForm{Login: "new-one", Name: "N", Role: account.RolePartner, CentreID: w.centreAlder.ID, Password: "Password123"},
				errs.Invalid, "password", "error.password_common"},
			{"password equal to login", w.admin, account.AccountForm{Login: "New-One-Two", Name: "N", Role: account.RolePartner, CentreID: w.centreAlder.ID, Password: "new-one-two"},
				errs.Invalid, "password", "error.password_common"},
			{"villager without centre", w.admin, account.AccountForm{Name: "N", Phone: "13900000009", Role: account.RoleVillager, PIN: "739154"},
				errs.Invalid, "centre", "error.account_needs_centre"},
			{"villager without phone", w.admin, account.AccountForm{Login: "new-one", Name: "N", Role: account.RoleVillager, CentreID: w.centreAlder.ID, PIN: "739154"},
				errs.Invalid, "phone", "error.villager_needs_phone"},
			{"villager without PIN", w.admin, account.AccountForm{Name: "N", Phone: "13900000009", Role: account.RoleVillager, CentreID: w.centreAlder.ID},
				errs.Invalid, "pin", "error.pin_format"},
			{"villager with weak PIN", w.admin, account.AccountForm{Name: "N", Phone: "13900000009", Role: account.RoleVillager, CentreID: w.centreAlder.ID, PIN: "123456"},
				errs.Invalid, "pin", "error.pin_weak"},
			{"villager with short PIN", w.admin, account.AccountForm{Name: "N", Phone: "13900000009", Role: account.RoleVillager, CentreID: w.centreAlder.ID, PIN: "1234"},
				errs.Invalid, "pin", "error.pin_format"},
			{"login taken", w.admin, account.AccountForm{Login: "partner-a1", Name: "N", Role: account.RolePartner, CentreID: w.centreAlder.ID, Password: "good-pass-1"},
				errs.Invalid, "login", "error.login_taken"},
			{"login taken in other case", w.admin, account.AccountForm{Login: " Partner-A1 ", Name: "N", Role: account.RoleAdmin, Password: "good-pass-1"},
				errs.Invalid, "login", "error.login_taken"},
			// A villager's login is their phone, so the phone is what is reported taken.
			{"villager phone taken", w.admin, account.AccountForm{Name: "N", Phone: "13800000001", Role: account.RoleVillager, CentreID: w.centreAlder.ID, PIN: "739154"},
				errs.Invalid, "phone", "error.phone_taken"},
			{"villager phone is another's login", w.admin, account.AccountForm{Name: "N", Phone: "13900000009", Role: account.RoleVillager, CentreID: w.centreAlder.ID, PIN: "739154"},
				errs.Invalid, "login", "error.login_taken"},
			{"phone taken", w.admin, account.AccountForm{Login: "new-one", Name: "N", Phone: "+86 138-0000-0011", Role: account.RolePartner, CentreID: w.centreAlder.ID, Password: "good-pass-1"},
				errs.Invalid, "phone", "error.phone_taken"},
			{"coordinator actor", w.coordCounty, account.AccountForm{Login: "new-one", Name: "N", Role: account.RoleAdmin, Password: "good-pass-1"},
				errs.Forbidden, "", "error.forbidden"},
			{"partner actor", w.partnerA1, account.AccountForm{Name: "N", Phone: "13900000009", Role: account.RoleVillager, CentreID: w.centreAlder.ID, PIN: "739154"},
				errs.Forbidden, "", "error.forbidden"},
			{"signed out", nil, account.AccountForm{Login: "new-one", Name: "N", Role: account.RoleAdmin, Password: "good-pass-1"},
				errs.Unauthorized, "", "error.signed_out"},
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				u, err := w.svc.CreateAccount(ctx, tt.actor, tt.form)
				if e := wantErr(t, err, tt.code, tt.key); e.Field != tt.field {
					t.Errorf("field %q, want %q", e.Field, tt.field)
				}
				if u != nil {
					t.Errorf("returned account %+v", u)
				}
			})
		}
		if n := w.countUsers(t, ""); n != before {
			t.Fatalf("%d accounts after refusals, want %d", n, before)
		}

		t.Run("coordinator", func(t *testing.T) {
			u, err := w.svc.CreateAccount(ctx, w.admin, account.AccountForm{Login: " Coord-New ", Name: " 周老师 ",
				Role: account.RoleCoordinator, RegionID: w.townB.ID, CentreID: w.centreBirch.ID, Password: "谁知盘中餐粒粒皆辛苦"})
			must(t, err)
			got, err := w.svc.User(ctx, u.ID)
			must(t, err)
			if got.Login != "coord-new" || got.Name != "周老师" || got.Role != account.RoleCoordinator || !got.Active ||
				got.RegionID == nil || *got.RegionID != w.townB.ID || got.CentreID != nil || got.Phone != nil {
				t.Errorf("stored %+v", got)
			}
			if got.RegisteredByID == nil || *got.RegisteredByID != w.admin.ID {
				t.Errorf("registered by %v, want %d", got.RegisteredByID, w.admin.ID)
			}
			if !got.MustChangePassword {
				t.Error("a password the admin chose is not marked to be changed")
			}
			if !strings.HasPrefix(got.PasswordHash, "$argon2id$") || got.PINHash != "" {
				t.Errorf("hashes %q %q", got.PasswordHash, got.PINHash)
			}
			signedIn, err := w.svc.SignIn(ctx, "coord-new", "谁知盘中餐粒粒皆辛苦", "192.0.2.1")
			if err != nil || signedIn.ID != u.ID {
				t.Fatalf("sign in with the new password: %v, %v", signedIn, err)
			}
		})

		t.Run("villager", func(t *testing.T) {
			u, err := w.svc.CreateAccount(ctx, w.admin, account.AccountForm{Name: "Villager", Phone: "+86 139 0000 0002",
				Role: account.RoleVillager, CentreID: w.centreBirch.ID, RegionID: w.county.ID, PIN: "902817"})
			must(t, err)
			got, err := w.svc.User(ctx, u.ID)
			must(t, err)
			if got.Login != "13900000002" || got.PhoneNumber() != "13900000002" || got.RegionID != nil ||
				got.CentreID == nil || *got.CentreID != w.centreBirch.ID {
				t.Errorf("stored %+v", got)
			}
			if got.PasswordHash != "" || !strings.HasPrefix(got.PINHash, "hmac-sha256$") || got.MustChangePassword {
				t.Errorf("hashes %q %q, must change a password %v", got.PasswordHash, got.PINHash, got.MustChangePassword)
			}
			signedIn, err := w.svc.SignInPIN(ctx, "139-0000-0002", "902817", "192.0.2.1")
			if err != nil || signedIn.ID != u.ID {
				t.Fatalf("sign in with the new PIN: %v, %v", signedIn, err)
			}
		})
	})
}

func TestRegisterVillager(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		ctx := w.ctx
		noCentre := w.addUser(t, account.User{Login: "partner-none", Name: "No centre", Role: account.RolePartner})

		refused := []struct {
			name  string
			actor *account.User
			form  account.VillagerForm
			code  errs.Code
			key   string
		}{
			{"partner at another centre", w.partnerA1, account.VillagerForm{Name: "V", Phone: "13900000021", PIN: "739154", CentreID: w.centreBirch.ID},
				errs.Forbidden, "error.other_centre"},
			{"partner without centre", noCentre, account.VillagerForm{Name: "V", Phone: "13900000021", PIN: "739154", CentreID: w.centreAlder.ID},
				errs.Forbidden, "error.other_centre"},
			{"coordinator", w.coordA, account.VillagerForm{Name: "V", Phone: "13900000021", PIN: "739154", CentreID: w.centreAlder.ID},
				errs.Forbidden, "error.forbidden"},
			{"villager", w.villagerA1, account.VillagerForm{Name: "V", Phone: "13900000021", PIN: "739154", CentreID: w.centreAlder.ID},
				errs.Forbidden, "error.forbidden"},
			{"signed out", nil, account.VillagerForm{Name: "V", Phone: "13900000021", PIN: "739154", CentreID: w.centreAlder.ID},
				errs.Unauthorized, "error.signed_out"},
			{"bad phone", w.partnerA1, account.VillagerForm{Name: "V", Phone: "23900000021", PIN: "739154", CentreID: w.centreAlder.ID},
				errs.Invalid, "error.phone_invalid"},
			{"phone taken", w.partnerA1, account.VillagerForm{Name: "V", Phone: "13800000001", PIN: "739154", CentreID: w.centreAlder.ID},
				errs.Invalid, "error.phone_taken"},
			{"weak PIN", w.partnerA1, account.VillagerForm{Name: "V", Phone: "13900000021", PIN: "111111", CentreID: w.centreAlder.ID},
				errs.Invalid, "error.pin_weak"},
			{"no name", w.partnerA1, account.VillagerForm{Phone: "13900000021", PIN: "739154", CentreID: w.centreAlder.ID},
				errs.Invalid, "error.required"},
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				u, err := w.svc.RegisterVillager(ctx, tt.actor, tt.form)
				wantErr(t, err, tt.code, tt.key)
				if u != nil {
					t.Errorf("returned %+v", u)
				}
				if n := w.countUsers(t, "phone = ?", "13900000021"); n != 0 {
					t.Errorf("%d accounts written", n)
				}
			})
		}

		own, err := w.svc.RegisterVillager(ctx, w.partnerA1, account.VillagerForm{Name: " 王大妈 ", Phone: "139 0000 0021", PIN: "739154", CentreID: w.centreAlder.ID})
		must(t, err)
		got, err := w.svc.User(ctx, own.ID)
		must(t, err)
		if got.Role != account.RoleVillager || got.Name != "王大妈" || got.Login != "13900000021" || got.PhoneNumber() != "13900000021" ||
			got.CentreID == nil || *got.CentreID != w.centreAlder.ID || got.RegisteredByID == nil || *got.RegisteredByID != w.partnerA1.ID ||
			got.PasswordHash != "" || got.PINHash == "" || !got.Active {
			t.Errorf("registered %+v", got)
		}

		byAdmin, err := w.svc.RegisterVillager(ctx, w.admin, account.VillagerForm{Name: "V", Phone: "13900000022", PIN: "739154", CentreID: w.centreBirch.ID})
		must(t, err)
		if byAdmin.CentreID == nil || *byAdmin.CentreID != w.centreBirch.ID || *byAdmin.RegisteredByID != w.admin.ID {
			t.Errorf("registered by admin: %+v", byAdmin)
		}

		t.Run("villagers of a centre", func(t *testing.T) {
			vs, err := w.svc.VillagersOf(ctx, w.partnerA1, w.centreAlder.ID)
			must(t, err)
			sameIDs(t, "villagers at Alder", ids(vs, func(u account.User) uint { return u.ID }), []uint{w.villagerA1.ID, own.ID})
			vs, err = w.svc.VillagersOf(ctx, w.admin, w.centreBirch.ID)
			must(t, err)
			sameIDs(t, "villagers at Birch", ids(vs, func(u account.User) uint { return u.ID }), []uint{byAdmin.ID})
			_, err = w.svc.VillagersOf(ctx, w.partnerA1, w.centreBirch.ID)
			wantErr(t, err, errs.Forbidden, "error.other_centre")
			_, err = w.svc.VillagersOf(ctx, w.coordCounty, w.centreBirch.ID)
			wantErr(t, err, errs.Forbidden, "error.forbidden")
		})
	})
}

func TestUpdateAccount(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		ctx := w.ctx
		w.startSession(t, w.partnerA1)
		w.startSession(t, w.partnerA1)
		other := w.startSession(t, w.partnerB1)

		form := account.AccountForm{Login: "partner-a1", Name: "Partner A1 renamed", Phone: "13800000011", Role: account.RoleAdmin, CentreID: w.centreAspen.ID}
		must(t, w.svc.UpdateAccount(ctx, w.admin, w.partnerA1.ID, form))
		got, err := w.svc.User(ctx, w.partnerA1.ID)
		must(t, err)
		if got.Name != "Partner A1 renamed" || got.Role != account.RolePartner || *got.CentreID != w.centreAspen.ID || got.PasswordHash != w.partnerA1.PasswordHash {
			t.Errorf("after update without secrets: %+v", got)
		}
		if n := w.sessions(t, w.partnerA1); n != 2 {
			t.Errorf("%d sessions after an update without a new password, want 2", n)
		}

		refused := []struct {
			name  string
			actor *account.User
			id    uint
			form  account.AccountForm
			code  errs.Code
			key   string
		}{
			{"login of another", w.admin, w.partnerA1.ID, account.AccountForm{Login: "partner-b1", Name: "N", CentreID: w.centreAlder.ID}, errs.Invalid, "error.login_taken"},
			{"phone of another", w.admin, w.partnerA1.ID, account.AccountForm{Login: "partner-a1", Name: "N", Phone: "13800000001", CentreID: w.centreAlder.ID}, errs.Invalid, "error.phone_taken"},
			{"weak password", w.admin, w.partnerA1.ID, account.AccountForm{Login: "partner-a1", Name: "N", CentreID: w.centreAlder.ID, Password: "12345678"}, errs.Invalid, "error.password_common"},
			{"villager loses phone", w.admin, w.villagerA1.ID, account.AccountForm{Login: "13800000001", Name: "N", CentreID: w.centreAlder.ID}, errs.Invalid, "error.villager_needs_phone"},
			{"missing account", w.admin, 99999, account.AccountForm{Login: "nobody", Name: "N"}, errs.NotFound, "error.not_found"},
			{"coordinator", w.coordCounty, w.partnerA1.ID, account.AccountForm{Login: "partner-a1", Name: "N", CentreID: w.centreAlder.ID}, errs.Forbidden, "error.forbidden"},
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				wantErr(t, w.svc.UpdateAccount(ctx, tt.actor, tt.id, tt.form), tt.code, tt.key)
			})
		}

		t.Run("new password ends sessions", func(t *testing.T) {
			form.Password = "a-new-secret-9"
			must(t, w.svc.UpdateAccount(ctx, w.admin, w.partnerA1.ID, form))
			if n := w.sessions(t, w.partnerA1); n != 0 {
				t.Errorf("%d sessions after a password reset, want 0", n)
			}
			if _, err := w.svc.SessionUser(ctx, other); err != nil {
				t.Errorf("another account's session ended too: %v", err)
			}
			if _, err := w.svc.SignIn(ctx, "partner-a1", "a-new-secret-9", "192.0.2.1"); err != nil {
				t.Errorf("sign in with the new password: %v", err)
			}
			_, err := w.svc.SignIn(ctx, "partner-a1", fixturePassword, "192.0.2.1")
			wantErr(t, err, errs.Unauthorized, "error.login_failed")
		})

		t.Run("new PIN ends sessions", func(t *testing.T) {
			w.startSession(t, w.villagerA1)
			must(t, w.svc.UpdateAccount(ctx, w.admin, w.villagerA1.ID, account.AccountForm{Name: "Villager A1", Phone: "13800000001", CentreID: w.centreAlder.ID, PIN: "902817"}))
			if n := w.sessions(t, w.villagerA1); n != 0 {
				t.Errorf("%d sessions after a PIN reset, want 0", n)
			}
			got, err := w.svc.User(ctx, w.villagerA1.ID)
			must(t, err)
			if got.PINHash == w.villagerA1.PINHash || got.Login != "13800000001" {
				t.Errorf("after PIN reset: %+v", got)
			}
		})
	})
}

func TestSetActive(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		ctx := w.ctx
		tok := w.startSession(t, w.partnerA1)
		w.startSession(t, w.partnerA1)

		must(t, w.svc.SetActive(ctx, w.admin, w.partnerA1.ID, false))
		if n := w.sessions(t, w.partnerA1); n != 0 {
			t.Errorf("%d sessions after deactivation, want 0", n)
		}
		_, err := w.svc.SessionUser(ctx, tok)
		wantErr(t, err, errs.Unauthorized, "")
		got, err := w.svc.User(ctx, w.partnerA1.ID)
		must(t, err)
		if got.Active {
			t.Fatal("still active")
		}

		must(t, w.svc.SetActive(ctx, w.admin, w.partnerA1.ID, true))
		got, err = w.svc.User(ctx, w.partnerA1.ID)
		must(t, err)
		if !got.Active {
			t.Fatal("not reactivated")
		}

		wantErr(t, w.svc.SetActive(ctx, w.admin, w.admin.ID, false), errs.Conflict, "error.cannot_deactivate_self")
		if got, _ := w.svc.User(ctx, w.admin.ID); got == nil || !got.Active {
			t.Error("the admin deactivated themselves")
		}
		must(t, w.svc.SetActive(ctx, w.admin, w.admin.ID, true))
		wantErr(t, w.svc.SetActive(ctx, w.admin, 99999, false), errs.NotFound, "error.not_found")
		wantErr(t, w.svc.SetActive(ctx, w.coordCounty, w.partnerB1.ID, false), errs.Forbidden, "error.forbidden")
		wantErr(t, w.svc.SetActive(ctx, w.partnerA1, w.partnerA1.ID, false), errs.Forbidden, "error.forbidden")

		t.Run("session of an account deactivated elsewhere", func(t *testing.T) {
			// Another path (or instance) may mark the account inactive without deleting
			// sessions; SessionUser must still refuse it and clean up.
			tok := w.startSession(t, w.partnerB1)
			must(t, g.Model(&account.User{}).Where("id = ?", w.partnerB1.ID).Update("active", false).Error)
			_, err := w.svc.SessionUser(ctx, tok)
			wantErr(t, err, errs.Unauthorized, "error.account_inactive")
			if n := w.sessions(t, w.partnerB1); n != 0 {
				t.Errorf("%d sessions left, want 0", n)
			}
		})
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		ctx := w.ctx
		first := w.startSession(t, w.partnerA1)
		keep := w.startSession(t, w.partnerA1)

		err := w.svc.ChangePassword(ctx, w.partnerA1, "wrong-pass-1", "a-new-secret-9", keep)
		wantFieldErr(t, err, "current", "error.current_password_wrong")
		err = w.svc.ChangePassword(ctx, w.partnerA1, fixturePassword, "iloveyou", keep)
		wantFieldErr(t, err, "password", "error.password_common")
		wantErr(t, w.svc.ChangePassword(ctx, nil, fixturePassword, "a-new-secret-9", keep), errs.Unauthorized, "error.signed_out")
		if n := w.sessions(t, w.partnerA1); n != 2 {
			t.Fatalf("%d sessions after refused changes, want 2", n)
		}

		must(t, g.Model(&account.User{}).Where("id = ?", w.partnerA1.ID).Update("must_change_password", true).Error)
		if u, err := w.svc.SessionUser(ctx, keep); err != nil || !u.MustChangePassword {
			t.Fatalf("a password someone else chose is not marked on the session's person: %v", err)
		}
		must(t, w.svc.ChangePassword(ctx, w.partnerA1, fixturePassword, "a-new-secret-9", keep))
		if u, err := w.svc.SessionUser(ctx, keep); err != nil || u.MustChangePassword {
			t.Errorf("the current session ended, or the person must still change the password: %v", err)
		}
		_, err = w.svc.SessionUser(ctx, first)
		wantErr(t, err, errs.Unauthorized, "")
		if _, err := w.svc.SignIn(ctx, "partner-a1", "a-new-secret-9", "192.0.2.1"); err != nil {
			t.Errorf("sign in with the new password: %v", err)
		}
	})
}

func TestPartnersWithin(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		tests := []struct {
			name   string
			actor  *account.User
			region *account.Region
			want   []*account.User // in order: village, centre, name
			code   errs.Code
		}{
			{"admin, county", w.admin, w.county, []*account.User{w.partnerA1, w.partnerA2, w.partnerB1}, ""},
			{"admin, township A", w.admin, w.townA, []*account.User{w.partnerA1, w.partnerA2}, ""},
			{"admin, township B", w.admin, w.townB, []*account.User{w.partnerB1}, ""},
			{"admin, village", w.admin, w.aspen, []*account.User{w.partnerA2}, ""},
			{"county coordinator, county", w.coordCounty, w.county, []*account.User{w.partnerA1, w.partnerA2, w.partnerB1}, ""},
			{"township coordinator, own township", w.coordA, w.townA, []*account.User{w.partnerA1, w.partnerA2}, ""},
			{"township coordinator, own village", w.coordA, w.alder, []*account.User{w.partnerA1}, ""},
			{"township coordinator, other township", w.coordA, w.townB, nil, errs.NotFound},
			{"township coordinator, county", w.coordA, w.county, nil, errs.NotFound},
			{"partner", w.partnerA1, w.alder, nil, errs.Forbidden},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rows, err := w.svc.PartnersWithin(w.ctx, tt.actor, tt.region.ID)
				if tt.code != "" {
					wantErr(t, err, tt.code, "")
					return
				}
				must(t, err)
				sameIDs(t, "partners", ids(rows, func(r account.PartnerRow) uint { return r.ID }),
					ids(tt.want, func(u *account.User) uint { return u.ID }))
			})
		}

		rows, err := w.svc.PartnersWithin(w.ctx, w.admin, w.alder.ID)
		must(t, err)
		if len(rows) != 1 {
			t.Fatalf("%d rows, want 1", len(rows))
		}
		r := rows[0]
		if r.Login != "partner-a1" || r.Name != "Partner A1" || r.Phone == nil || *r.Phone != "13800000011" || !r.Active ||
			r.CentreID != w.centreAlder.ID || r.CentreName != "Alder centre" || r.VillageID != w.alder.ID || r.VillageName != "Alder" {
			t.Errorf("row %+v", r)
		}
	})
}

func TestUsers(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		percent := w.addUser(t, account.User{Login: "pct", Name: "百分之%百", Role: account.RoleVillager, Phone: ptr("13700000001"), CentreID: &w.centreAlder.ID})
		underscore := w.addUser(t, account.User{Login: "under", Name: "a_b", Role: account.RolePartner, CentreID: &w.centreAlder.ID})
		tests := []struct {
			name   string
			filter account.UserFilter
			want   []*account.User // newest first
			total  int64
		}{
			{"all", account.UserFilter{}, []*account.User{underscore, percent, w.villagerA1, w.partnerB1, w.partnerA2, w.partnerA1, w.coordA, w.coordCounty, w.admin}, 9},
			{"role", account.UserFilter{Role: account.RoleVillager}, []*account.User{percent, w.villagerA1}, 2},
			{"centre", account.UserFilter{CentreID: w.centreAlder.ID}, []*account.User{underscore, percent, w.villagerA1, w.partnerA1}, 4},
			{"name", account.UserFilter{Query: "Partner A"}, []*account.User{w.partnerA2, w.partnerA1}, 2},
			{"login", account.UserFilter{Query: "coord-"}, []*account.User{w.coordA, w.coordCounty}, 2},
			{"phone", account.UserFilter{Query: "00000001"}, []*account.User{percent, w.villagerA1}, 2},
			{"percent is literal", account.UserFilter{Query: "%"}, []*account.User{percent}, 1},
			{"underscore is literal", account.UserFilter{Query: "_"}, []*account.User{underscore}, 1},
			{"role and query together", account.UserFilter{Role: account.RolePartner, Query: "00000001"}, nil, 0},
			{"invalid UTF-8 matches nothing", account.UserFilter{Query: "Partner\xff"}, nil, 0},
			{"page", account.UserFilter{Limit: 2, Offset: 1}, []*account.User{percent, w.villagerA1}, 9},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				us, total, err := w.svc.Users(w.ctx, w.admin, tt.filter)
				must(t, err)
				if total != tt.total {
					t.Errorf("total %d, want %d", total, tt.total)
				}
				sameIDs(t, "accounts", ids(us, func(u account.User) uint { return u.ID }), ids(tt.want, func(u *account.User) uint { return u.ID }))
			})
		}
		_, _, err := w.svc.Users(w.ctx, w.coordCounty, account.UserFilter{})
		wantErr(t, err, errs.Forbidden, "error.forbidden")
	})
}

func TestSettings(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		if _, ok, err := w.svc.Setting(w.ctx, "demo_loaded"); err != nil || ok {
			t.Fatalf("unset setting: ok %v, err %v", ok, err)
		}
		must(t, w.svc.SetSetting(w.ctx, nil, "demo_loaded", "one"))
		must(t, w.svc.SetSetting(w.ctx, g, "demo_loaded", "two"))
		if v, ok, err := w.svc.Setting(w.ctx, "demo_loaded"); err != nil || !ok || v != "two" {
			t.Fatalf("setting = %q, %v, %v; want two", v, ok, err)
		}
	})
}

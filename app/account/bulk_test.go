package account_test

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
)

func parse(t *testing.T, text string) []account.EnrolRow {
	t.Helper()
	rows, err := account.ParseEnrolment(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return rows
}

func TestParseEnrolment(t *testing.T) {
	t.Parallel()
	accepted := []struct {
		name string
		text string
		want []account.EnrolRow
	}{
		{"Chinese headers with a BOM and CRLF", "\ufeff姓名,手机号,服务站\r\n王秀英,13900000001,桃园村服务站\r\n陈建国, 139 0000 0002 ,12\r\n",
			[]account.EnrolRow{{Line: 2, Name: "王秀英", Phone: "13900000001", Centre: "桃园村服务站"}, {Line: 3, Name: "陈建国", Phone: "139 0000 0002", Centre: "12"}}},
		{"English headers in another order, without a BOM", "Phone, NAME ,centre\n13900000001,Wang,Alder centre\n",
			[]account.EnrolRow{{Line: 2, Name: "Wang", Phone: "13900000001", Centre: "Alder centre"}}},
		{"other columns are ignored", "备注,姓名,服务站,手机号\n老站长,王秀英,桃园村服务站,13900000001\n",
			[]account.EnrolRow{{Line: 2, Name: "王秀英", Phone: "13900000001", Centre: "桃园村服务站"}}},
		{"empty lines and Excel's empty rows are skipped; lines keep their numbers", "\nname,phone,centre\n\nA,13900000001,X\n,,\n , ,\nB,13900000002,Y\n",
			[]account.EnrolRow{{Line: 4, Name: "A", Phone: "13900000001", Centre: "X"}, {Line: 7, Name: "B", Phone: "13900000002", Centre: "Y"}}},
		{"a short row has empty cells", "name,phone,centre\nA,13900000001\n",
			[]account.EnrolRow{{Line: 2, Name: "A", Phone: "13900000001"}}},
		{"quoted cells, a stray quote", "name,phone,centre\n\"Li, Ming\",13900000001,\"A \"\"big\"\" centre\"\nWang \"Jr\",13900000002,B\n",
			[]account.EnrolRow{{Line: 2, Name: "Li, Ming", Phone: "13900000001", Centre: `A "big" centre`}, {Line: 3, Name: `Wang "Jr"`, Phone: "13900000002", Centre: "B"}}},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			if got := parse(t, tt.text); !slices.Equal(got, tt.want) {
				t.Fatalf("rows = %+v\nwant %+v", got, tt.want)
			}
		})
	}

	gbk, err := simplifiedchinese.GBK.NewEncoder().String("姓名,手机号,服务站\n王秀英,13900000001,桃园村服务站\n")
	if err != nil {
		t.Fatal(err)
	}
	var many, tooMany strings.Builder
	many.WriteString("name,phone,centre\n")
	for i := range account.MaxEnrolRows {
		fmt.Fprintf(&many, "P%d,139%08d,X\n", i, i)
	}
	tooMany.WriteString(many.String() + "One more,13999999999,X\n")
	if rows := parse(t, many.String()); len(rows) != account.MaxEnrolRows || rows[len(rows)-1].Line != account.MaxEnrolRows+1 {
		t.Fatalf("%d rows, last on line %d; want %d rows", len(rows), rows[len(rows)-1].Line, account.MaxEnrolRows)
	}
	huge := "name,phone,centre\n" + strings.Repeat("A,13900000001,"+strings.Repeat("x", 1000)+"\n", 1100)

	refused := []struct {
		name, text, key string
	}{
		{"GBK instead of UTF-8", gbk, "enrol.error.not_utf8"},
		{"a stray invalid byte", "name,phone,centre\nA\xff,13900000001,X\n", "enrol.error.not_utf8"},
		{"missing column", "姓名,手机号\n王秀英,13900000001\n", "enrol.error.header"},
		{"no header", "王秀英,13900000001,桃园村服务站\n", "enrol.error.header"},
		{"a column twice", "name,phone,centre,姓名\nA,13900000001,X,B\n", "enrol.error.header"},
		{"empty", "", "enrol.error.empty"},
		{"only a BOM and blank lines", "\ufeff\n\n", "enrol.error.empty"},
		{"header only", "name,phone,centre\n,,\n", "enrol.error.no_rows"},
		{"too many rows", tooMany.String(), "enrol.error.too_many_rows"},
		{"too large", huge, "enrol.error.too_large"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := account.ParseEnrolment(strings.NewReader(tt.text))
			wantFieldErr(t, err, "csv", tt.key)
		})
	}
}

// enrolFixture is the file the plan and import tests use, in township A of the world:
// good rows and one of every kind of mistake, each on a known line.
func enrolFixture(w *world) string {
	return fmt.Sprintf(`姓名,手机号,服务站
王秀英,139 0000 0001,Alder centre
陈建国,+86 139-0000-0002,%d
全角,１３９０００００００３,Aspen centre
,13900000004,Alder centre
%s,13900000005,Alder centre
坏%c名,13900000006,Alder centre
无手机,,Alder centre
短号,12345,Alder centre
科学,1.39E+10,Alder centre
已登记,13800000011,Alder centre
登录名,13900000009,Alder centre
重复,13900000001,Aspen centre
无站,13900000010,
外镇,13900000012,Birch centre
外镇编号,13900000013,%d
乌有,13900000014,Nowhere centre
同名,13900000015,Twin centre
,,
`, w.centreAspen.ID, strings.Repeat("长", 51), 0x07, w.centreBirch.ID)
}

func TestPlanEnrolment(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		// A partner whose login happens to be a phone number; two centres of one name.
		w.addUser(t, account.User{Login: "13900000009", Name: "Digits", Role: account.RolePartner, CentreID: &w.centreBirch.ID})
		w.addCentre(t, "Twin centre", w.alder)
		w.addCentre(t, "Twin centre", w.aspen)
		before := w.countUsers(t, "")

		plan, err := w.svc.PlanEnrolment(w.ctx, w.coordA, w.townA, parse(t, enrolFixture(w)))
		if err != nil {
			t.Fatal(err)
		}
		if plan.OK() {
			t.Fatal("a plan with bad rows is OK")
		}
		type ready struct {
			line                 int
			name, phone, village string
			centre               uint
		}
		var gotReady []ready
		for _, r := range plan.Ready {
			gotReady = append(gotReady, ready{r.Line, r.Name, r.Phone, r.Centre.Region.Name, r.Centre.ID})
		}
		wantReady := []ready{
			{2, "王秀英", "13900000001", "Alder", w.centreAlder.ID},
			{3, "陈建国", "13900000002", "Aspen", w.centreAspen.ID},
			{4, "全角", "13900000003", "Aspen", w.centreAspen.ID},
		}
		if !slices.Equal(gotReady, wantReady) {
			t.Errorf("ready = %+v\nwant %+v", gotReady, wantReady)
		}
		gotBad := map[int][]string{}
		for _, b := range plan.Bad {
			for _, r := range b.Reasons {
				gotBad[b.Line] = append(gotBad[b.Line], r.Field+" "+r.Key+" "+fmt.Sprint(r.Args))
			}
		}
		wantBad := map[int][]string{
			5:  {"name enrol.error.missing map[]"},
			6:  {"name enrol.error.name_too_long map[Max:50]"},
			7:  {"name enrol.error.name_invalid map[]"},
			8:  {"phone enrol.error.missing map[]"},
			9:  {"phone enrol.error.phone_invalid map[]"},
			10: {"phone enrol.error.phone_scientific map[]"},
			11: {"phone enrol.error.phone_taken map[]"},
			12: {"phone enrol.error.login_taken map[]"},
			13: {"phone enrol.error.phone_repeated map[Line:2]"},
			14: {"centre enrol.error.missing map[]"},
			15: {"centre enrol.error.centre_not_found map[]"},
			16: {"centre enrol.error.centre_not_found map[]"},
			17: {"centre enrol.error.centre_not_found map[]"},
			18: {"centre enrol.error.centre_ambiguous map[]"},
		}
		if !maps.EqualFunc(gotBad, wantBad, slices.Equal) {
			for _, line := range slices.Sorted(maps.Keys(wantBad)) {
				if !slices.Equal(gotBad[line], wantBad[line]) {
					t.Errorf("line %d: reasons %q, want %q", line, gotBad[line], wantBad[line])
				}
			}
			t.Fatalf("bad rows = %v", gotBad)
		}
		if len(plan.Bad) != len(wantBad) || plan.Rows != 17 || plan.TooMany {
			t.Errorf("plan: %d bad, %d rows, too many %v", len(plan.Bad), plan.Rows, plan.TooMany)
		}

		// A row with several mistakes gets every reason.
		plan, err = w.svc.PlanEnrolment(w.ctx, w.coordA, w.townA, parse(t, "name,phone,centre\n,123,Birch centre\n"))
		must(t, err)
		if len(plan.Bad) != 1 || len(plan.Bad[0].Reasons) != 3 {
			t.Errorf("three mistakes in one row: %+v", plan.Bad)
		}

		// The county coordinator sees township B's centres; township A's does not.
		birch := parse(t, "name,phone,centre\nB,13900000020,Birch centre\n")
		plan, err = w.svc.PlanEnrolment(w.ctx, w.coordCounty, w.county, birch)
		must(t, err)
		if !plan.OK() || plan.Ready[0].Centre.ID != w.centreBirch.ID {
			t.Errorf("county coordinator, Birch centre: %+v", plan)
		}
		// Narrowed to township A, the county coordinator no longer finds Birch.
		plan, err = w.svc.PlanEnrolment(w.ctx, w.coordCounty, w.townA, birch)
		must(t, err)
		if plan.OK() || plan.Bad[0].Reasons[0].Key != "enrol.error.centre_not_found" {
			t.Errorf("county coordinator within township A, Birch centre: %+v", plan)
		}
		_, err = w.svc.PlanEnrolment(w.ctx, w.coordA, w.county, birch)
		wantErr(t, err, errs.NotFound, "")
		_, err = w.svc.PlanEnrolment(w.ctx, w.coordA, w.townB, birch)
		wantErr(t, err, errs.NotFound, "")
		_, err = w.svc.PlanEnrolment(w.ctx, w.partnerA1, w.townA, birch)
		wantErr(t, err, errs.Forbidden, "")
		_, err = w.svc.PlanEnrolment(w.ctx, nil, w.townA, birch)
		wantErr(t, err, errs.Unauthorized, "")
		_, err = w.svc.PlanEnrolment(w.ctx, w.coordA, nil, birch)
		wantErr(t, err, errs.NotFound, "")
		plan, err = w.svc.PlanEnrolment(w.ctx, w.admin, w.townB, birch)
		must(t, err)
		if !plan.OK() {
			t.Errorf("admin, Birch centre: %+v", plan.Bad)
		}

		if after := w.countUsers(t, ""); after != before {
			t.Fatalf("planning wrote %d accounts", after-before)
		}
	})
}

func TestEnrol(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		before := w.countUsers(t, "")

		// One bad row (a phone already registered) among good ones: nothing is written.
		oneBad := parse(t, "name,phone,centre\n王秀英,13900000001,Alder centre\n已登记,13800000011,Aspen centre\n陈建国,13900000002,Aspen centre\n")
		_, err := w.svc.Enrol(w.ctx, w.coordA, w.townA, oneBad)
		wantErr(t, err, errs.Invalid, "enrol.error.not_ready")
		if after := w.countUsers(t, ""); after != before {
			t.Fatalf("a list with a bad row wrote %d accounts", after-before)
		}

		// Too many rows for one import: refused before anything is hashed or written.
		var big strings.Builder
		big.WriteString("name,phone,centre\n")
		for i := range account.MaxEnrolCreate + 1 {
			fmt.Fprintf(&big, "P%d,137%08d,Alder centre\n", i, i)
		}
		plan, err := w.svc.PlanEnrolment(w.ctx, w.coordA, w.townA, parse(t, big.String()))
		must(t, err)
		if !plan.TooMany || len(plan.Bad) != 0 || plan.OK() {
			t.Errorf("%d good rows: too many %v, OK %v", account.MaxEnrolCreate+1, plan.TooMany, plan.OK())
		}
		_, err = w.svc.Enrol(w.ctx, w.coordA, w.townA, parse(t, big.String()))
		wantErr(t, err, errs.Invalid, "enrol.error.not_ready")

		// Only coordinators (in their area) and admins.
		good := parse(t, "姓名,手机号,服务站\n王秀英,139 0000 0001,Alder centre\n陈建国,13900000002,Aspen centre\n李四,13900000003,Alder centre\n")
		_, err = w.svc.Enrol(w.ctx, w.partnerA1, w.townA, good)
		wantErr(t, err, errs.Forbidden, "")
		_, err = w.svc.Enrol(w.ctx, w.coordA, w.townB, good)
		wantErr(t, err, errs.NotFound, "")

		res, err := w.svc.Enrol(w.ctx, w.coordA, w.townA, good)
		must(t, err)
		if len(res.Created) != 3 {
			t.Fatalf("created %d partners, want 3", len(res.Created))
		}
		seen := map[string]bool{}
		for i, c := range res.Created {
			want := []string{"13900000001", "13900000002", "13900000003"}[i]
			var u account.User
			must(t, g.Where("login = ?", want).Take(&u).Error)
			if u.Role != account.RolePartner || u.PhoneNumber() != want || !u.Active || u.RegisteredByID == nil || *u.RegisteredByID != w.coordA.ID ||
				u.CentreID == nil || *u.CentreID != c.Centre.ID || u.Name != c.User.Name || u.ID != c.User.ID {
				t.Errorf("partner %s stored as %+v", want, u)
			}
			if len(c.Password) != 10 || seen[c.Password] || account.CheckPassword(c.Password, want) != nil || strings.Contains(u.PasswordHash, c.Password) {
				t.Errorf("temporary password %q is not a fresh, valid, hashed password", c.Password)
			}
			seen[c.Password] = true
			// The partner signs in with the phone number and the temporary password.
			signedIn, err := w.svc.SignIn(w.ctx, want, c.Password, "192.0.2.1")
			if err != nil || signedIn.ID != u.ID {
				t.Errorf("sign in as %s with the temporary password: %v", want, err)
			}
		}
		if after := w.countUsers(t, ""); after != before+3 {
			t.Fatalf("%d accounts added, want 3", after-before)
		}

		// The same list again (the button pressed twice): every phone is now taken.
		_, err = w.svc.Enrol(w.ctx, w.coordA, w.townA, good)
		wantErr(t, err, errs.Invalid, "enrol.error.not_ready")
		if after := w.countUsers(t, ""); after != before+3 {
			t.Fatalf("enrolling twice added %d accounts", after-before-3)
		}

		// An admin may enrol anywhere.
		res, err = w.svc.Enrol(w.ctx, w.admin, w.county, parse(t, "name,phone,centre\nB,13900000020,Birch centre\n"))
		must(t, err)
		if len(res.Created) != 1 || res.Created[0].Centre.ID != w.centreBirch.ID {
			t.Fatalf("admin enrolment: %+v", res.Created)
		}
		if u, err := w.svc.User(w.ctx, res.Created[0].User.ID); err != nil || !u.MustChangePassword {
			t.Errorf("an enrolled partner's temporary password is not marked to be changed: %v", err)
		}
	})
}

// TestEnrolAllOrNothing forces failures inside the import's transaction, after the rows
// were checked: none of the list may remain.
func TestEnrolAllOrNothing(t *testing.T) {
	t.Parallel()
	list := "name,phone,centre\n王秀英,13900000001,Alder centre\n陈建国,13900000002,Aspen centre\n李四,13900000003,Alder centre\n"
	phones := []string{"13900000001", "13900000002", "13900000003"}

	t.Run("failure after the insert", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
			w := newWorld(t, g)
			before := w.countUsers(t, "")
			var armed atomic.Bool
			must(t, g.Callback().Create().After("gorm:create").Register("test:fail_after_insert", func(tx *gorm.DB) {
				if armed.Load() && tx.Statement.Table == "users" && tx.Error == nil && tx.RowsAffected > 0 {
					tx.AddError(errors.New("forced failure after the partners were inserted"))
				}
			}))
			armed.Store(true)
			_, err := w.svc.Enrol(w.ctx, w.coordA, w.townA, parse(t, list))
			wantErr(t, err, errs.Internal, "")
			armed.Store(false)
			if n := w.countUsers(t, "phone IN ?", phones); n != 0 || w.countUsers(t, "") != before {
				t.Fatalf("%d of the list remain after a failed transaction", n)
			}
		})
	})

	t.Run("phone registered concurrently", func(t *testing.T) {
		t.Parallel()
		dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
			w := newWorld(t, g)
			before := w.countUsers(t, "")
			// Someone registers the second phone of the list after the check, just as the
			// import's transaction starts. PostgreSQL: from another connection, committed.
			// SQLite has one writer and the transaction holds it, so the row goes in
			// through the transaction itself; either way the unique index rejects the list.
			var armed atomic.Bool
			other := reopen(t, g)
			must(t, g.Callback().Create().Before("gorm:create").Register("test:register_concurrently", func(tx *gorm.DB) {
				if !armed.CompareAndSwap(true, false) || tx.Statement.Table != "users" {
					return
				}
				rival := &account.User{Login: "rival", Name: "Rival", Phone: ptr("13900000002"), Role: account.RoleVillager, Active: true}
				via := other
				if db.IsSQLite(g) {
					via = tx.Session(&gorm.Session{NewDB: true})
				}
				if err := via.Create(rival).Error; err != nil {
					tx.AddError(fmt.Errorf("register rival: %w", err))
				}
			}))
			armed.Store(true)
			_, err := w.svc.Enrol(w.ctx, w.coordA, w.townA, parse(t, list))
			wantErr(t, err, errs.Conflict, "enrol.error.conflict")
			if n := w.countUsers(t, "phone IN ? AND login <> ?", phones, "rival"); n != 0 {
				t.Fatalf("%d of the list remain after a unique violation", n)
			}
			wantRivals := int64(1)
			if db.IsSQLite(g) {
				wantRivals = 0 // it was inserted by the transaction that rolled back
			}
			rivals := w.countUsers(t, "login = ?", "rival")
			if rivals != wantRivals {
				t.Errorf("%d rival accounts, want %d", rivals, wantRivals)
			}
			if after := w.countUsers(t, ""); after != before+rivals {
				t.Fatalf("accounts: %d before, %d after", before, after)
			}
			// Checked again, the list now shows the rival's phone as taken.
			plan, err := w.svc.PlanEnrolment(w.ctx, w.coordA, w.townA, parse(t, list))
			must(t, err)
			if !db.IsSQLite(g) && (len(plan.Bad) != 1 || plan.Bad[0].Line != 3) {
				t.Errorf("after the rival: %+v", plan.Bad)
			}
		})
	})
}

// TestParseEnrolmentReadsOnlyTheLimit: a huge upload is not read into memory whole.
func TestParseEnrolmentReadsOnlyTheLimit(t *testing.T) {
	t.Parallel()
	r := &countingReader{}
	_, err := account.ParseEnrolment(r)
	wantFieldErr(t, err, "csv", "enrol.error.too_large")
	if r.n > account.MaxEnrolBytes+64*1024 {
		t.Fatalf("read %d bytes of an endless file", r.n)
	}
}

type countingReader struct{ n int }

func (r *countingReader) Read(p []byte) (int, error) {
	copy(p, bytes.Repeat([]byte("a"), len(p)))
	r.n += len(p)
	return len(p), nil
}

package records_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
	"cunlu/app/records"
)

// world is a county with townships A and B, a village and a centre in each, a coordinator of
// the county and one of township A, a partner at each centre and villagers.
type world struct {
	ctx                      context.Context
	clock                    time.Time
	g                        *gorm.DB
	accounts                 *account.Service
	svc                      *records.Service
	county, townA, townB     *account.Region
	centreA, centreB         *account.Centre
	coordCounty, coordA      *account.User
	partnerA, partnerB       *account.User
	villagerA, villagerB     *account.User
	inactiveA, coordOutsider *account.User
}

func newWorld(t *testing.T, g *gorm.DB) *world {
	t.Helper()
	w := &world{ctx: context.Background(), g: g}
	w.accounts = account.NewService(g, account.Options{PINKey: []byte("records tests' PIN key, 32 bytes")})
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	w.clock = now
	w.svc = records.NewService(g, w.accounts, []byte("records tests' secret key"), func() time.Time { return w.clock })
	admin := w.user(t, account.User{Login: "ops", Name: "Ops", Role: account.RoleAdmin})
	region := func(name string, level account.Level, parent *account.Region) *account.Region {
		f := account.RegionForm{Name: name, Level: level}
		if parent != nil {
			f.ParentID = parent.ID
		}
		r, err := w.accounts.CreateRegion(w.ctx, admin, f)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	centre := func(name string, village *account.Region) *account.Centre {
		c, err := w.accounts.CreateCentre(w.ctx, admin, account.CentreForm{Name: name, RegionID: village.ID})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	w.county = region("示范县", account.LevelCounty, nil)
	other := region("邻县", account.LevelCounty, nil)
	w.townA = region("桃园镇", account.LevelTownship, w.county)
	w.townB = region("李庄镇", account.LevelTownship, w.county)
	w.centreA = centre("桃园村服务站", region("桃园村", account.LevelVillage, w.townA))
	w.centreB = centre("李庄村服务站", region("李庄村", account.LevelVillage, w.townB))
	w.coordCounty = w.user(t, account.User{Login: "coord", Name: "县辅导员", Role: account.RoleCoordinator, RegionID: &w.county.ID})
	w.coordA = w.user(t, account.User{Login: "coord-a", Name: "镇辅导员", Role: account.RoleCoordinator, RegionID: &w.townA.ID})
	w.coordOutsider = w.user(t, account.User{Login: "coord-x", Name: "邻县辅导员", Role: account.RoleCoordinator, RegionID: &other.ID})
	w.partnerA = w.user(t, account.User{Login: "pa", Name: "王站长", Role: account.RolePartner, CentreID: &w.centreA.ID})
	w.partnerB = w.user(t, account.User{Login: "pb", Name: "李站长", Role: account.RolePartner, CentreID: &w.centreB.ID})
	w.villagerA = w.user(t, account.User{Login: "13800000001", Name: "张大妈", Role: account.RoleVillager, CentreID: &w.centreA.ID})
	w.villagerB = w.user(t, account.User{Login: "13800000002", Name: "赵大爷", Role: account.RoleVillager, CentreID: &w.centreB.ID})
	w.inactiveA = w.user(t, account.User{Login: "13800000003", Name: "钱大哥", Role: account.RoleVillager, CentreID: &w.centreA.ID})
	if err := g.Model(&account.User{}).Where("id = ?", w.inactiveA.ID).Update("active", false).Error; err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) user(t *testing.T, u account.User) *account.User {
	t.Helper()
	u.Active = true
	u.PasswordHash = "x"
	if err := w.g.Create(&u).Error; err != nil {
		t.Fatal(err)
	}
	return &u
}

var goodClass = records.ClassForm{Title: "电商入门培训班", Audience: records.ForBoth, Plan: "buying-online\npaying-safely/payment-pin",
	TargetHours: "12", Trainer: "刘老师", TrainerProfile: "县电商中心讲师"}

func (w *world) class(t *testing.T, actor *account.User, f records.ClassForm) *records.Class {
	t.Helper()
	c, err := w.svc.CreateClass(w.ctx, actor, f)
	if err != nil {
		t.Fatalf("create class: %v", err)
	}
	return c
}

func wantCode(t *testing.T, err error, code errs.Code, what string) {
	t.Helper()
	if !errs.Is(err, code) {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

func TestClassesBelongWhereTheyAreMade(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		county := w.class(t, w.coordCounty, goodClass)
		if county.RegionID != w.county.ID || county.CentreID != nil || county.TargetMinutes != 720 {
			t.Errorf("county class: region %d centre %v minutes %d", county.RegionID, county.CentreID, county.TargetMinutes)
		}
		f := goodClass
		f.RegionID = w.townA.ID
		town := w.class(t, w.coordCounty, f)
		if town.RegionID != w.townA.ID {
			t.Errorf("a class for township A is in region %d", town.RegionID)
		}
		f.RegionID = w.townB.ID
		if _, err := w.svc.CreateClass(w.ctx, w.coordA, f); !errs.Is(err, errs.Invalid) {
			t.Errorf("township A's coordinator made a class in township B: %v", err)
		}
		centre := w.class(t, w.partnerA, goodClass)
		if centre.CentreID == nil || *centre.CentreID != w.centreA.ID {
			t.Errorf("a partner's class is not their centre's: %v", centre.CentreID)
		}
		if _, err := w.svc.CreateClass(w.ctx, w.villagerA, goodClass); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a villager made a class: %v", err)
		}
		// Who may open which class: anyone else gets NotFound.
		for _, tc := range []struct {
			who   *account.User
			class *records.Class
			ok    bool
		}{
			{w.coordCounty, town, true}, {w.coordCounty, centre, true}, {w.coordA, town, true}, {w.coordA, centre, true},
			{w.coordA, county, false}, {w.coordOutsider, county, false}, {w.partnerA, centre, true}, {w.partnerB, centre, false},
			{w.partnerA, town, false}, {w.villagerA, centre, false},
		} {
			_, err := w.svc.Class(w.ctx, tc.who, tc.class.ID)
			if tc.ok && err != nil || !tc.ok && !errs.Is(err, errs.NotFound) {
				t.Errorf("%s opens class %d: %v (allowed: %v)", tc.who.Login, tc.class.ID, err, tc.ok)
			}
		}
	})
}

func TestClassFormErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		for _, tc := range []struct {
			change func(*records.ClassForm)
			field  string
		}{
			{func(f *records.ClassForm) { f.Title = "班" }, "title"},
			{func(f *records.ClassForm) { f.Title = "电商\u202e培训班" }, "title"},
			{func(f *records.ClassForm) { f.Audience = "everyone" }, "audience"},
			{func(f *records.ClassForm) { f.TargetHours = "十二" }, "target_hours"},
			{func(f *records.ClassForm) { f.TargetHours = "0" }, "target_hours"},
			{func(f *records.ClassForm) { f.Trainer = "" }, "trainer"},
		} {
			f := goodClass
			tc.change(&f)
			_, err := w.svc.CreateClass(w.ctx, w.coordCounty, f)
			var e *errs.Error
			if !errors.As(err, &e) || e.Field != tc.field {
				t.Errorf("%+v: %v, want an error on %s", f, err, tc.field)
			}
		}
		var n int64
		g.Model(&records.Class{}).Count(&n)
		if n != 0 {
			t.Errorf("refused forms stored %d classes", n)
		}
		f := goodClass
		f.TargetHours = "7,5"
		if c := w.class(t, w.coordCounty, f); c.TargetMinutes != 450 {
			t.Errorf("7,5 hours = %d minutes", c.TargetMinutes)
		}
	})
}

func TestSessionsAndRoster(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		c := w.class(t, w.partnerA, goodClass)
		s, err := w.svc.AddSession(w.ctx, w.partnerA, c.ID, records.SessionForm{Date: "2026-12-09", Start: "09:00", End: "11:30", Kind: "theory", Place: "桃园村服务站"})
		if err != nil {
			t.Fatal(err)
		}
		if s.Minutes() != 150 || s.StartsAt.Hour() != 1 || s.Trainer != "刘老师" {
			t.Errorf("session: %d min from %v (UTC), trainer %q", s.Minutes(), s.StartsAt, s.Trainer)
		}
		_, err = w.svc.AddSession(w.ctx, w.partnerA, c.ID, records.SessionForm{Date: "2026-12-09", Start: "11:00", End: "10:00", Kind: "theory", Place: "服务站"})
		wantCode(t, err, errs.Invalid, "a session ending before it starts")
		_, err = w.svc.AddSession(w.ctx, w.partnerB, c.ID, records.SessionForm{Date: "2026-12-09", Start: "09:00", End: "10:00", Kind: "theory", Place: "服务站"})
		wantCode(t, err, errs.NotFound, "another centre's partner adds a session")

		// A centre's class takes that centre's active learners only.
		if n, err := w.svc.Enrol(w.ctx, w.partnerA, c.ID, []uint{w.villagerA.ID, w.partnerA.ID}); err != nil || n != 2 {
			t.Fatalf("enrol: %d, %v", n, err)
		}
		if n, err := w.svc.Enrol(w.ctx, w.partnerA, c.ID, []uint{w.villagerA.ID}); err != nil || n != 0 {
			t.Errorf("enrolling again: %d, %v", n, err)
		}
		for _, u := range []*account.User{w.villagerB, w.inactiveA, w.coordCounty} {
			_, err := w.svc.Enrol(w.ctx, w.partnerA, c.ID, []uint{u.ID})
			wantCode(t, err, errs.Invalid, "enrolling "+u.Login)
		}
		// One bad learner among good ones enrols nobody.
		county := w.class(t, w.coordCounty, goodClass)
		_, err = w.svc.Enrol(w.ctx, w.coordCounty, county.ID, []uint{w.villagerA.ID, w.villagerB.ID, w.inactiveA.ID})
		wantCode(t, err, errs.Invalid, "a list with an inactive learner")
		if r, _ := w.svc.Roster(w.ctx, county.ID); len(r) != 0 {
			t.Errorf("a refused enrolment left %d on the roster", len(r))
		}
		roster, err := w.svc.Roster(w.ctx, c.ID)
		if err != nil || len(roster) != 2 {
			t.Fatalf("roster: %v, %v", roster, err)
		}
		if err := w.svc.Unenrol(w.ctx, w.partnerA, c.ID, w.villagerA.ID, ""); !errs.Is(err, errs.Invalid) {
			t.Errorf("unenrol without a reason: %v", err)
		}
		if err := w.svc.Unenrol(w.ctx, w.partnerA, c.ID, w.villagerA.ID, "搬去县城了"); err != nil {
			t.Fatal(err)
		}
		if roster, _ := w.svc.Roster(w.ctx, c.ID); len(roster) != 1 || roster[0].UserID != w.partnerA.ID {
			t.Errorf("after removing the villager: %+v", roster)
		}
		log, err := w.svc.Log(w.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range log {
			actions = append(actions, e.Action)
		}
		if got := strings.Join(actions, " "); got != "class.created session.added enrolment.added enrolment.added enrolment.removed" {
			t.Errorf("class log: %s", got)
		}
		if last := log[len(log)-1]; last.Reason != "搬去县城了" || last.ActorID != w.partnerA.ID {
			t.Errorf("the removal's entry: %+v", last)
		}
	})
}

// TestAuditChain: the log's entries link up; changing, removing or inserting an entry in
// the database is found, at the entry where it happened. Parallel writers still make one
// chain.
func TestAuditChain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				f := goodClass
				f.Title = fmt.Sprintf("培训班 %d", i)
				if _, err := w.svc.CreateClass(w.ctx, w.coordCounty, f); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		rep, err := w.svc.Verify(w.ctx)
		if err != nil || !rep.OK() || rep.Entries != 8 {
			t.Fatalf("after 8 parallel classes: %+v, %v", rep, err)
		}
		head := rep.Head
		broken := func(what, want string, tamper, undo string) {
			t.Helper()
			if err := g.Exec(tamper).Error; err != nil {
				t.Fatal(err)
			}
			rep, err := w.svc.Verify(w.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() || !strings.Contains(strings.Join(rep.Broken, "; "), want) {
				t.Errorf("%s: %+v, want %q", what, rep, want)
			}
			if err := g.Exec(undo).Error; err != nil {
				t.Fatal(err)
			}
		}
		var e3 records.AuditEntry
		g.Take(&e3, 3)
		broken("a detail changed", "entry 3 was changed", "UPDATE audit_log SET detail = 'x' WHERE id = 3",
			fmt.Sprintf("UPDATE audit_log SET detail = '%s' WHERE id = 3", e3.Detail))
		broken("an entry removed", "entry 4 follows entry 2", "DELETE FROM audit_log WHERE id = 3",
			fmt.Sprintf("INSERT INTO audit_log (id, at, actor_id, class_id, action, subject, detail, reason, prev_hash, hash) VALUES (3, '%s', %d, %d, '%s', '%s', '%s', '%s', '%s', '%s')",
				e3.At.Format("2006-01-02 15:04:05.999999-07:00"), e3.ActorID, *e3.ClassID, e3.Action, e3.Subject, e3.Detail, e3.Reason, e3.PrevHash, e3.Hash))
		broken("a hash recomputed after a change", "entry 4 does not follow", "UPDATE audit_log SET hash = 'f00d' WHERE id = 3",
			fmt.Sprintf("UPDATE audit_log SET hash = '%s' WHERE id = 3", e3.Hash))
		if rep, _ := w.svc.Verify(w.ctx); !rep.OK() || rep.Head != head {
			t.Errorf("after undoing every change: %+v", rep)
		}
	})
}

// TestAttendance: a learner on the roster checks in with the session's current code (or the
// one just before), once, and out again; a stale or made-up code, a session not open, a
// learner not on the roster, or a second check-in change nothing. A trainer marks by hand
// only with a reason, which goes to the audit log. Minutes present count within the
// session's times; late and early are flagged.
func TestAttendance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		c := w.class(t, w.partnerA, goodClass)
		// 9:00–11:00 Beijing time on 9 December = 01:00–03:00 UTC.
		ses, err := w.svc.AddSession(w.ctx, w.partnerA, c.ID, records.SessionForm{Date: "2026-12-09", Start: "09:00", End: "11:00", Kind: "practice", Place: "服务站"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Enrol(w.ctx, w.partnerA, c.ID, []uint{w.villagerA.ID, w.partnerA.ID}); err != nil {
			t.Fatal(err)
		}
		start := ses.StartsAt
		code := func() string { return w.svc.SessionCode(ses.ID, w.clock) }

		w.clock = start.Add(-45 * time.Minute)
		_, err = w.svc.CheckIn(w.ctx, w.villagerA, ses.ID, code(), "dev1")
		wantCode(t, err, errs.Invalid, "check-in 45 minutes early")

		w.clock = start.Add(12 * time.Minute)
		old := code()
		w.clock = w.clock.Add(records.CodeEvery)
		if old == code() {
			t.Fatal("the code did not change after 30 seconds")
		}
		if _, err := w.svc.CheckIn(w.ctx, w.villagerA, ses.ID, old, "dev1"); err != nil {
			t.Errorf("the code of the period before: %v", err)
		}
		_, err = w.svc.CheckIn(w.ctx, w.villagerA, ses.ID, code(), "dev1")
		wantCode(t, err, errs.Conflict, "a second check-in")
		stale := old
		w.clock = w.clock.Add(2 * records.CodeEvery)
		_, err = w.svc.CheckIn(w.ctx, w.partnerA, ses.ID, stale, "dev2")
		wantCode(t, err, errs.Invalid, "a code a minute old")
		_, err = w.svc.CheckIn(w.ctx, w.partnerA, ses.ID, "123456", "dev2")
		if err == nil && code() != "123456" {
			t.Error("a made-up code was accepted")
		}
		_, err = w.svc.CheckIn(w.ctx, w.villagerB, ses.ID, code(), "dev3")
		wantCode(t, err, errs.Invalid, "a learner not on the roster")

		w.clock = start.Add(100 * time.Minute)
		a, err := w.svc.CheckOut(w.ctx, w.villagerA, ses.ID, code())
		if err != nil || a.CheckedOutAt == nil {
			t.Fatalf("check-out: %+v, %v", a, err)
		}
		_, err = w.svc.CheckOut(w.ctx, w.villagerA, ses.ID, code())
		wantCode(t, err, errs.Conflict, "a second check-out")

		// By hand: a reason is required, another centre's partner cannot.
		err = w.svc.MarkByHand(w.ctx, w.partnerA, ses.ID, records.HandForm{UserID: w.partnerA.ID, In: "09:00", Out: "11:00"})
		wantCode(t, err, errs.Invalid, "by hand without a reason")
		err = w.svc.MarkByHand(w.ctx, w.partnerB, ses.ID, records.HandForm{UserID: w.partnerA.ID, In: "09:00", Out: "11:00", Reason: "手机没电"})
		wantCode(t, err, errs.NotFound, "another centre's partner marks")
		err = w.svc.MarkByHand(w.ctx, w.partnerA, ses.ID, records.HandForm{UserID: w.partnerA.ID, In: "15:00", Reason: "手机没电"})
		wantCode(t, err, errs.Invalid, "by hand outside the session")
		if err := w.svc.MarkByHand(w.ctx, w.partnerA, ses.ID, records.HandForm{UserID: w.partnerA.ID, In: "08:55", Out: "11:20", Reason: "手机没电"}); err != nil {
			t.Fatal(err)
		}
		reg, err := w.svc.Register(w.ctx, ses.ID)
		if err != nil || len(reg) != 2 {
			t.Fatalf("register: %+v, %v", reg, err)
		}
		byName := map[string]records.Presence{}
		for _, p := range reg {
			byName[p.Name] = p
		}
		if v := byName["张大妈"]; v.How != records.ByCode || v.Minutes != 87 || !v.Late || !v.Early || v.Device != "dev1" {
			t.Errorf("villager: %+v (want 87 minutes, late, early)", v)
		}
		if p := byName["王站长"]; p.How != records.ByHand || p.Minutes != 120 || p.Late || p.Early || p.Reason != "手机没电" {
			t.Errorf("partner by hand: %+v (want 120 minutes, capped by the session)", p)
		}
		log, _ := w.svc.Log(w.ctx, c.ID)
		if last := log[len(log)-1]; last.Action != "attendance.by_hand" || last.Reason != "手机没电" {
			t.Errorf("last log entry: %+v", last)
		}
	})
}

// TestStudyTimeCountsOnlyActiveBeats: beats add the time since the one before, at most 30
// seconds; beats that come too soon (a second tab) add nothing; a lesson counts at most 1.5
// times its stated minutes; hours add sessions attended and online study.
func TestStudyTimeCountsOnlyActiveBeats(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		u := w.villagerA.ID
		beat := func(after time.Duration) int {
			t.Helper()
			w.clock = w.clock.Add(after)
			n, err := w.svc.Beat(w.ctx, u, "buying-online", "pickup-code", 2)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := beat(0); n != 0 {
			t.Errorf("the first beat counted %d s", n)
		}
		if n := beat(30 * time.Second); n != 30 {
			t.Errorf("a beat after 30 s counted %d s", n)
		}
		if n := beat(5 * time.Second); n != 0 {
			t.Errorf("a beat 5 s later (another tab) counted %d s", n)
		}
		if n := beat(10 * time.Minute); n != 30 {
			t.Errorf("a beat after 10 idle minutes counted %d s, want 30 at most", n)
		}
		total := 60
		for range 10 {
			total += beat(30 * time.Second)
		}
		if total != 180 { // 2 minutes × 1.5
			t.Errorf("a 2-minute lesson counted %d s, want 180 at most", total)
		}
		// And a session attended.
		c := w.class(t, w.partnerA, goodClass)
		ses, err := w.svc.AddSession(w.ctx, w.partnerA, c.ID, records.SessionForm{Date: "2026-12-09", Start: "09:00", End: "11:00", Kind: "theory", Place: "服务站"})
		if err != nil {
			t.Fatal(err)
		}
		w.svc.Enrol(w.ctx, w.partnerA, c.ID, []uint{u})
		if err := w.svc.MarkByHand(w.ctx, w.partnerA, ses.ID, records.HandForm{UserID: u, In: "09:30", Out: "11:20", Reason: "老人不会用手机"}); err != nil {
			t.Fatal(err)
		}
		h, err := w.svc.HoursOf(w.ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Classes) != 1 || h.Classes[0].Present != 90 || h.Online != 3 || h.Total != 93 || h.ByMonth["2026-12"] != 93 {
			t.Errorf("hours: %+v", h)
		}
	})
}

// TestEvidencePack: a pack holds the region's classes with a session in the period, their
// rosters, attendance and hours, with 人数 beside 人次; the same seed draws the same sample;
// the zip verifies, and a changed file, a changed manifest, an added file or another
// server's key are each found.
func TestEvidencePack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		c := w.class(t, w.partnerA, goodClass)
		other := w.class(t, w.partnerB, goodClass)
		for _, d := range []string{"2026-12-08", "2026-12-09"} {
			ses, err := w.svc.AddSession(w.ctx, w.partnerA, c.ID, records.SessionForm{Date: d, Start: "09:00", End: "11:00", Kind: "theory", Place: "服务站"})
			if err != nil {
				t.Fatal(err)
			}
			w.svc.Enrol(w.ctx, w.partnerA, c.ID, []uint{w.villagerA.ID, w.partnerA.ID})
			for _, u := range []uint{w.villagerA.ID, w.partnerA.ID} {
				if err := w.svc.MarkByHand(w.ctx, w.partnerA, ses.ID, records.HandForm{UserID: u, In: "09:00", Out: "10:30", Reason: "演示"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Township B's class has a session outside the period.
		if _, err := w.svc.AddSession(w.ctx, w.partnerB, other.ID, records.SessionForm{Date: "2027-01-20", Start: "09:00", End: "11:00", Kind: "theory", Place: "服务站"}); err != nil {
			t.Fatal(err)
		}
		req := records.PackRequest{Region: w.county, From: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), Seed: 42, Sample: 1}
		if _, err := w.svc.BuildPack(w.ctx, w.partnerA, req); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a partner built a pack: %v", err)
		}
		if _, err := w.svc.BuildPack(w.ctx, w.coordA, records.PackRequest{Region: w.townB, From: req.From, To: req.To}); !errs.Is(err, errs.NotFound) {
			t.Errorf("township A's coordinator built township B's pack: %v", err)
		}
		p, err := w.svc.BuildPack(w.ctx, w.coordCounty, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Classes) != 2 || len(p.Sessions) != 3 || len(p.Roster) != 3 || len(p.Attend) != 5 || p.People != 2 || p.Visits != 4 {
			t.Errorf("pack: %d classes, %d sessions, %d roster, %d attendance rows (with headers), 人数 %d 人次 %d",
				len(p.Classes), len(p.Sessions), len(p.Roster), len(p.Attend), p.People, p.Visits)
		}
		if got := p.Hours[1][2]; got != "3.0" { // 2 × 90 minutes
			t.Errorf("hours present: %s", got)
		}
		again, _ := w.svc.BuildPack(w.ctx, w.coordCounty, req)
		if len(p.Sampled) != 2 || fmt.Sprint(again.Sampled) != fmt.Sprint(p.Sampled) {
			t.Errorf("sample: %v, again %v", p.Sampled, again.Sampled)
		}
		key := []byte("records tests' secret key")
		var zipped bytes.Buffer
		if err := p.WriteZip(&zipped, key); err != nil {
			t.Fatal(err)
		}
		check := func(b []byte, k []byte) []string {
			t.Helper()
			chk, err := records.VerifyPack(bytes.NewReader(b), int64(len(b)), k)
			if err != nil {
				t.Fatal(err)
			}
			return chk.Problems
		}
		if pr := check(zipped.Bytes(), key); len(pr) != 0 {
			t.Fatalf("a fresh pack: %v", pr)
		}
		// The workbook opens, and its figures are the pack's.
		zr, err := zip.NewReader(bytes.NewReader(zipped.Bytes()), int64(zipped.Len()))
		if err != nil {
			t.Fatal(err)
		}
		xf, err := zr.Open("records.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		book, err := excelize.OpenReader(xf)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := book.GetRows("培训班")
		if err != nil || len(rows) != 2 || rows[1][1] != "电商入门培训班" || rows[1][8] != "2" || rows[1][9] != "4" {
			t.Errorf("the workbook's classes: %v, %v", rows, err)
		}
		if pr := check(zipped.Bytes(), []byte("another server")); len(pr) != 1 || !strings.Contains(pr[0], "signature") {
			t.Errorf("another key: %v", pr)
		}
		rezip := func(change func(name string, b []byte) []byte, add bool) []byte {
			zr, _ := zip.NewReader(bytes.NewReader(zipped.Bytes()), int64(zipped.Len()))
			var out bytes.Buffer
			zw := zip.NewWriter(&out)
			for _, f := range zr.File {
				rc, _ := f.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				fw, _ := zw.Create(f.Name)
				fw.Write(change(f.Name, b))
			}
			if add {
				fw, _ := zw.Create("extra.csv")
				fw.Write([]byte("x"))
			}
			zw.Close()
			return out.Bytes()
		}
		same := func(_ string, b []byte) []byte { return b }
		if pr := check(rezip(same, false), key); len(pr) != 0 {
			t.Errorf("the same files zipped again: %v", pr)
		}
		forged := rezip(func(name string, b []byte) []byte {
			if name == "report.html" {
				return bytes.Replace(b, []byte("人次 4"), []byte("人次 40"), 1)
			}
			return b
		}, false)
		if pr := check(forged, key); len(pr) != 1 || pr[0] != "report.html was changed" {
			t.Errorf("a changed report: %v", pr)
		}
		if pr := check(rezip(same, true), key); len(pr) != 1 || pr[0] != "extra.csv was added" {
			t.Errorf("an added file: %v", pr)
		}
		reseeded := rezip(func(name string, b []byte) []byte {
			if name == "MANIFEST.txt" {
				return bytes.Replace(b, []byte("seed 42"), []byte("seed 7"), 1)
			}
			return b
		}, false)
		if pr := check(reseeded, key); len(pr) != 1 || !strings.Contains(pr[0], "signature") {
			t.Errorf("a changed manifest: %v", pr)
		}
	})
}

// TestFollowUps: the partner of a trainee's centre records what came of the training at 3
// and 6 months; a correction keeps the old answers in the audit log; another centre's
// partner, someone never trained and a shop without its address are refused; the county
// sees them per township.
func TestFollowUps(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		c := w.class(t, w.partnerA, goodClass)
		w.svc.Enrol(w.ctx, w.partnerA, c.ID, []uint{w.villagerA.ID})
		good := records.FollowUpForm{UserID: w.villagerA.ID, Month: 3, ShopOpened: true, ShopAddress: "拼多多 张大妈土鸡蛋", SalesBand: "lt1000", UsesServices: true}
		_, err := w.svc.FollowUps(w.ctx, w.villagerA)
		wantCode(t, err, errs.Forbidden, "a villager lists follow-ups")
		wantCode(t, w.svc.RecordFollowUp(w.ctx, w.partnerB, good), errs.NotFound, "another centre's partner")
		noAddr := good
		noAddr.ShopAddress = ""
		wantCode(t, w.svc.RecordFollowUp(w.ctx, w.partnerA, noAddr), errs.Invalid, "a shop without its address")
		never := good
		never.UserID = w.inactiveA.ID
		wantCode(t, w.svc.RecordFollowUp(w.ctx, w.partnerA, never), errs.Invalid, "someone never trained")
		if err := w.svc.RecordFollowUp(w.ctx, w.partnerA, good); err != nil {
			t.Fatal(err)
		}
		fixed := good
		fixed.SalesBand = "1000-5000"
		if err := w.svc.RecordFollowUp(w.ctx, w.partnerA, fixed); err != nil {
			t.Fatal(err)
		}
		rows, err := w.svc.FollowUps(w.ctx, w.partnerA)
		if err != nil || len(rows) != 1 || rows[0].Month3 == nil || rows[0].Month3.SalesBand != "1000-5000" || rows[0].Month6 != nil {
			t.Fatalf("follow-ups: %+v, %v", rows, err)
		}
		var last records.AuditEntry
		g.Order("id DESC").Take(&last)
		if last.Action != "followup.corrected" || !strings.Contains(last.Detail, "sales=lt1000") || !strings.Contains(last.Detail, "→") {
			t.Errorf("the correction's log entry: %+v", last)
		}
		sum, err := w.svc.FollowUpsByTownship(w.ctx, w.coordCounty)
		if err != nil || len(sum) != 1 || sum[0].Township != "桃园镇" || sum[0].Asked != 1 || sum[0].ShopOpened != 1 || sum[0].Selling != 1 {
			t.Errorf("by township: %+v, %v", sum, err)
		}
		if sum, _ := w.svc.FollowUpsByTownship(w.ctx, w.coordOutsider); len(sum) != 0 {
			t.Errorf("another county's coordinator sees %+v", sum)
		}
	})
}

package report_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/course"
	"cunlu/app/errs"
	"cunlu/app/progress"
	"cunlu/app/report"
	"cunlu/app/sandbox"
)

// catalog is the smallest report.Catalogs (and progress.Catalogs).
type catalog struct{ c *course.Catalog }

func (c catalog) Catalog() *course.Catalog { return c.c }

// testCourses are the courses written for these tests (testdata/courses), loaded once for
// the whole package. Every expected figure rests on their lessons and quiz shapes (see
// newWorld), so rewriting a shipped course cannot change them.
var testCourses = sync.OnceValues(func() (*course.Catalog, error) { return loadCourses("testdata/courses") })

// loadCourses loads the courses in dir as the server does, failing on any finding.
func loadCourses(dir string) (*course.Catalog, error) {
	cat, findings, err := course.Load(os.DirFS(dir), sandbox.KnownTask)
	if err == nil && len(findings) > 0 {
		err = fmt.Errorf("course findings in %s: %v", dir, findings)
	}
	return cat, err
}

// The fixed clocks: "now" is Wednesday 4 March 2026, so this week starts on Monday 2 March
// and "active" means seen since 25 February 10:00. past is when the overdue assignments
// were set.
var (
	now  = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	past = time.Date(2026, 2, 10, 10, 0, 0, 0, time.UTC)
	// registered is when every account of the world was made, long before now.
	registered = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
)

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

// Lessons a partner and a villager can master in the test courses.
const (
	partnerLessons  = 2 + 2 + 3 + 1 + 1 + 1 // buying, paying, scams, selling, centre, teaching
	villagerLessons = 2 + 2 + 2             // buying, paying, scams (fake-franchise is partner-only)
)

// Lessons and courses the fixture uses.
const (
	paying   = "paying-safely"
	buying   = "buying-online"
	scams    = "spotting-scams"
	selling  = "selling-online"
	centre   = "running-a-centre"
	teaching = "teaching-villagers"
)

// world is the hand-made data set every report test reads, on the test courses:
//
//	buying-online       how-online-shopping-works (task buy-first-order), track-parcel
//	paying-safely       wallet-basics, payment-pin
//	spotting-scams      scam-signs, fake-customer-service, fake-franchise (partners only)
//	selling-online      open-a-shop (partners only, as the next two courses)
//	running-a-centre    parcels-in-and-out
//	teaching-villagers  first-lesson-plan
//
// Each course has more lessons than the world's learners pass, so no certificate is issued
// but those inserted below. The three lessons the learners answer have four questions, all
// needed to pass; their shapes are given where they are answered.
//
//	Qingshan (county)
//	├── Anping (township 1) ── Anping Village ── Centre A:  p1, p2, v1, v3, p4 (deactivated)
//	│                                          └─ Centre A2: nobody
//	└── Baishi (township 2) ── Baishi Village ── Centre B:  p3, v2
//
// Last seen (now = 2026-03-04 10:00): p1 a day ago, v1 two days ago, v2 exactly seven days
// ago (active, the boundary); p2 ten days ago (inactive); p3, v3 and p4 never. All were
// registered on 5 January.
//
// Progress, all through progress.RecordAttempt and CompleteTask:
//
//	p1  paying-safely/wallet-basics: three failed attempts (3/4, 3/4, 1/4) → stuck
//	p2  wallet-basics passed and its task pay-read-ledger done; buying-online/how-online-
//	    shopping-works passed and its task buy-first-order done → two lessons mastered, two tasks
//	v1  wallet-basics passed and its task done → one lesson mastered, one task
//	p3  spotting-scams/scam-signs: five failed attempts (3/4 each, q1 always "a") → stuck
//	v2  scam-signs passed and its task scam-keep-genuine done
//
// Certificates inserted directly before the attempts (so learner_stats counts them):
// p2 paying-safely on 21 Feb, p2 selling-online on 26 Feb 00:00, p1 selling-online on 25
// Feb 18:00.
//
// Assignments, all through CreateAssignment by the county coordinator (the first three with
// the clock at 10 Feb):
//
//	centreA   Centre A,       paying-safely,      due 2026-02-20
//	township  Anping,         selling-online,     due 2026-02-25
//	p3Only    p3,             spotting-scams,     due 2026-02-28
//	county    Qingshan,       running-a-centre,   due 2026-03-04 (today)
//	village2  Baishi Village, teaching-villagers, due 2026-04-01
//	centreA2  Centre A2,      buying-online,      due 2026-04-01
//
// Sign-ins (weeks start on Mondays): p2 9, 18 and 22 Feb; v1 16 Feb and 2 Mar; p1 23 Feb,
// 3 and 4 Mar; v2 5 Jan (before the eight weeks), 1 and 3 Mar; the county coordinator 3
// Mar (no centre: never counted).
type world struct {
	g   *gorm.DB
	ctx context.Context
	cat *course.Catalog
	svc *report.Service
	pr  *progress.Service

	county, town1, town2, village1, village2 *account.Region
	centreA, centreA2, centreB               *account.Centre
	coord, coordT1                           *account.User
	p1, p2, p3, p4, v1, v2, v3               *account.User

	asg  map[string]*report.Assignment
	keys int
}

func newWorld(t *testing.T, g *gorm.DB) *world {
	t.Helper()
	cat, err := testCourses()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{g: g, ctx: context.Background(), cat: cat, asg: map[string]*report.Assignment{}}
	w.svc = report.NewService(g, catalog{cat}, at(now))
	w.pr = progress.NewService(g, catalog{cat}, at(now))

	acc := account.NewService(g, account.Options{Now: at(now)})
	admin := w.user(t, "admin", "Admin", account.RoleAdmin, nil, nil, nil, true)
	region := func(name string, level account.Level, parent *account.Region) *account.Region {
		t.Helper()
		f := account.RegionForm{Name: name, Level: level}
		if parent != nil {
			f.ParentID = parent.ID
		}
		r, err := acc.CreateRegion(w.ctx, admin, f)
		if err != nil {
			t.Fatalf("create region %s: %v", name, err)
		}
		return r
	}
	centreIn := func(name string, village *account.Region) *account.Centre {
		t.Helper()
		c, err := acc.CreateCentre(w.ctx, admin, account.CentreForm{Name: name, RegionID: village.ID})
		if err != nil {
			t.Fatalf("create centre %s: %v", name, err)
		}
		return c
	}
	w.county = region("Qingshan", account.LevelCounty, nil)
	w.town1 = region("Anping", account.LevelTownship, w.county)
	w.town2 = region("Baishi", account.LevelTownship, w.county)
	w.village1 = region("Anping Village", account.LevelVillage, w.town1)
	w.village2 = region("Baishi Village", account.LevelVillage, w.town2)
	w.centreA = centreIn("Centre A", w.village1)
	w.centreA2 = centreIn("Centre A2", w.village1)
	w.centreB = centreIn("Centre B", w.village2)

	ago := func(d time.Duration) *time.Time { x := now.Add(-d); return &x }
	day := 24 * time.Hour
	w.coord = w.user(t, "coord", "County Coordinator", account.RoleCoordinator, &w.county.ID, nil, nil, true)
	w.coordT1 = w.user(t, "coord1", "Anping Coordinator", account.RoleCoordinator, &w.town1.ID, nil, nil, true)
	w.p1 = w.user(t, "p1", "Partner One", account.RolePartner, nil, &w.centreA.ID, ago(day), true)
	w.p2 = w.user(t, "p2", "Partner Two", account.RolePartner, nil, &w.centreA.ID, ago(10*day), true)
	w.p4 = w.user(t, "p4", "Partner Retired", account.RolePartner, nil, &w.centreA.ID, nil, false)
	w.v1 = w.user(t, "v1", "Villager One", account.RoleVillager, nil, &w.centreA.ID, ago(2*day), true)
	w.v3 = w.user(t, "v3", "Villager Three", account.RoleVillager, nil, &w.centreA.ID, nil, true)
	w.p3 = w.user(t, "p3", "Partner Three", account.RolePartner, nil, &w.centreB.ID, nil, true)
	w.v2 = w.user(t, "v2", "Villager Two", account.RoleVillager, nil, &w.centreB.ID, ago(7*day), true) // just active

	w.certificate(t, w.p2, paying, time.Date(2026, 2, 21, 8, 0, 0, 0, time.UTC))
	w.certificate(t, w.p2, selling, time.Date(2026, 2, 26, 0, 0, 0, 0, time.UTC))
	w.certificate(t, w.p1, selling, time.Date(2026, 2, 25, 18, 0, 0, 0, time.UTC))

	wallet := w.lesson(t, paying, "wallet-basics")
	// wallet-basics: q1 single (b right of three), q2 true/false (b right), q3 multiple (a,
	// b, c right of four), q4 single (b right of three).
	w.submit(t, w.p1, wallet, w.rightBut(wallet, "q1", "a"))                        // 3/4
	w.submit(t, w.p1, wallet, w.rightBut(wallet, "q1", "c"))                        // 3/4
	w.submit(t, w.p1, wallet, w.rightBut(wallet, "q1", "a", "q2", "a", "q3", "ab")) // 1/4
	w.submit(t, w.p2, wallet, w.right(wallet))
	// how-online-shopping-works: q1 single (c right of three), q2 true/false (b right), q3
	// multiple (a, b right), q4 single (a right of two).
	shopping := w.lesson(t, buying, "how-online-shopping-works")
	w.submit(t, w.p2, shopping, w.right(shopping))
	if err := w.pr.CompleteTask(w.ctx, w.learner(w.p2), "buy-first-order", "order 1"); err != nil {
		t.Fatalf("CompleteTask: %v", err)
	}
	w.submit(t, w.v1, wallet, w.right(wallet))
	// Those who pass wallet-basics and scam-signs also do their practice tasks, so they
	// master them (a lesson with a task is mastered once both are done).
	for _, done := range []struct {
		who  *account.User
		task string
	}{{w.p2, "pay-read-ledger"}, {w.v1, "pay-read-ledger"}, {w.v2, "scam-keep-genuine"}} {
		if err := w.pr.CompleteTask(w.ctx, w.learner(done.who), done.task, "test"); err != nil {
			t.Fatalf("CompleteTask: %v", err)
		}
	}
	signs := w.lesson(t, scams, "scam-signs")
	// scam-signs: q1 single (b right of three), q2 multiple (a, c, d right of four), q3
	// true/false (b right), q4 single (c right of three).
	for range 5 {
		w.submit(t, w.p3, signs, w.rightBut(signs, "q1", "a"))
	}
	w.submit(t, w.v2, signs, w.right(signs))

	pastSvc := report.NewService(g, catalog{cat}, at(past))
	w.assign(t, pastSvc, "centreA", report.AssignmentForm{Course: paying, CentreID: w.centreA.ID, Due: "2026-02-20"})
	w.assign(t, pastSvc, "township", report.AssignmentForm{Course: selling, RegionID: w.town1.ID, Due: "2026-02-25"})
	w.assign(t, pastSvc, "p3Only", report.AssignmentForm{Course: scams, PartnerID: w.p3.ID, Due: "2026-02-28"})
	w.assign(t, w.svc, "county", report.AssignmentForm{Course: centre, RegionID: w.county.ID, Due: "2026-03-04"})
	w.assign(t, w.svc, "village2", report.AssignmentForm{Course: teaching, RegionID: w.village2.ID, Due: "2026-04-01"})
	w.assign(t, w.svc, "centreA2", report.AssignmentForm{Course: buying, CentreID: w.centreA2.ID, Due: "2026-04-01"})

	// Activity goes through the real sign-in, on a clock set to noon of each day; last seen
	// is set afterwards, as the fixture says.
	for _, a := range []struct {
		who  *account.User
		days []string
	}{
		{w.p2, []string{"2026-02-09", "2026-02-18", "2026-02-22"}},
		{w.v1, []string{"2026-02-16", "2026-03-02"}},
		{w.p1, []string{"2026-02-23", "2026-03-03", "2026-03-04"}},
		{w.v2, []string{"2026-01-05", "2026-03-01", "2026-03-03"}},
		{w.coord, []string{"2026-03-03"}},
	} {
		for _, d := range a.days {
			when, err := time.Parse("2006-01-02 15:04", d+" 09:00")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := account.NewService(g, account.Options{Now: at(when)}).StartSession(w.ctx, a.who, "", "127.0.0.1", "test"); err != nil {
				t.Fatalf("StartSession %s on %s: %v", a.who.Login, d, err)
			}
		}
	}
	for _, u := range []*account.User{w.p1, w.p2, w.p3, w.p4, w.v1, w.v2, w.v3, w.coord} {
		if err := g.Model(&account.User{}).Where("id = ?", u.ID).Update("last_seen_at", u.LastSeenAt).Error; err != nil {
			t.Fatalf("set last seen: %v", err)
		}
	}
	return w
}

func (w *world) user(t *testing.T, login, name string, role account.Role, regionID, centreID *uint, lastSeen *time.Time, active bool) *account.User {
	t.Helper()
	u := &account.User{Login: login, Name: name, Role: role, RegionID: regionID, CentreID: centreID, Active: active, LastSeenAt: lastSeen, CreatedAt: registered}
	err := w.g.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(u).Error; err != nil {
			return err
		}
		return account.CountLearners(tx, u)
	})
	if err != nil {
		t.Fatalf("create user %s: %v", login, err)
	}
	return u
}

func (w *world) certificate(t *testing.T, u *account.User, courseSlug string, issued time.Time) {
	t.Helper()
	c := progress.Certificate{Code: fmt.Sprintf("code%d%s", u.ID, courseSlug), UserID: u.ID, Course: courseSlug, HolderName: u.Name, IssuedAt: issued}
	if err := w.g.Create(&c).Error; err != nil {
		t.Fatalf("insert certificate: %v", err)
	}
}

func (w *world) assign(t *testing.T, svc *report.Service, name string, f report.AssignmentForm) {
	t.Helper()
	a, err := svc.CreateAssignment(w.ctx, w.coord, w.county, f)
	if err != nil {
		t.Fatalf("CreateAssignment %s: %v", name, err)
	}
	w.asg[name] = a
}

// learner is u as progress knows them.
func (w *world) learner(u *account.User) progress.Learner {
	l := progress.Learner{ID: u.ID, Name: u.Name, Audience: string(u.Role)}
	if u.CentreID != nil {
		l.CentreID = *u.CentreID
		var c account.Centre
		w.g.Take(&c, *u.CentreID)
		l.Centre = c.Name
	}
	return l
}

func (w *world) lesson(t *testing.T, courseSlug, slug string) *course.Lesson {
	t.Helper()
	l := w.cat.Lesson(courseSlug, slug)
	if l == nil {
		t.Fatalf("no lesson %s/%s in the test courses", courseSlug, slug)
	}
	return l
}

// right answers every question of l correctly, from the catalogue itself.
func (w *world) right(l *course.Lesson) course.Answers {
	a := course.Answers{}
	for _, q := range l.In(course.Langs[0]).Quiz.Questions {
		for _, o := range q.Options {
			if o.Correct {
				a[q.ID] = append(a[q.ID], o.ID)
			}
		}
	}
	return a
}

// rightBut answers correctly except the given questions, each followed by the option
// letters chosen for it ("ab" chooses a and b).
func (w *world) rightBut(l *course.Lesson, pairs ...string) course.Answers {
	a := w.right(l)
	for i := 0; i+1 < len(pairs); i += 2 {
		var opts []string
		for _, r := range pairs[i+1] {
			opts = append(opts, string(r))
		}
		a[pairs[i]] = opts
	}
	return a
}

func (w *world) submit(t *testing.T, u *account.User, l *course.Lesson, a course.Answers) *progress.Attempt {
	t.Helper()
	w.keys++
	att, err := w.pr.RecordAttempt(w.ctx, w.learner(u), l, progress.Submission{Key: fmt.Sprintf("report-test-key-%04d", w.keys), Lang: "zh-CN", Answers: a})
	if err != nil {
		t.Fatalf("RecordAttempt %s for %s: %v", l.Key(), u.Name, err)
	}
	return att
}

// wantField fails unless err is Invalid about field with the message key.
func wantField(t *testing.T, err error, field, key string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != errs.Invalid || e.Field != field || e.Key != key {
		t.Fatalf("error = %v, want invalid %s %s", err, field, key)
	}
}

// ids lists the partner ids of rows, for comparing lists in order.
func ids[T any](rows []T, id func(T) uint) []uint {
	out := make([]uint, 0, len(rows))
	for _, r := range rows {
		out = append(out, id(r))
	}
	return out
}

func ptr[T any](v T) *T { return &v }

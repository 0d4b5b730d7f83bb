package report_test

import (
	"fmt"
	"maps"
	"reflect"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/report"
)

func partnerID(r report.PartnerRow) uint { return r.ID }

// courseCells is a partner's expected matrix row: every partner course of the test courses,
// with the mastered lessons given and none elsewhere.
func courseCells(mastered map[string]int) map[string]report.Cell {
	cells := map[string]report.Cell{paying: {Total: 2}, buying: {Total: 2}, scams: {Total: 3}, selling: {Total: 1}, centre: {Total: 1}, teaching: {Total: 1}}
	for c, m := range mastered {
		cell := cells[c]
		cell.Mastered = m
		cells[c] = cell
	}
	return cells
}

func TestMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		type want struct {
			user                   *account.User
			centre, village        string
			mastered, tasks, certs int
			stuck                  int
			cells                  map[string]report.Cell
			lastSeen               *time.Time
		}
		p1 := want{w.p1, "Centre A", "Anping Village", 0, 0, 1, 1, courseCells(nil), w.p1.LastSeenAt}
		p2 := want{w.p2, "Centre A", "Anping Village", 2, 2, 2, 0, courseCells(map[string]int{paying: 1, buying: 1}), w.p2.LastSeenAt}
		p3 := want{w.p3, "Centre B", "Baishi Village", 0, 0, 0, 1, courseCells(nil), nil}
		for _, tc := range []struct {
			name   string
			region *account.Region
			want   []want
		}{
			{"county", w.county, []want{p1, p2, p3}},
			{"township 1", w.town1, []want{p1, p2}},
			{"township 2", w.town2, []want{p3}},
			{"village 1", w.village1, []want{p1, p2}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rows, total, err := w.svc.Matrix(w.ctx, tc.region, 1)
				if err != nil {
					t.Fatal(err)
				}
				if total != int64(len(tc.want)) || len(rows) != len(tc.want) {
					t.Fatalf("%d rows of %d, want %d (no villagers, no deactivated partner): %v", len(rows), total, len(tc.want), ids(rows, partnerID))
				}
				for i, r := range rows {
					wr := tc.want[i]
					if r.ID != wr.user.ID || r.Name != wr.user.Name || r.CentreName != wr.centre || r.VillageName != wr.village {
						t.Errorf("row %d = %d %q %q %q, want %d %q %q %q", i, r.ID, r.Name, r.CentreName, r.VillageName, wr.user.ID, wr.user.Name, wr.centre, wr.village)
					}
					if r.LessonsMastered != wr.mastered || r.TasksDone != wr.tasks || r.Certificates != wr.certs || r.Stuck != wr.stuck {
						t.Errorf("%s: mastered %d tasks %d certificates %d stuck %d, want %d %d %d %d", r.Name,
							r.LessonsMastered, r.TasksDone, r.Certificates, r.Stuck, wr.mastered, wr.tasks, wr.certs, wr.stuck)
					}
					if !maps.Equal(r.Courses, wr.cells) {
						t.Errorf("%s: cells %v, want %v", r.Name, r.Courses, wr.cells)
					}
					if (r.LastSeenAt == nil) != (wr.lastSeen == nil) || (r.LastSeenAt != nil && !r.LastSeenAt.Equal(*wr.lastSeen)) {
						t.Errorf("%s: last seen %v, want %v", r.Name, r.LastSeenAt, wr.lastSeen)
					}
				}
			})
		}
		if c := (report.Cell{Mastered: 1, Total: 8}); c.Percent() != 12 {
			t.Errorf("Percent of 1/8 = %d, want 12", c.Percent())
		}
		if c := (report.Cell{}); c.Percent() != 0 {
			t.Errorf("Percent of 0/0 = %d, want 0", c.Percent())
		}
	})
}

func TestMatrixPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		// 50 more partners at Centre B, named to sort after "Partner Three", with no progress.
		extra := make([]account.User, 50)
		for i := range extra {
			extra[i] = account.User{Login: fmt.Sprintf("z%02d", i+1), Name: fmt.Sprintf("Partner Z%02d", i+1), Role: account.RolePartner, CentreID: &w.centreB.ID, Active: true}
		}
		if err := g.Create(&extra).Error; err != nil {
			t.Fatal(err)
		}
		for i := range extra {
			if err := account.CountLearners(g, &extra[i]); err != nil {
				t.Fatal(err)
			}
		}
		const total = 53
		for _, tc := range []struct {
			page  int
			first string
			last  string
			n     int
		}{
			{0, "Partner One", "Partner Z47", report.PartnersPerPage},
			{1, "Partner One", "Partner Z47", report.PartnersPerPage},
			{2, "Partner Z48", "Partner Z50", total - report.PartnersPerPage},
			{3, "", "", 0},
		} {
			rows, n, err := w.svc.Matrix(w.ctx, w.county, tc.page)
			if err != nil {
				t.Fatal(err)
			}
			if n != total || len(rows) != tc.n {
				t.Fatalf("page %d: %d rows of %d, want %d of %d", tc.page, len(rows), n, tc.n, total)
			}
			if tc.n > 0 && (rows[0].Name != tc.first || rows[len(rows)-1].Name != tc.last) {
				t.Errorf("page %d runs from %q to %q, want %q to %q", tc.page, rows[0].Name, rows[len(rows)-1].Name, tc.first, tc.last)
			}
			for _, r := range rows {
				if r.Courses == nil {
					t.Errorf("page %d: %s has a nil course map", tc.page, r.Name)
				}
			}
		}
		// The newcomers have no progress rows: an empty course map, zeros.
		rows, _, err := w.svc.Matrix(w.ctx, w.county, 2)
		if err != nil {
			t.Fatal(err)
		}
		if r := rows[0]; len(r.Courses) != 0 || r.LessonsMastered != 0 || r.Stuck != 0 {
			t.Errorf("%s without progress: %+v", r.Name, r)
		}
		if rows, n, err := w.svc.Matrix(w.ctx, w.town1, 1); err != nil || n != 2 || len(rows) != 2 {
			t.Errorf("township 1 matrix: %d rows of %d, %v; want the 2 partners of Centre A", len(rows), n, err)
		}
		// The export's one pass is the pages one after another, course cells and all.
		all, err := w.svc.AllPartners(w.ctx, w.county)
		if err != nil {
			t.Fatal(err)
		}
		var paged []report.PartnerRow
		for page := 1; page <= 2; page++ {
			rows, _, err := w.svc.Matrix(w.ctx, w.county, page)
			if err != nil {
				t.Fatal(err)
			}
			paged = append(paged, rows...)
		}
		if len(all) != total || !reflect.DeepEqual(all, paged) {
			t.Errorf("AllPartners gave %d rows %v, the pages %d rows %v", len(all), ids(all, partnerID), len(paged), ids(paged, partnerID))
		}
	})
}

func TestAlerts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		p1Stuck := report.StuckRow{PartnerID: w.p1.ID, Name: "Partner One", CentreName: "Centre A", VillageName: "Anping Village",
			Course: paying, Lesson: "wallet-basics", Attempts: 3, BestRight: 3}
		p3Stuck := report.StuckRow{PartnerID: w.p3.ID, Name: "Partner Three", CentreName: "Centre B", VillageName: "Baishi Village",
			Course: scams, Lesson: "scam-signs", Attempts: 5, BestRight: 3}
		p1Behind := report.BehindRow{PartnerID: w.p1.ID, Name: "Partner One", CentreName: "Centre A", AssignmentID: w.asg["centreA"].ID, Course: paying, Due: "2026-02-20"}
		p3Behind := report.BehindRow{PartnerID: w.p3.ID, Name: "Partner Three", CentreName: "Centre B", AssignmentID: w.asg["p3Only"].ID, Course: scams, Due: "2026-02-28"}
		// Registered a second ago and not signed in yet: not away. Nor is a villager who
		// came back yesterday after being registered long ago.
		for _, u := range []*account.User{
			{Login: "newp", Name: "New Partner", Role: account.RolePartner, CentreID: &w.centreB.ID, Active: true, CreatedAt: now.Add(-time.Second)},
			{Login: "newv", Name: "New Villager", Role: account.RoleVillager, CentreID: &w.centreA.ID, Active: true, CreatedAt: now.Add(-time.Second)},
			{Login: "backv", Name: "Back Villager", Role: account.RoleVillager, CentreID: &w.centreB.ID, Active: true, CreatedAt: past, LastSeenAt: ptr(now.Add(-24 * time.Hour))},
		} {
			if err := g.Create(u).Error; err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name     string
			region   *account.Region
			stuck    []report.StuckRow
			inactive []*account.User // never signed in first, then longest unseen
			absent   []*account.User // the villagers, likewise
			behind   []report.BehindRow
		}{
			// p3 has more attempts than p1, so comes first. p4 (deactivated, never seen) is
			// never listed.
			{"county", w.county, []report.StuckRow{p3Stuck, p1Stuck}, []*account.User{w.p3, w.p2}, []*account.User{w.v3}, []report.BehindRow{p1Behind, p3Behind}},
			{"township 1", w.town1, []report.StuckRow{p1Stuck}, []*account.User{w.p2}, []*account.User{w.v3}, []report.BehindRow{p1Behind}},
			{"township 2", w.town2, []report.StuckRow{p3Stuck}, []*account.User{w.p3}, nil, []report.BehindRow{p3Behind}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a, err := w.svc.Alerts(w.ctx, tc.region)
				if err != nil {
					t.Fatal(err)
				}
				if len(a.Stuck) != len(tc.stuck) {
					t.Errorf("stuck = %+v, want %+v", a.Stuck, tc.stuck)
				} else {
					for i := range a.Stuck {
						if a.Stuck[i] != tc.stuck[i] {
							t.Errorf("stuck %d = %+v, want %+v", i, a.Stuck[i], tc.stuck[i])
						}
					}
				}
				wantInactive := ids(tc.inactive, func(u *account.User) uint { return u.ID })
				if got := ids(a.Inactive, partnerID); fmt.Sprint(got) != fmt.Sprint(wantInactive) {
					t.Errorf("inactive = %v, want %v", got, wantInactive)
				}
				wantAbsent := ids(tc.absent, func(u *account.User) uint { return u.ID })
				if got := ids(a.Absent, partnerID); fmt.Sprint(got) != fmt.Sprint(wantAbsent) {
					t.Errorf("absent villagers = %v, want %v", got, wantAbsent)
				}
				// p2 was last seen ten days ago; p3 and v3 never signed in since 5 January.
				for _, r := range append(a.Inactive, a.Absent...) {
					want := report.Absence{Never: true, Days: 58}
					if r.ID == w.p2.ID {
						want = report.Absence{Days: 10}
						if r.LastSeenAt == nil || !r.LastSeenAt.Equal(*w.p2.LastSeenAt) || r.CentreName != "Centre A" || r.VillageName != "Anping Village" {
							t.Errorf("p2 inactive row = %+v", r)
						}
					}
					if r.Away != want || !r.Away.Away() {
						t.Errorf("%s away %+v, want %+v", r.Name, r.Away, want)
					}
				}
				if fmt.Sprint(a.Behind) != fmt.Sprint(tc.behind) {
					t.Errorf("behind = %+v, want %+v", a.Behind, tc.behind)
				}
			})
		}
	})
}

func TestLearners(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		// Registered a second ago: last, as the one away for the shortest time.
		fresh := &account.User{Login: "newv", Name: "New Villager", Role: account.RoleVillager, CentreID: &w.centreA.ID, Active: true, CreatedAt: now.Add(-time.Second)}
		if err := g.Create(fresh).Error; err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name     string
			centre   uint
			want     []*account.User // away longest first, from registration if never signed in
			mastered []int
		}{
			{"centre A", w.centreA.ID, []*account.User{w.v3, w.v1, fresh}, []int{0, 1, 0}},
			{"centre B", w.centreB.ID, []*account.User{w.v2}, []int{1}},
			{"empty centre", w.centreA2.ID, nil, nil},
		} {
			rows, err := w.svc.Learners(w.ctx, tc.centre)
			if err != nil {
				t.Fatal(err)
			}
			want := ids(tc.want, func(u *account.User) uint { return u.ID })
			if got := ids(rows, partnerID); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: villagers %v, want %v (no partners)", tc.name, got, want)
				continue
			}
			for i, r := range rows {
				if r.LessonsMastered != tc.mastered[i] {
					t.Errorf("%s: %s mastered %d, want %d", tc.name, r.Name, r.LessonsMastered, tc.mastered[i])
				}
				var want report.Absence
				switch r.ID {
				case w.v3.ID:
					want = report.Absence{Never: true, Days: 58}
				case w.v1.ID:
					want = report.Absence{Days: 2}
				case fresh.ID:
					want = report.Absence{Never: true}
				case w.v2.ID:
					want = report.Absence{Days: 7}
				}
				if r.Away != want {
					t.Errorf("%s: %s away %+v, want %+v", tc.name, r.Name, r.Away, want)
				}
			}
		}
	})
}

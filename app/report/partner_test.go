package report_test

import (
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
	"cunlu/app/report"
	"cunlu/app/sandbox"
)

func TestPartnerOutsideRegion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		for _, tc := range []struct {
			name   string
			region *account.Region
			id     uint
		}{
			{"partner of the other township", w.town1, w.p3.ID},
			{"partner of the other township, from below", w.village2, w.p1.ID},
			{"villager in the region", w.town1, w.v1.ID},
			{"coordinator", w.county, w.coordT1.ID},
			{"no such id", w.county, 999999},
		} {
			d, err := w.svc.Partner(w.ctx, tc.region, tc.id)
			if d != nil || !errs.Is(err, errs.NotFound) {
				t.Errorf("%s: %v, %v; want NotFound", tc.name, d, err)
			}
		}
		// The same partners are found from a region that holds them.
		for _, u := range []*account.User{w.p1, w.p3} {
			if _, err := w.svc.Partner(w.ctx, w.county, u.ID); err != nil {
				t.Errorf("%s from the county: %v", u.Name, err)
			}
		}
	})
}

func TestPartner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		for _, l := range []sandbox.AssistLog{
			{PartnerID: w.p2.ID, VillagerID: w.v1.ID, Kind: "order", Note: "fertiliser", CreatedAt: now.Add(-time.Hour)},
			{PartnerID: w.p2.ID, VillagerID: w.v3.ID, Kind: "bill", Note: "electricity", CreatedAt: now},
			{PartnerID: w.p1.ID, VillagerID: w.v1.ID, Kind: "parcel", CreatedAt: now},
		} {
			if err := g.Create(&l).Error; err != nil {
				t.Fatal(err)
			}
		}

		t.Run("stuck partner", func(t *testing.T) {
			d, err := w.svc.Partner(w.ctx, w.town1, w.p1.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d.Partner.ID != w.p1.ID || d.Partner.Name != "Partner One" || d.Centre.ID != w.centreA.ID || d.Centre.Name != "Centre A" {
				t.Errorf("partner %d %q at %d %q", d.Partner.ID, d.Partner.Name, d.Centre.ID, d.Centre.Name)
			}
			if len(d.Lessons) != 1 {
				t.Fatalf("lessons %+v, want wallet-basics only", d.Lessons)
			}
			if l := d.Lessons[0]; l.Course != paying || l.Lesson != "wallet-basics" || l.Attempts != 3 || l.BestRight != 3 || l.PassedAt != nil || !l.LastSeenAt.Equal(now) {
				t.Errorf("lesson %+v", l)
			}
			// Newest first; chosen is the bit set of options (a = 1, b = 2, c = 4).
			want := []struct {
				right   int
				answers string
			}{
				{1, "[{q1 1 false} {q2 1 false} {q3 3 false} {q4 2 true}]"},
				{3, "[{q1 4 false} {q2 2 true} {q3 7 true} {q4 2 true}]"},
				{3, "[{q1 1 false} {q2 2 true} {q3 7 true} {q4 2 true}]"},
			}
			if len(d.Attempts) != len(want) {
				t.Fatalf("%d attempts, want %d", len(d.Attempts), len(want))
			}
			for i, a := range d.Attempts {
				if i > 0 && a.ID >= d.Attempts[i-1].ID {
					t.Errorf("attempts not newest first: %d after %d", a.ID, d.Attempts[i-1].ID)
				}
				if a.Course != paying || a.Lesson != "wallet-basics" || a.Right != want[i].right || a.Total != 4 || a.Passed || !a.CreatedAt.Equal(now) {
					t.Errorf("attempt %d = %+v", i, a)
				}
				if got := fmt.Sprint(a.Answers); got != want[i].answers {
					t.Errorf("attempt %d answers %s, want %s", i, got, want[i].answers)
				}
			}
			if len(d.Tasks) != 0 {
				t.Errorf("tasks %+v, want none", d.Tasks)
			}
			if len(d.Certificates) != 1 || d.Certificates[0].Course != selling || d.Certificates[0].Code == "" {
				t.Errorf("certificates %+v, want selling-online", d.Certificates)
			}
			if got := ids(d.Villagers, func(u account.User) uint { return u.ID }); fmt.Sprint(got) != fmt.Sprint([]uint{w.v1.ID, w.v3.ID}) {
				t.Errorf("villagers %v, want v1 and v3 of Centre A", got)
			}
			// p1 seen a day ago, v1 two days ago, v3 never since 5 January.
			if want := map[uint]report.Absence{w.p1.ID: {Days: 1}, w.v1.ID: {Days: 2}, w.v3.ID: {Never: true, Days: 58}}; fmt.Sprint(d.Away) != fmt.Sprint(want) {
				t.Errorf("away %v, want %v", d.Away, want)
			}
			if len(d.Assists) != 1 || d.Assists[0].VillagerName != "Villager One" || d.Assists[0].Kind != "parcel" {
				t.Errorf("assists %+v, want p1's one parcel", d.Assists)
			}
		})

		t.Run("partner with mastery", func(t *testing.T) {
			d, err := w.svc.Partner(w.ctx, w.county, w.p2.ID)
			if err != nil {
				t.Fatal(err)
			}
			passed := map[string]bool{}
			for _, l := range d.Lessons {
				if l.PassedAt == nil || !l.PassedAt.Equal(now) || l.Attempts != 1 {
					t.Errorf("lesson %+v, want passed at once", l)
				}
				passed[l.Course+"/"+l.Lesson] = true
			}
			if len(passed) != 2 || !passed[paying+"/wallet-basics"] || !passed[buying+"/how-online-shopping-works"] {
				t.Errorf("lessons %v", passed)
			}
			if len(d.Attempts) != 2 || !d.Attempts[0].Passed || d.Attempts[0].Lesson != "how-online-shopping-works" || len(d.Attempts[0].Answers) != 4 {
				t.Errorf("attempts %+v", d.Attempts)
			}
			if len(d.Tasks) != 2 || d.Tasks[0].TaskID != "buy-first-order" || d.Tasks[0].Evidence != "order 1" || !d.Tasks[0].CompletedAt.Equal(now) ||
				d.Tasks[1].TaskID != "pay-read-ledger" {
				t.Errorf("tasks %+v", d.Tasks)
			}
			// By date issued.
			if len(d.Certificates) != 2 || d.Certificates[0].Course != paying || d.Certificates[1].Course != selling ||
				!d.Certificates[1].IssuedAt.Equal(time.Date(2026, 2, 26, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("certificates %+v", d.Certificates)
			}
			// Newest first.
			if len(d.Assists) != 2 || d.Assists[0].VillagerName != "Villager Three" || d.Assists[0].Note != "electricity" || d.Assists[1].Kind != "order" {
				t.Errorf("assists %+v", d.Assists)
			}
		})
	})
}

// Every report asked about township 1 is blind to township 2, and the other way round.
func TestScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		for _, tc := range []struct {
			name           string
			region, other  *account.Region
			mine, theirs   []*account.User // partners
			myCentre       *account.Centre
			theirCentreIDs []uint
		}{
			{"township 1", w.town1, w.town2, []*account.User{w.p1, w.p2}, []*account.User{w.p3}, w.centreA, []uint{w.centreB.ID}},
			{"township 2", w.town2, w.town1, []*account.User{w.p3}, []*account.User{w.p1, w.p2, w.p4}, w.centreB, []uint{w.centreA.ID, w.centreA2.ID}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				theirs := map[uint]bool{}
				for _, u := range tc.theirs {
					theirs[u.ID] = true
				}
				ov, err := w.svc.Overview(w.ctx, tc.region)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range ov.Rows {
					if r.ID == tc.other.ID || r.Level != string(account.LevelVillage) {
						t.Errorf("overview row %+v outside the township", r)
					}
				}
				if ov.Total.Partners != len(tc.mine) {
					t.Errorf("overview counts %d partners, want %d", ov.Total.Partners, len(tc.mine))
				}
				rows, _, err := w.svc.Matrix(w.ctx, tc.region, 1)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					if theirs[r.ID] {
						t.Errorf("matrix lists %s", r.Name)
					}
				}
				a, err := w.svc.Alerts(w.ctx, tc.region)
				if err != nil {
					t.Fatal(err)
				}
				if len(a.Stuck) == 0 || len(a.Inactive) == 0 || len(a.Behind) == 0 {
					t.Errorf("alerts %+v: every list should have someone of the township", a)
				}
				for _, r := range a.Stuck {
					if theirs[r.PartnerID] {
						t.Errorf("stuck lists %s", r.Name)
					}
				}
				for _, r := range a.Inactive {
					if theirs[r.ID] {
						t.Errorf("inactive lists %s", r.Name)
					}
				}
				for _, r := range a.Behind {
					if theirs[r.PartnerID] {
						t.Errorf("behind lists %s", r.Name)
					}
				}
				ds, err := w.svc.DifficultQuestions(w.ctx, tc.region, "", 0)
				if err != nil {
					t.Fatal(err)
				}
				otherQuestions, err := w.svc.DifficultQuestions(w.ctx, tc.other, "", 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range ds {
					for _, o := range otherQuestions {
						if d.Lesson.Key() == o.Lesson.Key() {
							t.Errorf("%s answered only in the other township is listed", d.Lesson.Key())
						}
					}
				}
				as, err := w.svc.Assignments(w.ctx, tc.region)
				if err != nil {
					t.Fatal(err)
				}
				for _, st := range as {
					if st.PartnerID != nil && theirs[*st.PartnerID] || st.RegionID != nil && *st.RegionID == tc.other.ID {
						t.Errorf("assignment %+v of the other township", st.Assignment)
					}
					for _, c := range tc.theirCentreIDs {
						if st.CentreID != nil && *st.CentreID == c {
							t.Errorf("assignment %+v of the other township's centre", st.Assignment)
						}
					}
				}
				for _, u := range tc.theirs {
					if _, err := w.svc.Partner(w.ctx, tc.region, u.ID); !errs.Is(err, errs.NotFound) {
						t.Errorf("detail of %s: %v, want NotFound", u.Name, err)
					}
				}
				for _, u := range tc.mine {
					if _, err := w.svc.Partner(w.ctx, tc.region, u.ID); err != nil {
						t.Errorf("detail of %s: %v", u.Name, err)
					}
				}
				// And a township 1 coordinator cannot assign work to the other township.
				if _, err := w.svc.CreateAssignment(w.ctx, w.coordT1, tc.region, report.AssignmentForm{Course: paying, PartnerID: tc.theirs[0].ID, Due: "2026-03-10"}); !errs.Is(err, errs.Invalid) {
					t.Errorf("assigning %s: %v, want Invalid", tc.theirs[0].Name, err)
				}
			})
		}
	})
}

package report_test

import (
	"fmt"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/report"
)

func assignmentID(a report.Assignment) uint   { return a.ID }
func statusID(a report.AssignmentStatus) uint { return a.ID }

// uintPtr prints an optional id: "none" or the number.
func uintPtr(p *uint) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}

func TestCreateAssignment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		count := func() int64 {
			var n int64
			if err := g.Table("assignments").Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count()

		// A township coordinator may target their township, anything below it, and its
		// partners; the due date may be today.
		for _, tc := range []struct {
			name                    string
			f                       report.AssignmentForm
			region, centre, partner *uint
		}{
			{"own township", report.AssignmentForm{Course: paying, RegionID: w.town1.ID, Due: "2026-03-04"}, &w.town1.ID, nil, nil},
			{"village", report.AssignmentForm{Course: paying, RegionID: w.village1.ID, Due: "2026-03-05"}, &w.village1.ID, nil, nil},
			{"centre", report.AssignmentForm{Course: selling, CentreID: w.centreA2.ID, Due: "2026-12-31"}, nil, &w.centreA2.ID, nil},
			{"partner", report.AssignmentForm{Course: teaching, PartnerID: w.p1.ID, Due: "2027-01-01"}, nil, nil, &w.p1.ID},
		} {
			a, err := w.svc.CreateAssignment(w.ctx, w.coordT1, w.town1, tc.f)
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			var stored report.Assignment
			if err := g.Take(&stored, a.ID).Error; err != nil {
				t.Fatalf("%s: stored assignment: %v", tc.name, err)
			}
			if stored.Course != tc.f.Course || stored.Due != tc.f.Due || stored.CreatedByID != w.coordT1.ID || !stored.CreatedAt.Equal(now) ||
				uintPtr(stored.RegionID) != uintPtr(tc.region) || uintPtr(stored.CentreID) != uintPtr(tc.centre) || uintPtr(stored.PartnerID) != uintPtr(tc.partner) {
				t.Errorf("%s: stored %+v (region %s centre %s partner %s)", tc.name, stored, uintPtr(stored.RegionID), uintPtr(stored.CentreID), uintPtr(stored.PartnerID))
			}
		}
		if n := count(); n != before+4 {
			t.Fatalf("%d assignments after four valid ones, want %d", n, before+4)
		}

		missing := uint(999999)
		for _, tc := range []struct {
			name       string
			f          report.AssignmentForm
			field, key string
		}{
			{"unknown course", report.AssignmentForm{Course: "no-such-course", RegionID: w.town1.ID, Due: "2026-03-10"}, "course", "assign.error.course"},
			{"no course", report.AssignmentForm{RegionID: w.town1.ID, Due: "2026-03-10"}, "course", "assign.error.course"},
			{"yesterday", report.AssignmentForm{Course: paying, RegionID: w.town1.ID, Due: "2026-03-03"}, "due", "assign.error.due"},
			{"no such day", report.AssignmentForm{Course: paying, RegionID: w.town1.ID, Due: "2026-02-30"}, "due", "assign.error.due"},
			{"other format", report.AssignmentForm{Course: paying, RegionID: w.town1.ID, Due: "10/03/2026"}, "due", "assign.error.due"},
			{"no due date", report.AssignmentForm{Course: paying, RegionID: w.town1.ID}, "due", "assign.error.due"},
			{"no target", report.AssignmentForm{Course: paying, Due: "2026-03-10"}, "target", "assign.error.target"},
			{"region and centre", report.AssignmentForm{Course: paying, RegionID: w.village1.ID, CentreID: w.centreA.ID, Due: "2026-03-10"}, "target", "assign.error.target"},
			{"centre and partner", report.AssignmentForm{Course: paying, CentreID: w.centreA.ID, PartnerID: w.p1.ID, Due: "2026-03-10"}, "target", "assign.error.target"},
			{"the county above", report.AssignmentForm{Course: paying, RegionID: w.county.ID, Due: "2026-03-10"}, "target", "assign.error.target"},
			{"other township", report.AssignmentForm{Course: paying, RegionID: w.town2.ID, Due: "2026-03-10"}, "target", "assign.error.target"},
			{"other township's village", report.AssignmentForm{Course: paying, RegionID: w.village2.ID, Due: "2026-03-10"}, "target", "assign.error.target"},
			{"unknown region", report.AssignmentForm{Course: paying, RegionID: missing, Due: "2026-03-10"}, "target", "assign.error.target"},
			{"other township's centre", report.AssignmentForm{Course: paying, CentreID: w.centreB.ID, Due: "2026-03-10"}, "target", "assign.error.target"},
			{"unknown centre", report.AssignmentForm{Course: paying, CentreID: missing, Due: "2026-03-10"}, "target", "assign.error.target"},
			{"other township's partner", report.AssignmentForm{Course: paying, PartnerID: w.p3.ID, Due: "2026-03-10"}, "target", "assign.error.target"},
			{"a villager", report.AssignmentForm{Course: paying, PartnerID: w.v1.ID, Due: "2026-03-10"}, "target", "assign.error.target"},
			{"a coordinator", report.AssignmentForm{Course: paying, PartnerID: w.coordT1.ID, Due: "2026-03-10"}, "target", "assign.error.target"},
			{"unknown partner", report.AssignmentForm{Course: paying, PartnerID: missing, Due: "2026-03-10"}, "target", "assign.error.target"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a, err := w.svc.CreateAssignment(w.ctx, w.coordT1, w.town1, tc.f)
				if a != nil {
					t.Errorf("returned an assignment: %+v", a)
				}
				wantField(t, err, tc.field, tc.key)
			})
		}
		if n := count(); n != before+4 {
			t.Errorf("%d assignments after the refused ones, want %d", n, before+4)
		}
		// The county coordinator may target the other township.
		if _, err := w.svc.CreateAssignment(w.ctx, w.coord, w.county, report.AssignmentForm{Course: paying, PartnerID: w.p3.ID, Due: "2026-03-10"}); err != nil {
			t.Errorf("county coordinator, partner in township 2: %v", err)
		}
	})
}

func TestAssignments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		type want struct {
			name                         string
			course, target, due          string
			partners, onTime, late, open int
			overdue                      bool
		}
		// Certificates: p2 paying-safely 21 Feb (a day late for 20 Feb); p1 selling-online 25
		// Feb 18:00 (on the due day: on time); p2 selling-online 26 Feb 00:00 (the first
		// moment after the due day: late). p4 is deactivated and never counted.
		centreA := want{"centreA", paying, "Centre A", "2026-02-20", 2, 0, 1, 1, true}
		township := want{"township", selling, "Anping", "2026-02-25", 2, 1, 1, 0, true}
		p3Only := want{"p3Only", scams, "Partner Three", "2026-02-28", 1, 0, 0, 1, true}
		county := want{"county", centre, "Qingshan", "2026-03-04", 3, 0, 0, 3, false} // due today: not overdue yet
		village2 := want{"village2", teaching, "Baishi Village", "2026-04-01", 1, 0, 0, 1, false}
		centreA2 := want{"centreA2", buying, "Centre A2", "2026-04-01", 0, 0, 0, 0, false}
		for _, tc := range []struct {
			name   string
			region *account.Region
			want   []want
		}{
			{"county", w.county, []want{centreA, township, p3Only, county, village2, centreA2}},
			// The county-wide assignment's target does not lie in a township.
			{"township 1", w.town1, []want{centreA, township, centreA2}},
			{"township 2", w.town2, []want{p3Only, village2}},
			{"village 1", w.village1, []want{centreA, centreA2}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := w.svc.Assignments(w.ctx, tc.region)
				if err != nil {
					t.Fatal(err)
				}
				var wantIDs []uint
				for _, wa := range tc.want {
					wantIDs = append(wantIDs, w.asg[wa.name].ID)
				}
				if fmt.Sprint(ids(got, statusID)) != fmt.Sprint(wantIDs) {
					t.Fatalf("assignments %v, want %v", ids(got, statusID), wantIDs)
				}
				for i, st := range got {
					wa := tc.want[i]
					if st.Course != wa.course || st.TargetName != wa.target || st.Due != wa.due {
						t.Errorf("%s: %s for %q due %s, want %s for %q due %s", wa.name, st.Course, st.TargetName, st.Due, wa.course, wa.target, wa.due)
					}
					if st.Partners != wa.partners || st.OnTime != wa.onTime || st.Late != wa.late || st.Open != wa.open || st.Overdue != wa.overdue {
						t.Errorf("%s: partners %d on time %d late %d open %d overdue %v, want %d %d %d %d %v", wa.name,
							st.Partners, st.OnTime, st.Late, st.Open, st.Overdue, wa.partners, wa.onTime, wa.late, wa.open, wa.overdue)
					}
				}
			})
		}
		// The three created with the clock at 10 February keep that date and their creator.
		for _, name := range []string{"centreA", "township", "p3Only"} {
			if a := w.asg[name]; !a.CreatedAt.Equal(past) || a.CreatedByID != w.coord.ID {
				t.Errorf("%s created %v by %d", name, a.CreatedAt, a.CreatedByID)
			}
		}
	})
}

func TestForPartner(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		pA2 := w.user(t, "pa2", "Partner A2", account.RolePartner, nil, &w.centreA2.ID, nil, true)
		for _, tc := range []struct {
			name    string
			partner *account.User
			want    []string // by due date
		}{
			// Their centre, their township, the county; not Centre A2, not township 2.
			{"p1", w.p1, []string{"centreA", "township", "county"}},
			{"p2", w.p2, []string{"centreA", "township", "county"}},
			// Themselves, the county, their village.
			{"p3", w.p3, []string{"p3Only", "county", "village2"}},
			// Township and county through the region tree, and their own centre.
			{"partner at Centre A2", pA2, []string{"township", "county", "centreA2"}},
			{"no centre", w.coord, nil},
		} {
			got, err := w.svc.ForPartner(w.ctx, tc.partner)
			if err != nil {
				t.Fatal(err)
			}
			var want []uint
			for _, name := range tc.want {
				want = append(want, w.asg[name].ID)
			}
			if fmt.Sprint(ids(got, assignmentID)) != fmt.Sprint(want) {
				t.Errorf("%s: %v, want %v %v", tc.name, ids(got, assignmentID), want, tc.want)
			}
		}
	})
}

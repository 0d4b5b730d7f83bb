package report_test

import (
	"testing"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/report"
)

// rowNumbers is a Row without its identity, for comparing whole rows at once.
type rowNumbers struct {
	Partners, Villagers, Active, Mastered, Possible, Tasks, Certificates, Completion int
}

func numbers(r report.Row) rowNumbers {
	return rowNumbers{r.Partners, r.Villagers, r.Active, r.Mastered, r.Possible, r.Tasks, r.Certificates, r.Completion()}
}

func TestOverview(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		// Township 1: p1, p2 (p4 is deactivated), v1, v3; active p1 and v1; mastered p2 two,
		// v1 one; p2's two tasks and v1's one; certificates p1 one, p2 two.
		town1 := rowNumbers{Partners: 2, Villagers: 2, Active: 2, Mastered: 3,
			Possible: 2*partnerLessons + 2*villagerLessons, Tasks: 3, Certificates: 3}
		town1.Completion = town1.Mastered * 100 / town1.Possible
		// Township 2: p3 (never seen), v2 (active, scam-signs mastered with its task).
		town2 := rowNumbers{Partners: 1, Villagers: 1, Active: 1, Mastered: 1, Possible: partnerLessons + villagerLessons, Tasks: 1}
		town2.Completion = 100 / town2.Possible
		total := rowNumbers{Partners: 3, Villagers: 3, Active: 3, Mastered: 4,
			Possible: 3*partnerLessons + 3*villagerLessons, Tasks: 4, Certificates: 3}
		total.Completion = 400 / total.Possible
		if town1.Possible != 32 || town1.Completion != 9 || town2.Possible != 16 || town2.Completion != 6 || total.Completion != 8 {
			t.Fatalf("the expected numbers are off: %+v %+v %+v", town1, town2, total)
		}
		empty := rowNumbers{}

		type want struct {
			id    uint
			name  string
			level string
			row   rowNumbers
		}
		for _, tc := range []struct {
			name   string
			region *account.Region
			total  rowNumbers
			rows   []want
			weekly []int
			scores map[int]int
		}{
			{"county by township", w.county, total,
				[]want{{w.town1.ID, "Anping", "township", town1}, {w.town2.ID, "Baishi", "township", town2}},
				[]int{0, 0, 0, 0, 1, 2, 2, 3}, map[int]int{2: 1, 7: 7, 10: 4}},
			{"township by village", w.town1, town1,
				[]want{{w.village1.ID, "Anping Village", "village", town1}},
				[]int{0, 0, 0, 0, 1, 2, 1, 2}, map[int]int{2: 1, 7: 2, 10: 3}},
			{"other township", w.town2, town2,
				[]want{{w.village2.ID, "Baishi Village", "village", town2}},
				[]int{0, 0, 0, 0, 0, 0, 1, 1}, map[int]int{7: 5, 10: 1}},
			{"village by centre", w.village1, town1,
				[]want{{w.centreA.ID, "Centre A", "centre", town1}, {w.centreA2.ID, "Centre A2", "centre", empty}},
				[]int{0, 0, 0, 0, 1, 2, 1, 2}, map[int]int{2: 1, 7: 2, 10: 3}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ov, err := w.svc.Overview(w.ctx, tc.region)
				if err != nil {
					t.Fatal(err)
				}
				if ov.Total.ID != tc.region.ID || ov.Total.Name != tc.region.Name || ov.Total.Level != string(tc.region.Level) {
					t.Errorf("total is %d %q %q, want the region itself", ov.Total.ID, ov.Total.Name, ov.Total.Level)
				}
				if got := numbers(ov.Total); got != tc.total {
					t.Errorf("total = %+v, want %+v", got, tc.total)
				}
				if len(ov.Rows) != len(tc.rows) {
					t.Fatalf("%d rows, want %d: %+v", len(ov.Rows), len(tc.rows), ov.Rows)
				}
				var sum report.Row
				for i, r := range ov.Rows {
					wr := tc.rows[i]
					if r.ID != wr.id || r.Name != wr.name || r.Level != wr.level {
						t.Errorf("row %d is %d %q %q, want %d %q %q", i, r.ID, r.Name, r.Level, wr.id, wr.name, wr.level)
					}
					if got := numbers(r); got != wr.row {
						t.Errorf("row %s = %+v, want %+v", r.Name, got, wr.row)
					}
					sum.Partners += r.Partners
					sum.Villagers += r.Villagers
					sum.Active += r.Active
					sum.Mastered += r.Mastered
					sum.Possible += r.Possible
					sum.Tasks += r.Tasks
					sum.Certificates += r.Certificates
				}
				if numbers(sum) != numbers(ov.Total) {
					t.Errorf("rows add up to %+v, total is %+v", numbers(sum), numbers(ov.Total))
				}

				starts := []string{"2026-01-12", "2026-01-19", "2026-01-26", "2026-02-02", "2026-02-09", "2026-02-16", "2026-02-23", "2026-03-02"}
				// The chart's labels: month/day for the first week and a month's first Monday.
				labels := []string{"1/12", "19", "26", "2/2", "9", "16", "23", "3/2"}
				if len(ov.Weekly) != len(starts) {
					t.Fatalf("%d weeks, want %d", len(ov.Weekly), len(starts))
				}
				maxWeek := 0
				for i, wk := range ov.Weekly {
					if wk.Start != starts[i] || wk.Active != tc.weekly[i] || wk.Label != labels[i] {
						t.Errorf("week %d = %s %q %d, want %s %q %d", i, wk.Start, wk.Label, wk.Active, starts[i], labels[i], tc.weekly[i])
					}
					maxWeek = max(maxWeek, tc.weekly[i])
				}
				if ov.MaxWeek != maxWeek {
					t.Errorf("MaxWeek = %d, want %d", ov.MaxWeek, maxWeek)
				}
				var scores [11]int
				for b, n := range tc.scores {
					scores[b] = n
				}
				if ov.Scores != scores {
					t.Errorf("scores = %v, want %v", ov.Scores, scores)
				}
			})
		}
	})
}

func TestCompletion(t *testing.T) {
	for _, tc := range []struct {
		r    report.Row
		want int
	}{
		{report.Row{}, 0},
		{report.Row{Mastered: 1, Possible: 3}, 33},
		{report.Row{Mastered: 2, Possible: 3}, 66},
		{report.Row{Mastered: 75, Possible: 75}, 100},
	} {
		if got := tc.r.Completion(); got != tc.want {
			t.Errorf("Completion(%d/%d) = %d, want %d", tc.r.Mastered, tc.r.Possible, got, tc.want)
		}
	}
}

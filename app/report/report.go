// Package report builds the coordinators' read models: roll-ups from county to centre,
// the partner × course matrix, alerts, difficult questions and assignment status. It only
// reads. Every query is scoped by a region's path, which the caller has checked the
// coordinator may see (account.RegionInScope).
package report

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/course"
	"cunlu/app/errs"
)

// Catalogs gives the current course catalogue.
type Catalogs interface{ Catalog() *course.Catalog }

// Service answers the coordinators' questions.
type Service struct {
	db      *gorm.DB
	courses Catalogs
	now     func() time.Time
}

// NewService returns the report service over g.
func NewService(g *gorm.DB, courses Catalogs, now func() time.Time) *Service {
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	return &Service{db: g, courses: courses, now: now}
}

// ActiveDays is how long without a visit makes a partner "inactive".
const ActiveDays = 7

// Row is one line of a roll-up: a township, village or centre, or the region's total.
type Row struct {
	ID           uint
	Name         string
	Level        string // county, township, village or centre
	Partners     int
	Villagers    int
	Active       int // learners who came this calendar week (Monday to Sunday)
	Mastered     int // lessons mastered, all learners
	Possible     int // lessons the learners could master
	Tasks        int
	Certificates int
}

// Completion is the share of possible lessons mastered, in percent.
func (r Row) Completion() int {
	if r.Possible == 0 {
		return 0
	}
	return r.Mastered * 100 / r.Possible
}

func (r *Row) add(o Row) {
	r.Partners += o.Partners
	r.Villagers += o.Villagers
	r.Active += o.Active
	r.Mastered += o.Mastered
	r.Possible += o.Possible
	r.Tasks += o.Tasks
	r.Certificates += o.Certificates
}

// centreRow is one centre's totals for one role.
type centreRow struct {
	CentreID   uint
	CentreName string
	VillageID  uint
	Path       string
	Role       string
	N          int
	Active     int
	Mastered   int
	Tasks      int
	Certs      int
}

// lessonsFor counts the lessons a partner and a villager can master.
func lessonsFor(cat *course.Catalog) (partner, villager int) {
	for _, c := range cat.Courses {
		if c.For(course.AudienceVillager) {
			villager += len(c.LessonsFor(course.AudienceVillager))
		}
		partner += len(c.LessonsFor(course.AudiencePartner))
	}
	return partner, villager
}

func (s *Service) centreRows(ctx context.Context, region *account.Region) ([]centreRow, error) {
	g := s.db.WithContext(ctx)
	var rows []centreRow
	// Learners per centre and role, from the (centre_id, role, active) index.
	// Count per centre first (one pass over the users index), then keep the region's centres.
	counts := g.Table("users").Select("centre_id, role, COUNT(*) AS n").
		Where("role IN ? AND active AND centre_id IS NOT NULL", []string{"partner", "villager"}).Group("centre_id, role")
	err := g.Table("(?) AS u", counts).
		Select("centres.id AS centre_id, centres.name AS centre_name, regions.id AS village_id, regions.path AS path, u.role AS role, u.n AS n").
		Joins("JOIN centres ON centres.id = u.centre_id").
		Joins("JOIN regions ON regions.id = centres.region_id").
		Where("regions.path LIKE ?", region.Path+"%").Scan(&rows).Error
	if err != nil {
		return nil, errs.Wrap(err, "count learners")
	}
	// The precomputed sums: lessons, tasks and certificates per centre and role, and who
	// came this week.
	var sums []struct {
		CentreID                      uint
		Role                          string
		Mastered, Tasks, Certificates int
	}
	err = g.Table("centre_stats").Select("centre_stats.*").
		Joins("JOIN centres ON centres.id = centre_stats.centre_id").Joins("JOIN regions ON regions.id = centres.region_id").
		Where("regions.path LIKE ?", region.Path+"%").Scan(&sums).Error
	if err != nil {
		return nil, errs.Wrap(err, "centre sums")
	}
	var weeks []struct {
		CentreID uint
		Active   int
	}
	err = g.Table("centre_weekly_active").Select("centre_weekly_active.centre_id, centre_weekly_active.active").
		Joins("JOIN centres ON centres.id = centre_weekly_active.centre_id").Joins("JOIN regions ON regions.id = centres.region_id").
		Where("centre_weekly_active.week = ? AND regions.path LIKE ?", account.WeekOf(s.now()), region.Path+"%").Scan(&weeks).Error
	if err != nil {
		return nil, errs.Wrap(err, "weekly activity")
	}
	type key struct {
		centre uint
		role   string
	}
	idx := make(map[key]int, len(rows))
	for i, r := range rows {
		idx[key{r.CentreID, r.Role}] = i
	}
	for _, x := range sums {
		if i, ok := idx[key{x.CentreID, x.Role}]; ok {
			rows[i].Mastered, rows[i].Tasks, rows[i].Certs = x.Mastered, x.Tasks, x.Certificates
		}
	}
	// Weekly activity is per centre, not per role: count it once, on the partners' row
	// when there is one.
	for _, w := range weeks {
		if i, ok := idx[key{w.CentreID, "partner"}]; ok {
			rows[i].Active = w.Active
		} else if i, ok := idx[key{w.CentreID, "villager"}]; ok {
			rows[i].Active = w.Active
		}
	}
	return rows, nil
}

// Overview is a region's roll-up: its total, one row per region (or centre) directly below
// it, and the numbers behind the charts.
type Overview struct {
	Region  *account.Region
	Total   Row
	Rows    []Row
	Weekly  []Week
	Scores  [11]int // attempts by score, in tenths (0 … 10)
	MaxWeek int
}

// Week is the number of learners active in one week.
type Week struct {
	Start  string // YYYY-MM-DD, a Monday
	Active int
}

// Overview rolls the region up by the level below it: a county by township, a township by
// village, a village by centre.
func (s *Service) Overview(ctx context.Context, region *account.Region) (*Overview, error) {
	cat := s.courses.Catalog()
	pl, vl := lessonsFor(cat)
	crow, err := s.centreRows(ctx, region)
	if err != nil {
		return nil, err
	}
	ov := &Overview{Region: region, Total: Row{ID: region.ID, Name: region.Name, Level: string(region.Level)}}
	var children []account.Region
	if region.Level != account.LevelVillage {
		if err := s.db.WithContext(ctx).Where("parent_id = ?", region.ID).Find(&children).Error; err != nil {
			return nil, errs.Wrap(err, "child regions")
		}
		sortByName(children)
		for _, c := range children {
			ov.Rows = append(ov.Rows, Row{ID: c.ID, Name: c.Name, Level: string(c.Level)})
		}
	} else {
		var centres []account.Centre
		if err := s.db.WithContext(ctx).Where("region_id = ?", region.ID).Order("name, id").Find(&centres).Error; err != nil {
			return nil, errs.Wrap(err, "centres")
		}
		for _, c := range centres {
			ov.Rows = append(ov.Rows, Row{ID: c.ID, Name: c.Name, Level: "centre"})
		}
	}
	for _, cr := range crow {
		r := Row{Mastered: cr.Mastered, Tasks: cr.Tasks, Certificates: cr.Certs, Active: cr.Active}
		if cr.Role == "partner" {
			r.Partners, r.Possible = cr.N, cr.N*pl
		} else {
			r.Villagers, r.Possible = cr.N, cr.N*vl
		}
		ov.Total.add(r)
		for i := range ov.Rows {
			row := &ov.Rows[i]
			if (row.Level == "centre" && row.ID == cr.CentreID) || (row.Level != "centre" && hasAncestor(cr.Path, row.ID)) {
				row.add(r)
				break
			}
		}
	}
	if ov.Weekly, err = s.weekly(ctx, region, 8); err != nil {
		return nil, err
	}
	for _, w := range ov.Weekly {
		ov.MaxWeek = max(ov.MaxWeek, w.Active)
	}
	var buckets []struct {
		Bucket   int
		Attempts int
	}
	err = s.db.WithContext(ctx).Table("score_stats").Select("score_stats.bucket, SUM(score_stats.attempts) AS attempts").
		Joins("JOIN centres ON centres.id = score_stats.centre_id").
		Joins("JOIN regions ON regions.id = centres.region_id").
		Where("regions.path LIKE ?", region.Path+"%").Group("score_stats.bucket").Scan(&buckets).Error
	if err != nil {
		return nil, errs.Wrap(err, "score distribution")
	}
	for _, b := range buckets {
		if b.Bucket >= 0 && b.Bucket <= 10 {
			ov.Scores[b.Bucket] = b.Attempts
		}
	}
	return ov, nil
}

// hasAncestor reports whether the region id appears in a materialised path "/1/4/9/".
func hasAncestor(path string, id uint) bool {
	return strings.Contains(path, "/"+strconv.FormatUint(uint64(id), 10)+"/")
}

func sortByName(rs []account.Region) {
	slices.SortFunc(rs, func(a, b account.Region) int { return strings.Compare(a.Name, b.Name) })
}

// weekly counts the distinct learners active in each of the last n weeks (Monday to
// Sunday), from the per-centre weekly totals.
func (s *Service) weekly(ctx context.Context, region *account.Region, n int) ([]Week, error) {
	first := account.WeekOf(s.now().AddDate(0, 0, -7*(n-1)))
	var rows []struct {
		Week   string
		Active int
	}
	err := s.db.WithContext(ctx).Table("centre_weekly_active").Select("centre_weekly_active.week, SUM(centre_weekly_active.active) AS active").
		Joins("JOIN centres ON centres.id = centre_weekly_active.centre_id").
		Joins("JOIN regions ON regions.id = centres.region_id").
		Where("centre_weekly_active.week >= ? AND regions.path LIKE ?", first, region.Path+"%").
		Group("centre_weekly_active.week").Scan(&rows).Error
	if err != nil {
		return nil, errs.Wrap(err, "weekly activity")
	}
	byWeek := map[string]int{}
	for _, r := range rows {
		byWeek[r.Week] = r.Active
	}
	out := make([]Week, n)
	for i := range out {
		out[i].Start = account.WeekOf(s.now().AddDate(0, 0, -7*(n-1-i)))
		out[i].Active = byWeek[out[i].Start]
	}
	return out, nil
}

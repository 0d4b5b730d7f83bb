// Package report builds the coordinators' read models: roll-ups from county to centre,
// the partner × course matrix, alerts, difficult questions and assignment status. It only
// reads. Every query is scoped by a region's path, which the caller has checked the
// coordinator may see (account.RegionInScope).
package report

import (
	"context"
	"fmt"
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

// rowKey is the column that says, for a centre, which row of region's overview it adds to:
// its township in a county, its village in a township, itself in a village ("regions" is
// the centre's village). Regions are always county → township → village, and centres lie
// in villages.
func rowKey(region *account.Region) string {
	switch region.Level {
	case account.LevelCounty:
		return "regions.parent_id"
	case account.LevelTownship:
		return "regions.id"
	default:
		return "centres.id"
	}
}

// centresIn is the subquery of the ids of the centres in region, for "centre_id IN (?)":
// given it, the databases find a region's partners centre by centre from
// idx_users_centre_role_name, a township's among a township's rows, where a join on the
// region's path would go through every partner of the county (SQLite, without
// statistics, takes "role = ?" for the narrower choice).
func centresIn(g *gorm.DB, region *account.Region) *gorm.DB {
	return g.Table("centres").Select("centres.id").
		Joins("JOIN regions ON regions.id = centres.region_id").Where("regions.path LIKE ?", region.Path+"%")
}

// inRegion narrows a query on a table with a centre_id column to the centres in region,
// joining each centre and its village.
func inRegion(q *gorm.DB, table string, region *account.Region) *gorm.DB {
	return q.Joins("JOIN centres ON centres.id = "+table+".centre_id").
		Joins("JOIN regions ON regions.id = centres.region_id").
		Where("regions.path LIKE ?", region.Path+"%")
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
	Label  string // the Monday on the chart: "11/30", then "7" for 12/7 unless the month changed ("12/7")
	Active int
}

// Overview rolls the region up by the level below it: a county by township, a township by
// village, a village by centre. The database adds up the per-centre sums (centre_stats,
// centre_weekly_active, score_stats) by row, so the cost is that of the region's centres,
// whatever the number of learners or answers.
func (s *Service) Overview(ctx context.Context, region *account.Region) (*Overview, error) {
	g := s.db.WithContext(ctx)
	ov := &Overview{Region: region, Total: Row{ID: region.ID, Name: region.Name, Level: string(region.Level)}}
	if region.Level != account.LevelVillage {
		var children []account.Region
		if err := g.Where("parent_id = ?", region.ID).Find(&children).Error; err != nil {
			return nil, errs.Wrap(err, "child regions")
		}
		sortByName(children)
		for _, c := range children {
			ov.Rows = append(ov.Rows, Row{ID: c.ID, Name: c.Name, Level: string(c.Level)})
		}
	} else {
		var centres []account.Centre
		if err := g.Where("region_id = ?", region.ID).Order("name, id").Find(&centres).Error; err != nil {
			return nil, errs.Wrap(err, "centres")
		}
		for _, c := range centres {
			ov.Rows = append(ov.Rows, Row{ID: c.ID, Name: c.Name, Level: "centre"})
		}
	}
	rows := make(map[uint]*Row, len(ov.Rows))
	for i := range ov.Rows {
		rows[ov.Rows[i].ID] = &ov.Rows[i]
	}
	key := rowKey(region)

	// Learners, lessons mastered, tasks and certificates. A centre's sums for a role count
	// only while it has active learners of that role, as the possible lessons do.
	var sums []struct {
		ID                                                 uint
		Partners, Villagers, Mastered, Tasks, Certificates int
	}
	err := inRegion(g.Table("centre_stats"), "centre_stats", region).
		Select(key + ` AS id,
			SUM(CASE WHEN centre_stats.role = 'partner' THEN centre_stats.learners ELSE 0 END) AS partners,
			SUM(CASE WHEN centre_stats.role = 'villager' THEN centre_stats.learners ELSE 0 END) AS villagers,
			SUM(centre_stats.mastered) AS mastered, SUM(centre_stats.tasks) AS tasks, SUM(centre_stats.certificates) AS certificates`).
		Where("centre_stats.learners > 0").Group(key).Scan(&sums).Error
	if err != nil {
		return nil, errs.Wrap(err, "centre sums")
	}
	pl, vl := lessonsFor(s.courses.Catalog())
	for _, x := range sums {
		r := Row{Partners: x.Partners, Villagers: x.Villagers, Mastered: x.Mastered, Tasks: x.Tasks, Certificates: x.Certificates,
			Possible: x.Partners*pl + x.Villagers*vl}
		ov.Total.add(r)
		if row := rows[x.ID]; row != nil {
			row.add(r)
		}
	}

	// Learners active in each of the last eight weeks, by row: the chart, and this week's
	// column.
	const weeks = 8
	first, this := account.WeekOf(s.now().AddDate(0, 0, -7*(weeks-1))), account.WeekOf(s.now())
	var active []struct {
		Week   string
		ID     uint
		Active int
	}
	err = inRegion(g.Table("centre_weekly_active"), "centre_weekly_active", region).
		Select("centre_weekly_active.week, "+key+" AS id, SUM(centre_weekly_active.active) AS active").
		Where("centre_weekly_active.week >= ?", first).Group("centre_weekly_active.week, " + key).Scan(&active).Error
	if err != nil {
		return nil, errs.Wrap(err, "weekly activity")
	}
	byWeek := map[string]int{}
	for _, a := range active {
		byWeek[a.Week] += a.Active
		if a.Week != this {
			continue
		}
		ov.Total.Active += a.Active
		if row := rows[a.ID]; row != nil {
			row.Active += a.Active
		}
	}
	ov.Weekly = make([]Week, weeks)
	for i := range ov.Weekly {
		w := &ov.Weekly[i]
		w.Start = account.WeekOf(s.now().AddDate(0, 0, -7*(weeks-1-i)))
		// Month/day would overlap on a phone's chart: the day alone within a month.
		if monday, err := time.Parse(time.DateOnly, w.Start); err == nil {
			w.Label = strconv.Itoa(monday.Day())
			if i == 0 || w.Start[:7] != ov.Weekly[i-1].Start[:7] {
				w.Label = fmt.Sprintf("%d/%d", monday.Month(), monday.Day())
			}
		}
		w.Active = byWeek[w.Start]
		ov.MaxWeek = max(ov.MaxWeek, w.Active)
	}

	var buckets []struct {
		Bucket   int
		Attempts int
	}
	err = inRegion(g.Table("score_stats"), "score_stats", region).
		Select("score_stats.bucket, SUM(score_stats.attempts) AS attempts").Group("score_stats.bucket").Scan(&buckets).Error
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

func sortByName(rs []account.Region) {
	slices.SortFunc(rs, func(a, b account.Region) int { return strings.Compare(a.Name, b.Name) })
}

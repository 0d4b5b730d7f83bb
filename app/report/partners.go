package report

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/errs"
)

// PartnerRow is a partner with their roll-up, for the matrix and the alerts.
type PartnerRow struct {
	ID              uint
	Name            string
	Phone           *string
	CentreName      string
	VillageName     string
	LastSeenAt      *time.Time
	CreatedAt       time.Time // registered
	Away            Absence   `gorm:"-"` // filled after the scan from LastSeenAt and CreatedAt
	LessonsMastered int
	TasksDone       int
	Certificates    int
	Stuck           int
	Courses         map[string]Cell `gorm:"-"` // by course slug; filled after the scan, not a column
}

// Cell is one partner's progress in one course.
type Cell struct {
	Mastered int
	Total    int
}

// Percent is the share mastered.
func (c Cell) Percent() int {
	if c.Total == 0 {
		return 0
	}
	return c.Mastered * 100 / c.Total
}

// PartnersPerPage is how many partners the matrix shows at once.
const PartnersPerPage = 50

// Matrix returns a page of the partners in the region with their progress in each course,
// and how many there are in all.
func (s *Service) Matrix(ctx context.Context, region *account.Region, page int) ([]PartnerRow, int64, error) {
	var total int64
	err := inRegion(s.db.WithContext(ctx).Table("centre_stats"), "centre_stats", region).
		Select("COALESCE(SUM(centre_stats.learners), 0)").Where("centre_stats.role = ?", account.RolePartner).Scan(&total).Error
	if err != nil {
		return nil, 0, errs.Wrap(err, "count partners")
	}
	rows, err := s.partners(ctx, region, PartnersPerPage, (max(page, 1)-1)*PartnersPerPage)
	return rows, total, err
}

// AllPartners returns every partner in the region, in the matrix's order, for the export.
func (s *Service) AllPartners(ctx context.Context, region *account.Region) ([]PartnerRow, error) {
	return s.partners(ctx, region, -1, 0)
}

// partners lists limit partners of the region from offset (every one for limit -1) in the
// matrix's order. The order needs all of the region's partners sorted; the page's ids
// are sorted from idx_users_centre_role_name alone (it holds the names), and only the
// page's rows are then read whole.
func (s *Service) partners(ctx context.Context, region *account.Region, limit, offset int) ([]PartnerRow, error) {
	g := s.db.WithContext(ctx)
	const order = "regions.name, centres.name, users.name, users.id"
	withPlaces := func(q *gorm.DB) *gorm.DB {
		return q.Joins("JOIN centres ON centres.id = users.centre_id").
			Joins("JOIN regions ON regions.id = centres.region_id")
	}
	partnersIn := func(q *gorm.DB) *gorm.DB {
		return withPlaces(q).Where("users.centre_id IN (?) AND users.role = ? AND users.active", centresIn(g, region), account.RolePartner)
	}
	q := g.Table("users")
	if limit >= 0 {
		page := partnersIn(g.Table("users")).Select("users.id").Order(order).Limit(limit).Offset(offset)
		q = withPlaces(q).Where("users.id IN (?)", page)
	} else {
		q = partnersIn(q)
	}
	var rows []PartnerRow
	err := q.Joins("LEFT JOIN learner_stats ON learner_stats.user_id = users.id").
		Select(`users.id, users.name, users.phone, centres.name AS centre_name, regions.name AS village_name, users.last_seen_at,
		COALESCE(learner_stats.lessons_mastered, 0) AS lessons_mastered, COALESCE(learner_stats.tasks_done, 0) AS tasks_done,
		COALESCE(learner_stats.certificates, 0) AS certificates, COALESCE(learner_stats.stuck, 0) AS stuck`).
		Order(order).Scan(&rows).Error
	if err != nil {
		return nil, errs.Wrap(err, "list partners")
	}
	// A thousand ids at a time: a county's partners would pass the databases' limits on
	// bound values in one IN list.
	for page := range slices.Chunk(rows, 1000) {
		if err := s.fillCourses(ctx, page); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

func (s *Service) fillCourses(ctx context.Context, rows []PartnerRow) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]uint, len(rows))
	index := make(map[uint]int, len(rows))
	for i := range rows {
		ids[i], index[rows[i].ID] = rows[i].ID, i
		rows[i].Courses = map[string]Cell{}
	}
	var cells []struct {
		UserID   uint
		Course   string
		Mastered int
		Total    int
	}
	if err := s.db.WithContext(ctx).Table("learner_course_stats").Where("user_id IN ?", ids).Scan(&cells).Error; err != nil {
		return errs.Wrap(err, "course progress")
	}
	for _, c := range cells {
		rows[index[c.UserID]].Courses[c.Course] = Cell{Mastered: c.Mastered, Total: c.Total}
	}
	return nil
}

// Alerts are the partners and villagers who need a coordinator's attention.
type Alerts struct {
	Stuck    []StuckRow   // repeated wrong answers on a lesson
	Inactive []PartnerRow // partners away ActiveDays or more (see Absence)
	Absent   []PartnerRow // villagers away ActiveDays or more, likewise
	Behind   []BehindRow  // past an assignment's due date without its certificate
}

// Absence is how long a learner has stayed away. It counts from their last visit, or from
// their registration while they have never signed in: someone registered a minute ago is
// not away, and "never signed in" is told apart from "not back for a while".
type Absence struct {
	Never bool // not signed in since they were registered
	Days  int  // whole days since max(last visit, registration)
}

// Away is whether the learner has stayed away long enough to need a word: ActiveDays.
func (a Absence) Away() bool { return a.Days >= ActiveDays }

// Key is the message that says it, given Days as Count: "never signed in since
// registering N days ago" or "last seen N days ago" (and their "today" forms).
func (a Absence) Key() string {
	key := "absence.seen"
	if a.Never {
		key = "absence.never"
	}
	if a.Days == 0 {
		key += "_today"
	}
	return key
}

// AbsenceOf is the absence at now of a learner registered at created and last seen at
// lastSeen (nil: never).
func AbsenceOf(lastSeen *time.Time, created, now time.Time) Absence {
	from := created
	if lastSeen != nil && lastSeen.After(from) {
		from = *lastSeen
	}
	return Absence{Never: lastSeen == nil, Days: max(int(now.Sub(from)/(24*time.Hour)), 0)}
}

func (s *Service) setAbsence(rows []PartnerRow) {
	now := s.now()
	for i := range rows {
		rows[i].Away = AbsenceOf(rows[i].LastSeenAt, rows[i].CreatedAt, now)
	}
}

// StuckRow is a partner stuck on a lesson.
type StuckRow struct {
	PartnerID   uint
	Name        string
	CentreName  string
	VillageName string
	Course      string
	Lesson      string
	Attempts    int
	BestRight   int
}

// BehindRow is a partner behind an assignment.
type BehindRow struct {
	PartnerID    uint
	Name         string
	CentreName   string
	AssignmentID uint
	Course       string
	Due          string
}

// alertLimit keeps each alert list short enough to act on.
const alertLimit = 200

// Alerts finds the partners in the region who need help.
func (s *Service) Alerts(ctx context.Context, region *account.Region) (*Alerts, error) {
	a := &Alerts{}
	g := s.db.WithContext(ctx)
	// The region's partners centre by centre (see centresIn), each one's stuck lessons
	// from the partial index idx_lesson_progress_stuck, whose condition is written out:
	// with a bound 3 the databases could not use it.
	err := g.Table("users").
		Joins("JOIN centres ON centres.id = users.centre_id").
		Joins("JOIN regions ON regions.id = centres.region_id").
		Joins("JOIN lesson_progress ON lesson_progress.user_id = users.id").
		Select(`users.id AS partner_id, users.name, centres.name AS centre_name, regions.name AS village_name,
			lesson_progress.course, lesson_progress.lesson, lesson_progress.attempts, lesson_progress.best_right`).
		Where("users.centre_id IN (?) AND users.role = ? AND users.active", centresIn(g, region), account.RolePartner).
		Where("lesson_progress.passed_at IS NULL AND lesson_progress.attempts >= 3").
		Order("lesson_progress.attempts DESC, users.name, users.id").Limit(alertLimit).Scan(&a.Stuck).Error
	if err != nil {
		return nil, errs.Wrap(err, "stuck partners")
	}
	if a.Inactive, err = s.away(ctx, region, account.RolePartner); err != nil {
		return nil, err
	}
	if a.Absent, err = s.away(ctx, region, account.RoleVillager); err != nil {
		return nil, err
	}
	if a.Behind, err = s.behind(ctx, region); err != nil {
		return nil, err
	}
	return a, nil
}

// Learners lists the villagers of a centre with their roll-up, for the partner's "my
// villagers" page: the ones away longest first, counting from registration for those who
// never signed in (see Absence).
func (s *Service) Learners(ctx context.Context, centreID uint) ([]PartnerRow, error) {
	var rows []PartnerRow
	err := s.db.WithContext(ctx).Table("users").
		Joins("LEFT JOIN learner_stats ON learner_stats.user_id = users.id").
		Select(`users.id, users.name, users.phone, users.last_seen_at, users.created_at,
			COALESCE(learner_stats.lessons_mastered, 0) AS lessons_mastered, COALESCE(learner_stats.tasks_done, 0) AS tasks_done,
			COALESCE(learner_stats.certificates, 0) AS certificates, COALESCE(learner_stats.stuck, 0) AS stuck`).
		Where("users.role = ? AND users.centre_id = ?", account.RoleVillager, centreID).
		Order("COALESCE(users.last_seen_at, users.created_at), users.name, users.id").Scan(&rows).Error
	if err != nil {
		return nil, errs.Wrap(err, "list villagers")
	}
	s.setAbsence(rows)
	return rows, nil
}

// away lists the region's active learners of role who have stayed away ActiveDays or
// more, at most alertLimit: those who never signed in since registering first (registered
// longest ago first), then the longest unseen. Two walks that stop at the limit, along
// idx_users_never_signed_in (its condition written out, as the partial index needs) and
// idx_users_role_last_seen, where one query ordering by "last_seen_at IS NULL" sorted every
// learner. The region is a join here, not centresIn: by centre, the databases would read
// every learner's last visit.
func (s *Service) away(ctx context.Context, region *account.Region, role account.Role) ([]PartnerRow, error) {
	since := s.now().AddDate(0, 0, -ActiveDays)
	walk := func(q *gorm.DB, limit int) ([]PartnerRow, error) {
		var rows []PartnerRow
		err := q.Table("users").
			Joins("JOIN centres ON centres.id = users.centre_id").
			Joins("JOIN regions ON regions.id = centres.region_id").
			Where("users.role = ? AND users.active AND regions.path LIKE ?", role, region.Path+"%").
			Select(`users.id, users.name, users.phone, centres.name AS centre_name, regions.name AS village_name, users.last_seen_at, users.created_at`).
			Limit(limit).Scan(&rows).Error
		return rows, errs.Wrap(err, "learners away")
	}
	g := s.db.WithContext(ctx)
	rows, err := walk(g.Where("users.last_seen_at IS NULL AND users.created_at < ?", since).Order("users.created_at, users.id"), alertLimit)
	if err != nil {
		return nil, err
	}
	if n := alertLimit - len(rows); n > 0 {
		seen, err := walk(g.Where("users.last_seen_at < ?", since).Order("users.last_seen_at, users.name, users.id"), n)
		if err != nil {
			return nil, err
		}
		rows = append(rows, seen...)
	}
	s.setAbsence(rows)
	return rows, nil
}

package report

import (
	"context"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/errs"
)

// Assignment asks the partners of a region, a centre, or one partner to complete a course
// by a due date.
type Assignment struct {
	ID          uint
	Course      string
	RegionID    *uint
	CentreID    *uint
	PartnerID   *uint
	Due         string // YYYY-MM-DD
	CreatedByID uint
	CreatedAt   time.Time
}

func (Assignment) TableName() string { return "assignments" }

// AssignmentForm is what a coordinator types. Exactly one target is set.
type AssignmentForm struct {
	Course    string
	RegionID  uint
	CentreID  uint
	PartnerID uint
	Due       string
}

// CreateAssignment stores an assignment. The target must be inside the coordinator's
// region (the region itself, a region or centre below it, or a partner there) and the
// course must exist; the due date must be a real date, today or later.
func (s *Service) CreateAssignment(ctx context.Context, actor *account.User, scope *account.Region, f AssignmentForm) (*Assignment, error) {
	if s.courses.Catalog().Course(f.Course) == nil {
		return nil, errs.Field("course", "assign.error.course")
	}
	due, err := time.Parse("2006-01-02", f.Due)
	if err != nil || due.Before(s.now().Truncate(24*time.Hour)) {
		return nil, errs.Field("due", "assign.error.due")
	}
	targets := 0
	for _, id := range []uint{f.RegionID, f.CentreID, f.PartnerID} {
		if id != 0 {
			targets++
		}
	}
	if targets != 1 {
		return nil, errs.Field("target", "assign.error.target")
	}
	g := s.db.WithContext(ctx)
	var n int64
	switch {
	case f.RegionID != 0:
		err = g.Table("regions").Where("id = ? AND path LIKE ?", f.RegionID, scope.Path+"%").Count(&n).Error
	case f.CentreID != 0:
		err = g.Table("centres").Joins("JOIN regions ON regions.id = centres.region_id").
			Where("centres.id = ? AND regions.path LIKE ?", f.CentreID, scope.Path+"%").Count(&n).Error
	default:
		err = g.Table("users").Joins("JOIN centres ON centres.id = users.centre_id").Joins("JOIN regions ON regions.id = centres.region_id").
			Where("users.id = ? AND users.role = ? AND regions.path LIKE ?", f.PartnerID, account.RolePartner, scope.Path+"%").Count(&n).Error
	}
	if err != nil {
		return nil, errs.Wrap(err, "check target")
	}
	if n == 0 {
		return nil, errs.Field("target", "assign.error.target")
	}
	a := &Assignment{Course: f.Course, Due: due.Format("2006-01-02"), CreatedByID: actor.ID, CreatedAt: s.now()}
	if f.RegionID != 0 {
		a.RegionID = &f.RegionID
	}
	if f.CentreID != 0 {
		a.CentreID = &f.CentreID
	}
	if f.PartnerID != 0 {
		a.PartnerID = &f.PartnerID
	}
	return a, errs.Wrap(g.Create(a).Error, "create assignment")
}

// targetPartners narrows a users query to the partners an assignment applies to. A
// region's are found centre by centre, as centresIn's are: from the index that holds
// their names, without reading the accounts.
func targetPartners(g, q *gorm.DB, a *Assignment) *gorm.DB {
	q = q.Joins("JOIN centres ON centres.id = users.centre_id").Joins("JOIN regions ON regions.id = centres.region_id").
		Where("users.role = ? AND users.active", account.RolePartner)
	switch {
	case a.PartnerID != nil:
		return q.Where("users.id = ?", *a.PartnerID)
	case a.CentreID != nil:
		return q.Where("users.centre_id = ?", *a.CentreID)
	default:
		centres := g.Table("centres").Select("centres.id").Joins("JOIN regions ON regions.id = centres.region_id").
			Where("regions.path LIKE (SELECT path FROM regions r2 WHERE r2.id = ?) || '%'", *a.RegionID)
		return q.Where("users.centre_id IN (?)", centres)
	}
}

// AssignmentStatus is an assignment with how its partners are doing.
type AssignmentStatus struct {
	Assignment
	TargetName string
	Partners   int
	OnTime     int // certificate on or before the due date
	Late       int // certificate after the due date
	Open       int // no certificate yet
	Overdue    bool
}

// Assignments lists the assignments whose target lies in the region, with their status.
func (s *Service) Assignments(ctx context.Context, region *account.Region) ([]AssignmentStatus, error) {
	g := s.db.WithContext(ctx)
	all, err := s.assignmentsIn(ctx, region)
	if err != nil {
		return nil, err
	}
	today := s.now().Format("2006-01-02")
	out := make([]AssignmentStatus, 0, len(all))
	for i := range all {
		a := &all[i]
		st := AssignmentStatus{Assignment: *a, Overdue: a.Due < today}
		var counts struct {
			Partners int
			OnTime   int
			Late     int
		}
		// Due dates are inclusive: a certificate issued on the due day is on time.
		err := targetPartners(g, g.Table("users"), a).
			Joins("LEFT JOIN certificates ON certificates.user_id = users.id AND certificates.course = ?", a.Course).
			Select(`COUNT(*) AS partners,
				SUM(CASE WHEN certificates.id IS NOT NULL AND certificates.issued_at < ? THEN 1 ELSE 0 END) AS on_time,
				SUM(CASE WHEN certificates.id IS NOT NULL AND certificates.issued_at >= ? THEN 1 ELSE 0 END) AS late`,
				dayAfter(a.Due), dayAfter(a.Due)).Scan(&counts).Error
		if err != nil {
			return nil, errs.Wrap(err, "assignment status")
		}
		st.Partners, st.OnTime, st.Late = counts.Partners, counts.OnTime, counts.Late
		st.Open = st.Partners - st.OnTime - st.Late
		if st.TargetName, err = s.targetName(ctx, a); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func dayAfter(day string) time.Time {
	t, _ := time.Parse("2006-01-02", day)
	return t.AddDate(0, 0, 1)
}

func (s *Service) targetName(ctx context.Context, a *Assignment) (string, error) {
	var name string
	g := s.db.WithContext(ctx)
	var err error
	switch {
	case a.PartnerID != nil:
		err = g.Table("users").Select("name").Where("id = ?", *a.PartnerID).Scan(&name).Error
	case a.CentreID != nil:
		err = g.Table("centres").Select("name").Where("id = ?", *a.CentreID).Scan(&name).Error
	default:
		err = g.Table("regions").Select("name").Where("id = ?", *a.RegionID).Scan(&name).Error
	}
	return name, errs.Wrap(err, "assignment target")
}

// assignmentsIn lists the assignments whose target lies in the region, by due date. Each
// one's target is joined: the cost is the assignments', where "partner_id IN (the
// region's partners)" listed a county's accounts first.
func (s *Service) assignmentsIn(ctx context.Context, region *account.Region) ([]Assignment, error) {
	var all []Assignment
	p := region.Path + "%"
	err := s.db.WithContext(ctx).Table("assignments").Select("assignments.*").
		Joins("LEFT JOIN regions AS target_region ON target_region.id = assignments.region_id").
		Joins("LEFT JOIN centres AS target_centre ON target_centre.id = assignments.centre_id").
		Joins("LEFT JOIN regions AS centre_village ON centre_village.id = target_centre.region_id").
		Joins("LEFT JOIN users AS target_partner ON target_partner.id = assignments.partner_id").
		Joins("LEFT JOIN centres AS partner_centre ON partner_centre.id = target_partner.centre_id").
		Joins("LEFT JOIN regions AS partner_village ON partner_village.id = partner_centre.region_id").
		Where("target_region.path LIKE ? OR centre_village.path LIKE ? OR partner_village.path LIKE ?", p, p, p).
		Order("assignments.due, assignments.id").Scan(&all).Error
	return all, errs.Wrap(err, "list assignments")
}

// behind lists partners past a due date in the region without the course certificate:
// for each overdue assignment, its target's partners without it (no status counts first).
func (s *Service) behind(ctx context.Context, region *account.Region) ([]BehindRow, error) {
	as, err := s.assignmentsIn(ctx, region)
	if err != nil {
		return nil, err
	}
	today := s.now().Format("2006-01-02")
	var out []BehindRow
	g := s.db.WithContext(ctx)
	for _, st := range as {
		if st.Due >= today {
			continue
		}
		var rows []BehindRow
		err := targetPartners(g, g.Table("users"), &st).
			Joins("LEFT JOIN certificates ON certificates.user_id = users.id AND certificates.course = ?", st.Course).
			Where("certificates.id IS NULL AND regions.path LIKE ?", region.Path+"%").
			Select("users.id AS partner_id, users.name, centres.name AS centre_name").
			Order("users.name, users.id").Limit(alertLimit).Scan(&rows).Error
		if err != nil {
			return nil, errs.Wrap(err, "partners behind")
		}
		// Set here, not selected as "? AS …": PostgreSQL types a bare parameter as text and
		// pgx will not send the id as one.
		for i := range rows {
			rows[i].AssignmentID, rows[i].Course, rows[i].Due = st.ID, st.Course, st.Due
		}
		out = append(out, rows...)
	}
	return out, nil
}

// ForPartner lists the assignments that apply to a partner: to them, their centre, or a
// region their centre lies in.
func (s *Service) ForPartner(ctx context.Context, partner *account.User) ([]Assignment, error) {
	if partner.CentreID == nil {
		return nil, nil
	}
	var out []Assignment
	err := s.db.WithContext(ctx).Where(`partner_id = ? OR centre_id = ?
		OR region_id IN (SELECT r.id FROM regions r, centres c JOIN regions v ON v.id = c.region_id WHERE c.id = ? AND v.path LIKE r.path || '%')`,
		partner.ID, *partner.CentreID, *partner.CentreID).Order("due, id").Find(&out).Error
	return out, errs.Wrap(err, "assignments for partner")
}

package account

import (
	"context"
	"strconv"
	"strings"

	"cunlu/app/errs"
)

// CountyOf returns the id of the county u belongs to: the county at the top of a
// coordinator's region, or of the village of a partner's or villager's centre. Admins and
// accounts without a region or centre belong to none: NotFound.
func (s *Service) CountyOf(ctx context.Context, u *User) (uint, error) {
	q := s.db.WithContext(ctx).Table("regions").Select("regions.path")
	switch {
	case u == nil:
		return 0, errs.New(errs.NotFound, "error.not_found")
	case u.Role == RoleCoordinator && u.RegionID != nil:
		q = q.Where("regions.id = ?", *u.RegionID)
	case u.Role.Learner() && u.CentreID != nil:
		q = q.Joins("JOIN centres ON centres.region_id = regions.id").Where("centres.id = ?", *u.CentreID)
	default:
		return 0, errs.New(errs.NotFound, "error.not_found")
	}
	var paths []string
	if err := q.Limit(1).Pluck("regions.path", &paths).Error; err != nil {
		return 0, errs.Wrap(err, "find county")
	}
	if len(paths) == 0 {
		return 0, errs.New(errs.NotFound, "error.not_found")
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(paths[0], "/"), "/")
	id, err := strconv.ParseUint(first, 10, 64)
	if err != nil || id == 0 {
		return 0, errs.New(errs.NotFound, "error.not_found")
	}
	return uint(id), nil
}

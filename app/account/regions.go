package account

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"cunlu/app/errs"
	"cunlu/app/textcheck"
)

// RegionForm is what an admin types to create or rename a region.
type RegionForm struct {
	Name     string
	Level    Level
	ParentID uint // 0 for a county
}

// cleanName trims a person's or place's name and checks it is 1–max characters of text
// that shows as it is stored (textcheck.Name).
func cleanName(field, name string, max int) (string, error) {
	name = strings.TrimSpace(name)
	if err := textcheck.Name(field, name); err != nil {
		return "", err
	}
	n := utf8.RuneCountInString(name)
	if n == 0 {
		return "", errs.Field(field, "error.required")
	}
	if n > max {
		return "", errs.Field(field, "error.too_long").With("Max", max)
	}
	return name, nil
}

func requireRole(actor *User, roles ...Role) error {
	if actor == nil {
		return errs.New(errs.Unauthorized, "error.signed_out")
	}
	for _, r := range roles {
		if actor.Role == r {
			return nil
		}
	}
	return errs.New(errs.Forbidden, "error.forbidden")
}

// CreateRegion adds a county (no parent), a township under a county or a village under a
// township. Admins only.
func (s *Service) CreateRegion(ctx context.Context, actor *User, f RegionForm) (*Region, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	name, err := cleanName("name", f.Name, 100)
	if err != nil {
		return nil, err
	}
	r := &Region{Name: name, Level: f.Level}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		parentPath := "/"
		if f.ParentID == 0 {
			if f.Level != LevelCounty {
				return errs.Field("parent", "error.region_parent_required")
			}
		} else {
			var parent Region
			if err := tx.Take(&parent, f.ParentID).Error; err != nil {
				if errors.Is(err, gorm.ErrRecordNotFound) {
					return errs.Field("parent", "error.region_parent_required")
				}
				return err
			}
			if childLevel[parent.Level] != f.Level {
				return errs.Field("level", "error.region_level_mismatch")
			}
			r.ParentID = &parent.ID
			parentPath = parent.Path
		}
		if err := tx.Create(r).Error; err != nil {
			return err
		}
		r.Path = fmt.Sprintf("%s%d/", parentPath, r.ID)
		return tx.Model(r).Update("path", r.Path).Error
	})
	if err != nil {
		return nil, errs.Wrap(err, "create region")
	}
	return r, nil
}

// RenameRegion changes a region's name. Its place in the tree never changes, so the paths
// that scope coordinators and reports stay valid. Admins only.
func (s *Service) RenameRegion(ctx context.Context, actor *User, id uint, name string) error {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return err
	}
	name, err := cleanName("name", name, 100)
	if err != nil {
		return err
	}
	res := s.db.WithContext(ctx).Model(&Region{}).Where("id = ?", id).Update("name", name)
	if res.Error != nil {
		return errs.Wrap(res.Error, "rename region")
	}
	if res.RowsAffected == 0 {
		return errs.New(errs.NotFound, "error.not_found")
	}
	return nil
}

// Region returns one region.
func (s *Service) Region(ctx context.Context, id uint) (*Region, error) {
	var r Region
	if err := s.db.WithContext(ctx).Take(&r, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, errs.New(errs.NotFound, "error.not_found")
		}
		return nil, errs.Wrap(err, "find region")
	}
	return &r, nil
}

// Regions lists every region in tree order (by path), for admin pages and pickers.
func (s *Service) Regions(ctx context.Context) ([]Region, error) {
	var rs []Region
	err := s.db.WithContext(ctx).Order("path").Find(&rs).Error
	sortByPath(rs)
	return rs, errs.Wrap(err, "list regions")
}

// RegionsWithin lists root and everything below it, in tree order.
func (s *Service) RegionsWithin(ctx context.Context, root *Region) ([]Region, error) {
	var rs []Region
	err := s.db.WithContext(ctx).Where("path LIKE ?", root.Path+"%").Find(&rs).Error
	sortByPath(rs)
	return rs, errs.Wrap(err, "list regions")
}

// Trail lists the regions from root down to r, both included, in that order; empty when r
// does not lie within root. It reads those few rows only, by the ids in r's path, so a
// page's breadcrumb does not cost a county's region tree.
func (s *Service) Trail(ctx context.Context, root, r *Region) ([]Region, error) {
	if !root.Contains(*r) {
		return nil, nil
	}
	ids := []uint{root.ID}
	for _, part := range strings.Split(strings.Trim(strings.TrimPrefix(r.Path, root.Path), "/"), "/") {
		if id, err := strconv.ParseUint(part, 10, 64); err == nil {
			ids = append(ids, uint(id))
		}
	}
	var rs []Region
	err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&rs).Error
	sortByPath(rs)
	return rs, errs.Wrap(err, "list regions")
}

// sortByPath orders regions so each parent comes right before its children, comparing the
// numeric ids in the path rather than their text ("/10/" after "/9/").
func sortByPath(rs []Region) {
	keys := make(map[string][]int, len(rs))
	for _, r := range rs {
		var k []int
		for _, part := range strings.Split(strings.Trim(r.Path, "/"), "/") {
			n, _ := strconv.Atoi(part)
			k = append(k, n)
		}
		keys[r.Path] = k
	}
	slices.SortFunc(rs, func(a, b Region) int { return slices.Compare(keys[a.Path], keys[b.Path]) })
}

// Depth is a region's depth in the tree (county 0), for indenting lists.
func (r Region) Depth() int { return strings.Count(r.Path, "/") - 2 }

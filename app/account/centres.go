package account

import (
	"context"
	"errors"
	"strings"

	"gorm.io/gorm"

	"cunlu/app/errs"
)

// CentreForm is what an admin types to create or edit a service centre.
type CentreForm struct {
	Name     string
	Address  string
	RegionID uint // must be a village
}

func (s *Service) checkCentreForm(ctx context.Context, f CentreForm) (CentreForm, error) {
	var err error
	if f.Name, err = cleanName("name", f.Name, 100); err != nil {
		return f, err
	}
	if f.Address = strings.TrimSpace(f.Address); f.Address != "" {
		if f.Address, err = cleanName("address", f.Address, 255); err != nil {
			return f, err
		}
	}
	var village Region
	if err := s.db.WithContext(ctx).Take(&village, f.RegionID).Error; err != nil || village.Level != LevelVillage {
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return f, errs.Wrap(err, "find village")
		}
		return f, errs.Field("region", "error.centre_needs_village")
	}
	return f, nil
}

// CreateCentre adds a service centre in a village. Admins only.
func (s *Service) CreateCentre(ctx context.Context, actor *User, f CentreForm) (*Centre, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	f, err := s.checkCentreForm(ctx, f)
	if err != nil {
		return nil, err
	}
	c := &Centre{Name: f.Name, Address: f.Address, RegionID: f.RegionID}
	if err := s.db.WithContext(ctx).Create(c).Error; err != nil {
		return nil, errs.Wrap(err, "create centre")
	}
	return c, nil
}

// UpdateCentre changes a centre's name, address or village. Admins only.
func (s *Service) UpdateCentre(ctx context.Context, actor *User, id uint, f CentreForm) error {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return err
	}
	f, err := s.checkCentreForm(ctx, f)
	if err != nil {
		return err
	}
	res := s.db.WithContext(ctx).Model(&Centre{}).Where("id = ?", id).
		Updates(map[string]any{"name": f.Name, "address": f.Address, "region_id": f.RegionID, "updated_at": s.now()})
	if res.Error != nil {
		return errs.Wrap(res.Error, "update centre")
	}
	if res.RowsAffected == 0 {
		return errs.New(errs.NotFound, "error.not_found")
	}
	return nil
}

// Centre returns one centre with its village.
func (s *Service) Centre(ctx context.Context, id uint) (*Centre, error) {
	var c Centre
	if err := s.db.WithContext(ctx).Preload("Region").Take(&c, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, errs.New(errs.NotFound, "error.not_found")
		}
		return nil, errs.Wrap(err, "find centre")
	}
	return &c, nil
}

// CentreExists reports whether a centre with this id exists.
func (s *Service) CentreExists(ctx context.Context, id uint) (bool, error) {
	var ids []uint
	err := s.db.WithContext(ctx).Model(&Centre{}).Where("id = ?", id).Limit(1).Pluck("id", &ids).Error
	return len(ids) == 1, errs.Wrap(err, "find centre")
}

// Centres lists all centres with their villages, by name.
func (s *Service) Centres(ctx context.Context) ([]Centre, error) {
	var cs []Centre
	err := s.db.WithContext(ctx).Preload("Region").Order("name, id").Find(&cs).Error
	return cs, errs.Wrap(err, "list centres")
}

// CentresWithin lists the centres in region root or below it.
func (s *Service) CentresWithin(ctx context.Context, root *Region) ([]Centre, error) {
	var cs []Centre
	err := s.db.WithContext(ctx).Preload("Region").
		Joins("JOIN regions ON regions.id = centres.region_id").
		Where("regions.path LIKE ?", root.Path+"%").Order("centres.name, centres.id").Find(&cs).Error
	return cs, errs.Wrap(err, "list centres")
}

package account

import (
	"context"

	"cunlu/app/errs"
)

// VillagerFor returns a villager the partner looks after: one of the partner's own centre,
// or one the partner registered. Anyone else is NotFound, so other ids cannot be probed.
func (s *Service) VillagerFor(ctx context.Context, partner *User, id uint) (*User, error) {
	if err := requireRole(partner, RolePartner); err != nil {
		return nil, err
	}
	v, err := s.User(ctx, id)
	if err != nil {
		return nil, err
	}
	ownCentre := partner.CentreID != nil && v.CentreID != nil && *v.CentreID == *partner.CentreID
	registered := v.RegisteredByID != nil && *v.RegisteredByID == partner.ID
	if v.Role != RoleVillager || !ownCentre && !registered {
		return nil, errs.New(errs.NotFound, "error.not_found")
	}
	return v, nil
}

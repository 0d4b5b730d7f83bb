package account

import (
	"context"

	"cunlu/app/errs"
)

// AssistTarget returns villager id if the partner may open an assisted session for them:
// an active villager of the partner's own centre. Anything else is NotFound.
func (s *Service) AssistTarget(ctx context.Context, partner *User, villagerID uint) (*User, error) {
	if err := requireRole(partner, RolePartner); err != nil {
		return nil, err
	}
	v, err := s.User(ctx, villagerID)
	if err != nil {
		return nil, err
	}
	if v.Role != RoleVillager || !v.Active || partner.CentreID == nil || v.CentreID == nil || *v.CentreID != *partner.CentreID {
		return nil, errs.New(errs.NotFound, "error.not_found")
	}
	return v, nil
}

// StartAssist opens an assisted session on the browser holding token: from now on the
// practice shop on this browser works in the villager's own sandbox.
func (s *Service) StartAssist(ctx context.Context, partner *User, token string, villagerID uint) error {
	v, err := s.AssistTarget(ctx, partner, villagerID)
	if err != nil {
		return err
	}
	res := s.db.WithContext(ctx).Model(&Session{}).Where("token_hash = ? AND user_id = ?", hashToken(token), partner.ID).Update("assist_user_id", v.ID)
	if res.Error != nil {
		return errs.Wrap(res.Error, "start assisted session")
	}
	if res.RowsAffected == 0 {
		return errs.New(errs.Unauthorized, "error.signed_out")
	}
	return nil
}

// EndAssist closes the assisted session on the browser holding token.
func (s *Service) EndAssist(ctx context.Context, token string) error {
	err := s.db.WithContext(ctx).Model(&Session{}).Where("token_hash = ?", hashToken(token)).Update("assist_user_id", nil).Error
	return errs.Wrap(err, "end assisted session")
}

// Assisting returns the villager of the assisted session on the browser holding token, or
// nil. The villager is checked again each time: a deactivated or moved villager ends it.
func (s *Service) Assisting(ctx context.Context, partner *User, token string) (*User, error) {
	if partner.Role != RolePartner || token == "" {
		return nil, nil
	}
	var sess Session
	if err := s.db.WithContext(ctx).Where("token_hash = ?", hashToken(token)).Take(&sess).Error; err != nil {
		return nil, errs.Wrap(err, "find session")
	}
	if sess.AssistUserID == nil {
		return nil, nil
	}
	v, err := s.AssistTarget(ctx, partner, *sess.AssistUserID)
	if errs.Is(err, errs.NotFound) {
		return nil, s.EndAssist(ctx, token)
	}
	return v, err
}

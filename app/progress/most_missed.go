package progress

import (
	"context"

	"cunlu/app/errs"
)

// Missed is the lesson whose quiz a learner has failed most often.
type Missed struct {
	Course, Lesson string
	Fails          int
}

// MostMissed returns the lesson whose quiz the learner failed most often (the latest of
// equals), or nil when they never failed one: what a partner helping them should look at.
func (s *Service) MostMissed(ctx context.Context, userID uint) (*Missed, error) {
	var rows []Missed
	err := s.db.WithContext(ctx).Model(&Attempt{}).
		Select("course, lesson, COUNT(*) AS fails").
		Where("user_id = ? AND passed = ?", userID, false).
		Group("course, lesson").Order("fails DESC, MAX(id) DESC").Limit(1).Scan(&rows).Error
	if err != nil {
		return nil, errs.Wrap(err, "most missed quiz")
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

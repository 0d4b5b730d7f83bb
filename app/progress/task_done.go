package progress

import (
	"context"

	"cunlu/app/errs"
)

// TaskDone reports whether the learner has done the practice task: one look at the
// task's row, for the shop's way back to the lesson it was started from.
func (s *Service) TaskDone(ctx context.Context, userID uint, taskID string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&TaskCompletion{}).Where("user_id = ? AND task_id = ?", userID, taskID).Count(&n).Error
	return n > 0, errs.Wrap(err, "find task")
}

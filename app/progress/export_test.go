package progress

import "context"

// RecountedStats is the roll-up a full recount of the learner's progress gives now: the
// tests compare it with the roll-up the writes kept up incrementally.
func (s *Service) RecountedStats(ctx context.Context, who Learner) (LearnerStats, []CourseStats, error) {
	snap, err := s.Snapshot(ctx, who)
	if err != nil {
		return LearnerStats{}, nil, err
	}
	st, courses := s.computeStats(snap, who)
	return st, courses, nil
}

package progress

import (
	"cmp"
	"slices"
	"time"

	"cunlu/app/course"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// LearnerStats is one learner's roll-up for the coordinators' reports, rewritten in the
// same transaction as every attempt and task that changes it.
type LearnerStats struct {
	UserID          uint `gorm:"primaryKey;autoIncrement:false"`
	LessonsPassed   int
	LessonsMastered int
	TasksDone       int
	Certificates    int
	Attempts        int
	Stuck           int // lessons with three or more attempts and no pass
	UpdatedAt       time.Time
}

func (LearnerStats) TableName() string { return "learner_stats" }

// CourseStats is one learner's mastered lessons in one course.
type CourseStats struct {
	UserID   uint   `gorm:"primaryKey;autoIncrement:false"`
	Course   string `gorm:"primaryKey"`
	Mastered int
	Total    int
}

func (CourseStats) TableName() string { return "learner_course_stats" }

// StuckAttempts is how many attempts without a pass make a lesson "stuck".
const StuckAttempts = 3

// statsLockClass is the first key of the PostgreSQL advisory locks that queue one
// learner's roll-up refreshes ("ST").
const statsLockClass int32 = 0x5354

// refreshStats recomputes the learner's roll-ups from their progress inside tx.
func (s *Service) refreshStats(tx *gorm.DB, who Learner) error {
	// Two transactions of one learner at once (two tabs, a quiz and a shop task) must not
	// each recompute the roll-up from a snapshot that misses the other's change: the later
	// write would undo the earlier, and the centre's totals would drift by the difference.
	// SQLite's immediate transactions already run one at a time; on PostgreSQL (read
	// committed) a per-learner lock held to the end of the transaction queues them, and the
	// snapshot read after it sees the other's commit.
	if err := lockLearner(tx, who); err != nil {
		return err
	}
	snap, err := (&Service{db: tx, courses: s.courses, now: s.now}).Snapshot(tx.Statement.Context, who)
	if err != nil {
		return err
	}
	st, courses := s.computeStats(snap, who)
	var old LearnerStats
	if err := tx.Where("user_id = ?", who.ID).Limit(1).Find(&old).Error; err != nil {
		return err
	}
	if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&st).Error; err != nil {
		return err
	}
	// The centre's totals move by the difference, so they stay the exact sum.
	if err := addCentreStats(tx, who, centreStats{Mastered: st.LessonsMastered - old.LessonsMastered,
		Tasks: st.TasksDone - old.TasksDone, Certificates: st.Certificates - old.Certificates}); err != nil {
		return err
	}
	if len(courses) == 0 {
		return nil
	}
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_id"}, {Name: "course"}},
		DoUpdates: clause.AssignmentColumns([]string{"mastered", "total"}),
	}).Create(&courses).Error
}

// computeStats counts a learner's roll-ups from their whole progress.
func (s *Service) computeStats(snap *Snapshot, who Learner) (LearnerStats, []CourseStats) {
	st := LearnerStats{UserID: who.ID, TasksDone: len(snap.Tasks), Certificates: len(snap.Certificates), UpdatedAt: s.now()}
	for _, p := range snap.Lessons {
		st.Attempts += p.Attempts
		if p.PassedAt != nil {
			st.LessonsPassed++
		} else if p.Attempts >= StuckAttempts {
			st.Stuck++
		}
	}
	var courses []CourseStats
	for _, c := range snap.catalog.Courses {
		if !c.For(who.Audience) {
			continue
		}
		m, t := snap.CourseProgress(c)
		st.LessonsMastered += m
		courses = append(courses, CourseStats{UserID: who.ID, Course: c.Slug, Mastered: m, Total: t})
	}
	return st, courses
}

// lockLearner queues, on PostgreSQL, the transactions that change one learner's progress
// (held to the end of the transaction; SQLite runs writers one at a time anyway).
func lockLearner(tx *gorm.DB, who Learner) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(?, ?)", statsLockClass, int32(who.ID)).Error
}

// addAttemptStats moves the learner's roll-ups by exactly what one quiz attempt changed,
// given the lesson's progress before it: one more attempt; a first pass (no longer stuck,
// perhaps mastered, perhaps the course certificate); or a third failure (stuck). It is
// the quiz's hot path: a few single-row updates instead of recomputing the learner's
// whole progress. A learner with no roll-up yet gets it computed whole.
func (s *Service) addAttemptStats(tx *gorm.DB, who Learner, l *course.Lesson, before *LessonProgress, a *Attempt) error {
	wasPassed := before.PassedAt != nil
	firstPass := !wasPassed && a.Passed
	var passed, stuck, masteredN int // what the attempt adds to the learner's counts
	switch {
	case firstPass && before.Attempts >= StuckAttempts:
		passed, stuck = 1, -1
	case firstPass:
		passed = 1
	case !wasPassed && before.Attempts+1 == StuckAttempts:
		stuck = 1
	}
	mastered := false
	if firstPass && l.Course.For(who.Audience) {
		var err error
		if mastered, err = tasksDone(tx, who.ID, l.Tasks); err != nil {
			return err
		}
	}
	if mastered {
		// The course row first: where it is missing (a course added since), compute all.
		res := tx.Model(&CourseStats{}).Where("user_id = ? AND course = ?", who.ID, l.Course.Slug).Update("mastered", gorm.Expr("mastered + 1"))
		if res.Error != nil || res.RowsAffected == 0 {
			return cmp.Or(res.Error, s.refreshStats(tx, who))
		}
		masteredN = 1
	}
	res := tx.Model(&LearnerStats{}).Where("user_id = ?", who.ID).Updates(map[string]any{
		"attempts":         gorm.Expr("attempts + 1"),
		"lessons_passed":   gorm.Expr("lessons_passed + ?", passed),
		"stuck":            gorm.Expr("stuck + ?", stuck),
		"lessons_mastered": gorm.Expr("lessons_mastered + ?", masteredN),
		"updated_at":       s.now(),
	})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return s.refreshStats(tx, who)
	}
	if !mastered {
		return nil
	}
	issued, err := s.issueIfComplete(tx, who, l.Course)
	if err != nil {
		return err
	}
	if issued {
		if err := tx.Model(&LearnerStats{}).Where("user_id = ?", who.ID).Update("certificates", gorm.Expr("certificates + 1")).Error; err != nil {
			return err
		}
	}
	return addCentreStats(tx, who, centreStats{Mastered: 1, Certificates: map[bool]int{true: 1}[issued]})
}

// addCentreStats adds d to the learner's centre's sums.
func addCentreStats(tx *gorm.DB, who Learner, d centreStats) error {
	if who.CentreID == 0 || d.Mastered == 0 && d.Tasks == 0 && d.Certificates == 0 {
		return nil
	}
	d.CentreID, d.Role = who.CentreID, roleOf(who)
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "centre_id"}, {Name: "role"}},
		DoUpdates: addColumns("centre_stats", "mastered", "tasks", "certificates"),
	}).Create(&d).Error
}

// tasksDone reports whether the learner has done every one of the tasks.
func tasksDone(tx *gorm.DB, userID uint, tasks []string) (bool, error) {
	if len(tasks) == 0 {
		return true, nil
	}
	var n int64
	err := tx.Model(&TaskCompletion{}).Where("user_id = ? AND task_id IN ?", userID, tasks).Count(&n).Error
	return n == int64(len(tasks)), err
}

// questionStats counts, per centre and question, how often it was answered, answered
// wrongly, and each option chosen: the "difficult questions" report reads only these.
type questionStats struct {
	CentreID uint   `gorm:"primaryKey;autoIncrement:false"`
	Course   string `gorm:"primaryKey"`
	Lesson   string `gorm:"primaryKey"`
	Question string `gorm:"primaryKey"`
	Answers  int
	Wrong    int
	OptA     int `gorm:"column:opt_a"`
	OptB     int `gorm:"column:opt_b"`
	OptC     int `gorm:"column:opt_c"`
	OptD     int `gorm:"column:opt_d"`
	OptE     int `gorm:"column:opt_e"`
}

func (questionStats) TableName() string { return "question_stats" }

type scoreStats struct {
	CentreID uint `gorm:"primaryKey;autoIncrement:false"`
	Bucket   int  `gorm:"primaryKey;autoIncrement:false"`
	Attempts int
}

func (scoreStats) TableName() string { return "score_stats" }

func bit(chosen, i int) int { return chosen >> i & 1 }

// recordAnswerStats adds an attempt to the per-centre question and score counts, rows in
// key order (so concurrent transactions on PostgreSQL lock them in the same order).
func recordAnswerStats(tx *gorm.DB, centreID uint, a *Attempt) error {
	rows := make([]questionStats, 0, len(a.Answers))
	for _, ans := range a.Answers {
		q := questionStats{CentreID: centreID, Course: a.Course, Lesson: a.Lesson, Question: ans.Question, Answers: 1,
			OptA: bit(ans.Chosen, 0), OptB: bit(ans.Chosen, 1), OptC: bit(ans.Chosen, 2), OptD: bit(ans.Chosen, 3), OptE: bit(ans.Chosen, 4)}
		if !ans.Correct {
			q.Wrong = 1
		}
		rows = append(rows, q)
	}
	slices.SortFunc(rows, func(a, b questionStats) int { return cmp.Compare(a.Question, b.Question) })
	if len(rows) > 0 {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "centre_id"}, {Name: "course"}, {Name: "lesson"}, {Name: "question"}},
			DoUpdates: addColumns("question_stats", "answers", "wrong", "opt_a", "opt_b", "opt_c", "opt_d", "opt_e"),
		}).Create(&rows).Error
		if err != nil {
			return err
		}
	}
	bucket := 0
	if a.Total > 0 {
		bucket = a.Right * 10 / a.Total
	}
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "centre_id"}, {Name: "bucket"}},
		DoUpdates: addColumns("score_stats", "attempts"),
	}).Create(&scoreStats{CentreID: centreID, Bucket: bucket, Attempts: 1}).Error
}

// addColumns is the update of an upsert that adds the new row's counts to the stored row's.
func addColumns(table string, cols ...string) clause.Set {
	m := make(map[string]any, len(cols))
	for _, c := range cols {
		m[c] = gorm.Expr(table + "." + c + " + excluded." + c)
	}
	return clause.Assignments(m)
}

// centreStats is the sum of learner_stats over a centre's partners or villagers.
type centreStats struct {
	CentreID     uint   `gorm:"primaryKey;autoIncrement:false"`
	Role         string `gorm:"primaryKey"`
	Mastered     int
	Tasks        int
	Certificates int
}

func (centreStats) TableName() string { return "centre_stats" }

func roleOf(who Learner) string {
	if who.Audience == course.AudienceVillager {
		return "villager"
	}
	return "partner"
}

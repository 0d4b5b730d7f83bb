package progress

import (
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
	if tx.Dialector.Name() == "postgres" {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?, ?)", statsLockClass, int32(who.ID)).Error; err != nil {
			return err
		}
	}
	snap, err := (&Service{db: tx, courses: s.courses, now: s.now}).Snapshot(tx.Statement.Context, who)
	if err != nil {
		return err
	}
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
	var old LearnerStats
	if err := tx.Where("user_id = ?", who.ID).Limit(1).Find(&old).Error; err != nil {
		return err
	}
	if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&st).Error; err != nil {
		return err
	}
	if who.CentreID != 0 {
		// The centre's totals move by the difference, so they stay the exact sum.
		d := centreStats{CentreID: who.CentreID, Role: roleOf(who), Mastered: st.LessonsMastered - old.LessonsMastered,
			Tasks: st.TasksDone - old.TasksDone, Certificates: st.Certificates - old.Certificates}
		if d.Mastered != 0 || d.Tasks != 0 || d.Certificates != 0 {
			add := func(col string) clause.Expr { return gorm.Expr("centre_stats." + col + " + excluded." + col) }
			if err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "centre_id"}, {Name: "role"}},
				DoUpdates: clause.Assignments(map[string]any{"mastered": add("mastered"), "tasks": add("tasks"), "certificates": add("certificates")}),
			}).Create(&d).Error; err != nil {
				return err
			}
		}
	}
	if len(courses) == 0 {
		return nil
	}
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_id"}, {Name: "course"}},
		DoUpdates: clause.AssignmentColumns([]string{"mastered", "total"}),
	}).Create(&courses).Error
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

// recordAnswerStats adds an attempt to the per-centre question and score counts.
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
	add := func(col string) clause.Expr { return gorm.Expr("question_stats." + col + " + excluded." + col) }
	if len(rows) > 0 {
		err := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "centre_id"}, {Name: "course"}, {Name: "lesson"}, {Name: "question"}},
			DoUpdates: clause.Assignments(map[string]any{"answers": add("answers"), "wrong": add("wrong"),
				"opt_a": add("opt_a"), "opt_b": add("opt_b"), "opt_c": add("opt_c"), "opt_d": add("opt_d"), "opt_e": add("opt_e")}),
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
		DoUpdates: clause.Assignments(map[string]any{"attempts": gorm.Expr("score_stats.attempts + 1")}),
	}).Create(&scoreStats{CentreID: centreID, Bucket: bucket, Attempts: 1}).Error
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

// Package progress owns what learners have done: lessons opened, quiz attempts and every
// answer, practice tasks completed, mastery and certificates. Mastery is derived, never
// stored: a lesson is mastered when its quiz was passed and its practice tasks are done, so
// a task completed later (in the practice shop) counts at once.
package progress

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cunlu/app/course"
	"cunlu/app/errs"
)

// LessonProgress is one learner's progress in one lesson.
type LessonProgress struct {
	UserID     uint   `gorm:"primaryKey;autoIncrement:false"`
	Course     string `gorm:"primaryKey"`
	Lesson     string `gorm:"primaryKey"`
	StartedAt  time.Time
	LastSeenAt time.Time
	Attempts   int
	BestRight  int
	PassedAt   *time.Time
}

func (LessonProgress) TableName() string { return "lesson_progress" }

// Attempt is one graded quiz submission.
type Attempt struct {
	ID         uint
	UserID     uint
	AttemptKey string
	Course     string
	Lesson     string
	Lang       string
	Right      int
	Total      int
	Passed     bool
	CreatedAt  time.Time
	Answers    []Answer `gorm:"foreignKey:AttemptID"`
}

func (Attempt) TableName() string { return "quiz_attempts" }

// Answer is one question of an attempt. Chosen is the bit set of options (bit 0 = "a").
type Answer struct {
	ID        uint
	AttemptID uint
	UserID    uint
	Course    string
	Lesson    string
	Question  string
	Chosen    int
	Correct   bool
}

func (Answer) TableName() string { return "quiz_answers" }

// Chose reports whether option id was chosen.
func (a Answer) Chose(optionID string) bool {
	if len(optionID) != 1 {
		return false
	}
	return a.Chosen&(1<<(optionID[0]-'a')) != 0
}

// TaskCompletion records that a learner did a practice task, with what shows it.
type TaskCompletion struct {
	UserID      uint   `gorm:"primaryKey;autoIncrement:false"`
	TaskID      string `gorm:"primaryKey"`
	Evidence    string
	CompletedAt time.Time
}

func (TaskCompletion) TableName() string { return "task_completions" }

// Certificate says a learner mastered every lesson of a course.
type Certificate struct {
	ID         uint
	Code       string
	UserID     uint
	Course     string
	HolderName string
	CentreName string
	IssuedAt   time.Time
}

func (Certificate) TableName() string { return "certificates" }

// Learner is who is learning, as progress needs to know them.
type Learner struct {
	ID       uint
	Name     string
	Centre   string // centre name, printed on certificates; looked up by CentreID when empty
	CentreID uint   // for the coordinators' per-centre roll-ups; 0 when none
	Audience string // course.AudiencePartner or course.AudienceVillager
}

// Catalogs gives the current course catalogue (course.Library does).
type Catalogs interface{ Catalog() *course.Catalog }

// Service stores and reads progress.
type Service struct {
	db      *gorm.DB
	courses Catalogs
	now     func() time.Time
}

// NewService returns the progress service over g for the courses of lib.
func NewService(g *gorm.DB, lib Catalogs, now func() time.Time) *Service {
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	return &Service{db: g, courses: lib, now: now}
}

// touchEvery limits how often opening a lesson writes "last seen".
const touchEvery = 10 * time.Minute

// Snapshot is everything about one learner's progress, loaded in three small queries, from
// which pages derive mastery, course completion and what to do next.
type Snapshot struct {
	Learner      Learner
	Lessons      map[string]*LessonProgress // by "course/lesson"
	Tasks        map[string]TaskCompletion  // by task id
	Certificates map[string]Certificate     // by course slug
	catalog      *course.Catalog
}

// Snapshot loads a learner's progress.
func (s *Service) Snapshot(ctx context.Context, l Learner) (*Snapshot, error) {
	g := s.db.WithContext(ctx)
	snap := &Snapshot{Learner: l, Lessons: map[string]*LessonProgress{}, Tasks: map[string]TaskCompletion{}, Certificates: map[string]Certificate{}, catalog: s.courses.Catalog()}
	var lps []LessonProgress
	if err := g.Where("user_id = ?", l.ID).Find(&lps).Error; err != nil {
		return nil, errs.Wrap(err, "load lesson progress")
	}
	for i := range lps {
		snap.Lessons[lps[i].Course+"/"+lps[i].Lesson] = &lps[i]
	}
	var tcs []TaskCompletion
	if err := g.Where("user_id = ?", l.ID).Find(&tcs).Error; err != nil {
		return nil, errs.Wrap(err, "load tasks")
	}
	for _, t := range tcs {
		snap.Tasks[t.TaskID] = t
	}
	var certs []Certificate
	if err := g.Where("user_id = ?", l.ID).Find(&certs).Error; err != nil {
		return nil, errs.Wrap(err, "load certificates")
	}
	for _, c := range certs {
		snap.Certificates[c.Course] = c
	}
	return snap, nil
}

// Passed reports whether the learner passed the lesson's quiz.
func (sn *Snapshot) Passed(l *course.Lesson) bool {
	p := sn.Lessons[l.Key()]
	return p != nil && p.PassedAt != nil
}

// TaskDone reports whether a practice task is done.
func (sn *Snapshot) TaskDone(id string) bool { _, ok := sn.Tasks[id]; return ok }

// Mastered reports whether the quiz is passed and every practice task done.
func (sn *Snapshot) Mastered(l *course.Lesson) bool {
	if !sn.Passed(l) {
		return false
	}
	for _, t := range l.Tasks {
		if !sn.TaskDone(t) {
			return false
		}
	}
	return true
}

// Locked returns the prerequisites whose quiz is not yet passed.
func (sn *Snapshot) Locked(l *course.Lesson) []*course.Lesson {
	var out []*course.Lesson
	for _, p := range l.Prerequisites {
		if pl := l.Course.Lesson(p); pl != nil && pl.For(sn.Learner.Audience) && !sn.Passed(pl) {
			out = append(out, pl)
		}
	}
	return out
}

// CourseProgress counts the mastered lessons among those the learner sees.
func (sn *Snapshot) CourseProgress(c *course.Course) (mastered, total int) {
	for _, l := range c.LessonsFor(sn.Learner.Audience) {
		total++
		if sn.Mastered(l) {
			mastered++
		}
	}
	return mastered, total
}

// Complete reports whether every lesson of the course the learner sees is mastered.
func (sn *Snapshot) Complete(c *course.Course) bool {
	m, t := sn.CourseProgress(c)
	return t > 0 && m == t
}

// Next is the first lesson of the course the learner has not mastered, or nil.
func (sn *Snapshot) Next(c *course.Course) *course.Lesson {
	for _, l := range c.LessonsFor(sn.Learner.Audience) {
		if !sn.Mastered(l) {
			return l
		}
	}
	return nil
}

// Continue is where the learner left off: the lesson they opened most recently and have
// not mastered, else the next lesson of the first course they have not finished.
func (sn *Snapshot) Continue() *course.Lesson {
	var best *course.Lesson
	var when time.Time
	for key, p := range sn.Lessons {
		course, lesson, _ := strings.Cut(key, "/")
		l := sn.catalog.Lesson(course, lesson)
		if l == nil || !l.For(sn.Learner.Audience) || sn.Mastered(l) {
			continue
		}
		if p.LastSeenAt.After(when) {
			best, when = l, p.LastSeenAt
		}
	}
	if best != nil {
		return best
	}
	for _, c := range sn.catalog.Courses {
		if c.For(sn.Learner.Audience) {
			if n := sn.Next(c); n != nil {
				return n
			}
		}
	}
	return nil
}

// Opened records that the learner opened a lesson. It writes at most once every ten
// minutes per lesson, so reading does not cost a database write each time.
func (s *Service) Opened(ctx context.Context, sn *Snapshot, l *course.Lesson) error {
	now := s.now()
	if p := sn.Lessons[l.Key()]; p != nil && now.Sub(p.LastSeenAt) < touchEvery {
		return nil
	}
	row := LessonProgress{UserID: sn.Learner.ID, Course: l.Course.Slug, Lesson: l.Slug, StartedAt: now, LastSeenAt: now}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_id"}, {Name: "course"}, {Name: "lesson"}},
		DoUpdates: clause.Assignments(map[string]any{"last_seen_at": now}),
	}).Create(&row).Error
	if err != nil {
		return errs.Wrap(err, "record lesson opened")
	}
	if p := sn.Lessons[l.Key()]; p != nil {
		p.LastSeenAt = now
	} else {
		sn.Lessons[l.Key()] = &row
	}
	return nil
}

// Submission is one quiz submission as the learner sent it.
type Submission struct {
	Key     string // idempotency key from the quiz form
	Lang    string
	Answers course.Answers
}

// RecordAttempt grades and stores a quiz attempt with every answer, updates the lesson's
// progress, and issues the course certificate when this completes the course — all in one
// transaction. Submitting the same key again returns the first attempt and changes nothing.
// It returns Invalid for answers that do not fit the quiz and Conflict for a locked lesson.
func (s *Service) RecordAttempt(ctx context.Context, who Learner, l *course.Lesson, sub Submission) (*Attempt, error) {
	if !validKey(sub.Key) {
		return nil, errs.New(errs.Invalid, "error.quiz_stale")
	}
	if !l.For(who.Audience) {
		return nil, errs.New(errs.NotFound, "error.not_found")
	}
	// A submission sent again (a double tap, a sync after being offline) is found by its
	// key when its insert meets the unique index, below; most are new, so no lookup first.
	graded, ok := l.Grade(sub.Answers)
	if !ok {
		return nil, errs.New(errs.Invalid, "error.quiz_invalid")
	}
	if locked, err := s.lockedBy(ctx, who, l); err != nil {
		return nil, err
	} else if len(locked) > 0 {
		return nil, errs.New(errs.Conflict, "error.lesson_locked").With("Lesson", locked[0].In(sub.Lang).Title)
	}
	now := s.now()
	a := &Attempt{UserID: who.ID, AttemptKey: sub.Key, Course: l.Course.Slug, Lesson: l.Slug, Lang: sub.Lang,
		Right: graded.Right, Total: graded.Total, Passed: graded.Passed, CreatedAt: now}
	for _, q := range graded.Questions {
		a.Answers = append(a.Answers, Answer{UserID: who.ID, Course: a.Course, Lesson: a.Lesson, Question: q.ID, Chosen: int(q.Chosen), Correct: q.Correct})
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockLearner(tx, who); err != nil {
			return err
		}
		var before LessonProgress // the lesson's progress before this attempt
		if err := tx.Where("user_id = ? AND course = ? AND lesson = ?", who.ID, a.Course, a.Lesson).Limit(1).Find(&before).Error; err != nil {
			return err
		}
		if err := tx.Create(a).Error; err != nil { // with its answers
			return err
		}
		var passedAt *time.Time
		if a.Passed {
			passedAt = &now
		}
		err := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "user_id"}, {Name: "course"}, {Name: "lesson"}},
			DoUpdates: clause.Assignments(map[string]any{
				"attempts":     gorm.Expr("lesson_progress.attempts + 1"),
				"best_right":   gorm.Expr("CASE WHEN lesson_progress.best_right < excluded.best_right THEN excluded.best_right ELSE lesson_progress.best_right END"),
				"last_seen_at": gorm.Expr("excluded.last_seen_at"),
				"passed_at":    gorm.Expr("COALESCE(lesson_progress.passed_at, excluded.passed_at)"),
			}),
		}).Create(&LessonProgress{UserID: who.ID, Course: a.Course, Lesson: a.Lesson, StartedAt: now, LastSeenAt: now,
			Attempts: 1, BestRight: a.Right, PassedAt: passedAt}).Error
		if err != nil {
			return err
		}
		if err := recordAnswerStats(tx, who.CentreID, a); err != nil {
			return err
		}
		return s.addAttemptStats(tx, who, l, &before, a)
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		// This key was stored before (or by a submission at the same moment): that one stands.
		return s.attemptByKey(ctx, who.ID, sub.Key)
	}
	if err != nil {
		return nil, errs.Wrap(err, "record attempt")
	}
	return a, nil
}

func (s *Service) attemptByKey(ctx context.Context, userID uint, key string) (*Attempt, error) {
	var a Attempt
	res := s.db.WithContext(ctx).Preload("Answers").Where("user_id = ? AND attempt_key = ?", userID, key).Limit(1).Find(&a)
	if res.Error != nil {
		return nil, errs.Wrap(res.Error, "find attempt")
	}
	if res.RowsAffected == 0 {
		return nil, nil
	}
	return &a, nil
}

// Attempt returns one of the learner's own attempts with its answers; another learner's
// attempt is NotFound.
func (s *Service) Attempt(ctx context.Context, userID, id uint) (*Attempt, error) {
	var a Attempt
	err := s.db.WithContext(ctx).Preload("Answers").Where("id = ? AND user_id = ?", id, userID).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errs.New(errs.NotFound, "error.not_found")
	}
	return &a, errs.Wrap(err, "find attempt")
}

// CompleteTask records a practice task as done (the first time only) and issues any
// certificate this completes, in its own transaction.
func (s *Service) CompleteTask(ctx context.Context, who Learner, taskID, evidence string) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return s.completeTask(tx, who, taskID, evidence)
	})
	return errs.Wrap(err, "complete task")
}

// CompleteTaskTx is CompleteTask inside tx, for the practice shop: it records the task in
// the transaction of the operation that did it, so the two stand or fall together. The
// learner's name, role and centre are read in tx.
func (s *Service) CompleteTaskTx(tx *gorm.DB, userID uint, taskID, evidence string) error {
	who, err := learnerIn(tx, userID)
	if err != nil {
		return err
	}
	return s.completeTask(tx, who, taskID, evidence)
}

func (s *Service) completeTask(tx *gorm.DB, who Learner, taskID, evidence string) error {
	if len(evidence) > 255 {
		// Cut between characters: half a UTF-8 character is rejected by PostgreSQL.
		cut := 255
		for cut > 0 && !utf8.RuneStart(evidence[cut]) {
			cut--
		}
		evidence = evidence[:cut]
	}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&TaskCompletion{UserID: who.ID, TaskID: taskID, Evidence: evidence, CompletedAt: s.now()})
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	for _, c := range s.courses.Catalog().Courses {
		for _, l := range c.Lessons {
			for _, t := range l.Tasks {
				if t == taskID {
					if _, err := s.issueIfComplete(tx, who, c); err != nil {
						return err
					}
				}
			}
		}
	}
	return s.refreshStats(tx, who)
}

// OpenTasks returns, inside tx, the practice tasks the learner still has to do and may do
// now: those of the lessons they see and have opened, not done yet, each with when the
// learner first opened its lesson (only sandbox actions from then on count for it). Three
// small queries (their role, their done tasks, their opened lessons); the practice shop
// asks it only for events some task listens to.
func (s *Service) OpenTasks(tx *gorm.DB, userID uint) (map[string]time.Time, error) {
	who, err := learnerIn(tx, userID)
	if err != nil {
		return nil, err
	}
	var done []string
	if err := tx.Model(&TaskCompletion{}).Where("user_id = ?", userID).Pluck("task_id", &done).Error; err != nil {
		return nil, err
	}
	var opened []LessonProgress
	if err := tx.Select("course", "lesson", "started_at").Where("user_id = ?", userID).Find(&opened).Error; err != nil {
		return nil, err
	}
	started := map[string]time.Time{}
	for _, p := range opened {
		started[p.Course+"/"+p.Lesson] = p.StartedAt
	}
	open := map[string]time.Time{}
	cat := s.courses.Catalog()
	isDone := func(id string) bool { return slices.Contains(done, id) }
	isOpened := func(l *course.Lesson) bool { _, ok := started[l.Key()]; return ok }
	for _, t := range openTasks(cat, who.Audience, isDone, isOpened) {
		for _, l := range cat.TaskLessons(t) {
			at, ok := started[l.Key()]
			if prev, seen := open[t]; ok && (!seen || at.Before(prev)) {
				open[t] = at
			}
		}
	}
	return open, nil
}

// OpenTasks lists, in catalogue order, the practice tasks of the lessons the learner has
// opened that are not done yet.
func (sn *Snapshot) OpenTasks() []string {
	return openTasks(sn.catalog, sn.Learner.Audience, sn.TaskDone, func(l *course.Lesson) bool { return sn.Lessons[l.Key()] != nil })
}

func openTasks(cat *course.Catalog, audience string, done func(string) bool, opened func(*course.Lesson) bool) []string {
	var out []string
	for _, co := range cat.Courses {
		if !co.For(audience) {
			continue
		}
		for _, l := range co.LessonsFor(audience) {
			if !opened(l) {
				continue
			}
			for _, t := range l.Tasks {
				if !done(t) && !slices.Contains(out, t) {
					out = append(out, t)
				}
			}
		}
	}
	return out
}

// learnerIn reads, inside tx, who a user is as progress needs to know them.
func learnerIn(tx *gorm.DB, userID uint) (Learner, error) {
	var u struct {
		Name     string
		Role     string
		CentreID *uint
	}
	if err := tx.Table("users").Select("name, role, centre_id").Where("id = ?", userID).Take(&u).Error; err != nil {
		return Learner{}, err
	}
	who := Learner{ID: userID, Name: u.Name, Audience: course.AudiencePartner}
	if u.Role == "villager" { // account.RoleVillager; the web layer maps roles the same way
		who.Audience = course.AudienceVillager
	}
	if u.CentreID != nil {
		who.CentreID = *u.CentreID
	}
	return who, nil
}

// issueIfComplete issues the course certificate inside tx when every lesson the learner
// sees is mastered and none was issued yet, and reports whether it did.
func (s *Service) issueIfComplete(tx *gorm.DB, who Learner, c *course.Course) (bool, error) {
	snap, err := (&Service{db: tx, courses: s.courses, now: s.now}).Snapshot(tx.Statement.Context, who)
	if err != nil {
		return false, err
	}
	if _, has := snap.Certificates[c.Slug]; has || !snap.Complete(c) {
		return false, nil
	}
	centre := who.Centre
	if centre == "" && who.CentreID != 0 {
		if err := tx.Table("centres").Where("id = ?", who.CentreID).Limit(1).Pluck("name", &centre).Error; err != nil {
			return false, err
		}
	}
	cert := Certificate{Code: newCode(), UserID: who.ID, Course: c.Slug, HolderName: who.Name, CentreName: centre, IssuedAt: s.now()}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&cert)
	return res.RowsAffected == 1, res.Error
}

// lockedBy returns the lesson's prerequisites (those the learner sees) whose quiz the
// learner has not passed yet: one query, for the quiz's hot path.
func (s *Service) lockedBy(ctx context.Context, who Learner, l *course.Lesson) ([]*course.Lesson, error) {
	var need []string
	for _, p := range l.Prerequisites {
		if pl := l.Course.Lesson(p); pl != nil && pl.For(who.Audience) {
			need = append(need, p)
		}
	}
	if len(need) == 0 {
		return nil, nil
	}
	var passed []string
	if err := s.db.WithContext(ctx).Model(&LessonProgress{}).Where("user_id = ? AND course = ? AND lesson IN ? AND passed_at IS NOT NULL",
		who.ID, l.Course.Slug, need).Pluck("lesson", &passed).Error; err != nil {
		return nil, errs.Wrap(err, "check prerequisites")
	}
	var out []*course.Lesson
	for _, p := range need {
		if !slices.Contains(passed, p) {
			out = append(out, l.Course.Lesson(p))
		}
	}
	return out, nil
}

// newCode returns an unguessable certificate code: 128 random bits in base32.
func newCode() string { return strings.ToLower(rand.Text()) }

// CertificateByCode finds a certificate for the public check; NotFound when there is none.
func (s *Service) CertificateByCode(ctx context.Context, code string) (*Certificate, error) {
	code = strings.ToLower(strings.TrimSpace(code))
	if len(code) < 20 || len(code) > 32 {
		return nil, errs.New(errs.NotFound, "error.certificate_unknown")
	}
	var c Certificate
	err := s.db.WithContext(ctx).Where("code = ?", code).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errs.New(errs.NotFound, "error.certificate_unknown")
	}
	return &c, errs.Wrap(err, "find certificate")
}

// validKey reports whether an attempt's idempotency key has the shape the pages and the
// offline queue make (16 to 64 letters, digits, - and _), so nothing else reaches a query.
func validKey(k string) bool {
	if len(k) < 16 || len(k) > 64 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

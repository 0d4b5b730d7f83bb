package records

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/course"
	"cunlu/app/errs"
	"cunlu/app/textcheck"
)

// Exam is a class's exam (考核): open for a window, each candidate answering questions drawn
// at random for them from the quizzes of the chosen lessons within a time limit, and doing
// the practice-shop tasks named, in a number of attempts. Nobody sees a score or a right
// answer until the window closes, so answers cannot be passed round the room.
type Exam struct {
	ID          uint
	ClassID     uint
	Title       string
	OpensAt     time.Time
	ClosesAt    time.Time
	Minutes     int    // the time limit of one attempt
	Questions   int    // how many are drawn for each candidate
	Lessons     string // lesson keys ("course/lesson") the questions are drawn from, one per line
	Tasks       string // practice task ids to do inside the exam, space-separated
	Attempts    int
	ProctorCode string // read out in the room and typed to start; empty: none
	PassPercent int
	CreatedByID uint
	CreatedAt   time.Time
}

func (Exam) TableName() string { return "training_exams" }

// LessonKeys lists the lessons the questions are drawn from.
func (e *Exam) LessonKeys() []string { return strings.Fields(e.Lessons) }

// TaskIDs lists the practice tasks to do inside the exam.
func (e *Exam) TaskIDs() []string { return strings.Fields(e.Tasks) }

// Open reports whether answers are taken at t.
func (e *Exam) Open(t time.Time) bool { return !t.Before(e.OpensAt) && t.Before(e.ClosesAt) }

// Closed reports whether the window has closed at t: results are shown from then on.
func (e *Exam) Closed(t time.Time) bool { return !t.Before(e.ClosesAt) }

// ExamAttempt is one candidate's attempt: the questions drawn for them (in the order shown),
// when it started and must end, and once submitted, which were right.
type ExamAttempt struct {
	ID          uint
	ExamID      uint
	UserID      uint
	Number      int
	StartedAt   time.Time
	DueAt       time.Time // the time limit or the window's close, whichever is first
	SubmittedAt *time.Time
	Questions   string // question keys ("course/lesson#q3"), one per line
	Marks       string // once submitted: "1" right or "0" wrong for each question in order
	Right       int
	Total       int
	TasksDone   int
}

func (ExamAttempt) TableName() string { return "training_exam_attempts" }

// QuestionKeys lists the questions drawn, in the order shown.
func (a *ExamAttempt) QuestionKeys() []string { return strings.Fields(a.Questions) }

// ExamCandidate is what a trainer decided about one candidate: excused from the exam, or
// given attempts beyond the exam's number (re-opened). The reasons are in the audit log.
type ExamCandidate struct {
	ExamID        uint `gorm:"primaryKey;autoIncrement:false"`
	UserID        uint `gorm:"primaryKey;autoIncrement:false"`
	Excused       bool
	ExtraAttempts int
	Reason        string
	UpdatedAt     time.Time
}

func (ExamCandidate) TableName() string { return "training_exam_candidates" }

// Grace is how long after an attempt is due its answers are still taken: a slow connection
// in a village should not cost a candidate their exam.
const Grace = 2 * time.Minute

// ExamForm is an exam as a trainer types it; times are China time, "2006-01-02T15:04" (what
// a datetime-local field sends) or "2006-01-02 15:04".
type ExamForm struct {
	Title       string
	Opens       string
	Closes      string
	Minutes     string
	Questions   string
	Lessons     string // course or course/lesson slugs, one per line or space-separated; empty: the class's plan
	Tasks       string
	Attempts    string
	ProctorCode string
	PassPercent string
}

func parseWhen(field, v string) (time.Time, error) {
	v = strings.TrimSpace(strings.Replace(v, "T", " ", 1))
	t, err := time.ParseInLocation("2006-01-02 15:04", v, China)
	if err != nil {
		return time.Time{}, errs.Field(field, "error.datetime")
	}
	return t.UTC(), nil
}

func parseCount(field, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		return 0, errs.Field(field, "error.number_between").With("Min", lo).With("Max", hi)
	}
	return n, nil
}

// lessonsOf resolves a plan, one item per line (or space-separated slugs), into lesson keys
// that have quiz questions, in order without repeats. An item is a course ("buying-online",
// all its lessons), a lesson ("buying-online/pickup-code"), or a course's or lesson's title
// in either language, as class plans are often typed ("网上购物入门").
func lessonsOf(cat *course.Catalog, plan string) ([]string, error) {
	var keys []string
	add := func(l *course.Lesson) {
		if len(l.In(course.Langs[0]).Quiz.Questions) > 0 && !slices.Contains(keys, l.Key()) {
			keys = append(keys, l.Key())
		}
	}
	for _, line := range strings.Split(plan, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if found := byTitle(cat, line); found != nil {
			for _, l := range found {
				add(l)
			}
			continue
		}
		for _, item := range strings.Fields(line) {
			co, ls, _ := strings.Cut(item, "/")
			c := cat.Course(co)
			var l *course.Lesson
			if c != nil && ls != "" {
				l = c.Lesson(ls)
			}
			switch {
			case c != nil && ls == "":
				for _, l := range c.Lessons {
					add(l)
				}
			case l != nil:
				add(l)
			default:
				return nil, errs.Field("lessons", "error.exam_lesson").With("Name", item)
			}
		}
	}
	return keys, nil
}

// byTitle finds the lessons of a course, or the lesson, titled t in any language.
func byTitle(cat *course.Catalog, t string) []*course.Lesson {
	for _, c := range cat.Courses {
		for _, txt := range c.Text {
			if txt.Title == t {
				return c.Lessons
			}
		}
		for _, l := range c.Lessons {
			for _, txt := range l.Text {
				if txt.Title == t {
					return []*course.Lesson{l}
				}
			}
		}
	}
	return nil
}

// questionCount is how many quiz questions the lessons hold.
func questionCount(cat *course.Catalog, keys []string) int {
	n := 0
	for _, k := range keys {
		if l := lessonByKey(cat, k); l != nil {
			n += len(l.In(course.Langs[0]).Quiz.Questions)
		}
	}
	return n
}

func lessonByKey(cat *course.Catalog, key string) *course.Lesson {
	co, ls, _ := strings.Cut(key, "/")
	return cat.Lesson(co, ls)
}

// PracticeTasks lists the practice tasks the catalogue's lessons name, in catalogue order.
func PracticeTasks(cat *course.Catalog) []string {
	var out []string
	for _, c := range cat.Courses {
		for _, l := range c.Lessons {
			for _, t := range l.Tasks {
				if !slices.Contains(out, t) {
					out = append(out, t)
				}
			}
		}
	}
	return out
}

// knownTask reports whether some lesson of the catalogue names the practice task.
func knownTask(cat *course.Catalog, id string) bool {
	for _, c := range cat.Courses {
		for _, l := range c.Lessons {
			if slices.Contains(l.Tasks, id) {
				return true
			}
		}
	}
	return false
}

// CreateExam adds an exam to a class the actor manages. The lessons default to the class's
// plan; every lesson and practice task must exist, and the lessons must hold at least as many
// questions as are to be drawn.
func (s *Service) CreateExam(ctx context.Context, actor *account.User, classID uint, f ExamForm, cat *course.Catalog) (*Exam, error) {
	c, err := s.Class(ctx, actor, classID)
	if err != nil {
		return nil, err
	}
	if c.ClosedAt != nil {
		return nil, errs.New(errs.Conflict, "error.class_closed")
	}
	e := Exam{ClassID: c.ID, Title: strings.TrimSpace(f.Title), ProctorCode: strings.TrimSpace(f.ProctorCode), CreatedByID: actor.ID}
	for _, chk := range []error{checkText("title", e.Title, 2, 100), textcheck.Name("title", e.Title),
		checkText("proctor", e.ProctorCode, 0, 20), textcheck.Name("proctor", e.ProctorCode)} {
		if chk != nil {
			return nil, chk
		}
	}
	if e.OpensAt, err = parseWhen("opens", f.Opens); err != nil {
		return nil, err
	}
	if e.ClosesAt, err = parseWhen("closes", f.Closes); err != nil {
		return nil, err
	}
	if !e.ClosesAt.After(e.OpensAt) {
		return nil, errs.Field("closes", "error.end_before_start")
	}
	if e.Minutes, err = parseCount("minutes", f.Minutes, 1, 600); err != nil {
		return nil, err
	}
	if e.Questions, err = parseCount("questions", f.Questions, 1, 100); err != nil {
		return nil, err
	}
	if e.Attempts, err = parseCount("attempts", f.Attempts, 1, 10); err != nil {
		return nil, err
	}
	if e.PassPercent, err = parseCount("pass", f.PassPercent, 1, 100); err != nil {
		return nil, err
	}
	plan := f.Lessons
	if strings.TrimSpace(plan) == "" {
		plan = c.Plan
	}
	keys, err := lessonsOf(cat, plan)
	if err != nil {
		return nil, err
	}
	if n := questionCount(cat, keys); n < e.Questions {
		return nil, errs.Field("questions", "error.exam_pool").With("Count", n)
	}
	e.Lessons = strings.Join(keys, "\n")
	tasks := strings.Fields(strings.NewReplacer(",", " ", "，", " ").Replace(f.Tasks))
	for _, t := range tasks {
		if !knownTask(cat, t) {
			return nil, errs.Field("tasks", "error.exam_task").With("Name", t)
		}
	}
	if len(tasks) > 10 {
		return nil, errs.Field("tasks", "error.too_long").With("Max", 10)
	}
	e.Tasks = strings.Join(tasks, " ")
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&e).Error; err != nil {
			return errs.Wrap(err, "create exam")
		}
		proctor := "no proctor code"
		if e.ProctorCode != "" {
			proctor = "proctor code set"
		}
		return appendAudit(tx, s.now(), Change{ActorID: actor.ID, ClassID: &c.ID, Action: "exam.created", Subject: fmt.Sprintf("exam:%d", e.ID),
			Detail: fmt.Sprintf("%s; %s–%s; %d min; %d questions from %s; tasks %q; %d attempts; pass %d%%; %s", e.Title,
				e.OpensAt.In(China).Format("2006-01-02 15:04"), e.ClosesAt.In(China).Format("2006-01-02 15:04"),
				e.Minutes, e.Questions, strings.Join(keys, " "), e.Tasks, e.Attempts, e.PassPercent, proctor)})
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// Exams lists a class's exams, soonest first.
func (s *Service) Exams(ctx context.Context, classID uint) ([]Exam, error) {
	var out []Exam
	err := s.db.WithContext(ctx).Where("class_id = ?", classID).Order("opens_at, id").Find(&out).Error
	return out, errs.Wrap(err, "list exams")
}

func (s *Service) exam(ctx context.Context, id uint) (*Exam, error) {
	var e Exam
	if err := s.db.WithContext(ctx).Take(&e, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, errs.New(errs.NotFound, "error.not_found")
		}
		return nil, errs.Wrap(err, "find exam")
	}
	return &e, nil
}

// ManagedExam returns an exam of a class the actor manages (else NotFound).
func (s *Service) ManagedExam(ctx context.Context, actor *account.User, classID, examID uint) (*Exam, *Class, error) {
	c, err := s.Class(ctx, actor, classID)
	if err != nil {
		return nil, nil, err
	}
	e, err := s.exam(ctx, examID)
	if err != nil {
		return nil, nil, err
	}
	if e.ClassID != c.ID {
		return nil, nil, errs.New(errs.NotFound, "error.not_found")
	}
	return e, c, nil
}

// LearnerExamRow is an exam in a learner's list.
type LearnerExamRow struct {
	Exam
	ClassTitle string
}

// LearnerExams lists the exams of the classes the learner is on, soonest first.
func (s *Service) LearnerExams(ctx context.Context, learner *account.User) ([]LearnerExamRow, error) {
	var out []LearnerExamRow
	err := s.db.WithContext(ctx).Table("training_exams x").Select("x.*, tc.title AS class_title").
		Joins("JOIN training_classes tc ON tc.id = x.class_id").
		Joins("JOIN training_enrolments te ON te.class_id = x.class_id AND te.user_id = ? AND te.removed_at IS NULL", learner.ID).
		Order("x.closes_at DESC, x.id").Limit(100).Scan(&out).Error
	return out, errs.Wrap(err, "list learner's exams")
}

// LearnerExam is an exam as a candidate sees it: their attempts, whether they may start
// another, and (once the window has closed) their results. Before it closes, Right, Marks
// and TasksDone of the attempts are blanked: no feedback.
type LearnerExam struct {
	Exam       Exam
	ClassTitle string
	Attempts   []ExamAttempt
	Current    *ExamAttempt // the attempt under way, if any
	Allowed    int          // attempts allowed (with any the trainer re-opened)
	Excused    bool
	Now        time.Time
	Results    bool // the window has closed: scores are shown
	Best       *ExamAttempt
	Passed     bool
}

// CanStart reports whether the candidate may start an attempt now.
func (l *LearnerExam) CanStart() bool {
	return l.Current == nil && !l.Excused && l.Exam.Open(l.Now) && len(l.Attempts) < l.Allowed
}

// candidate returns the exam, its class, and the trainer's decision about the learner, who
// must be on the class's roster (else NotFound, so exams are not probed).
func (s *Service) candidate(ctx context.Context, learner *account.User, examID uint) (*Exam, *Class, *ExamCandidate, error) {
	e, err := s.exam(ctx, examID)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := s.onRoster(ctx, e.ClassID, learner.ID); err != nil {
		return nil, nil, nil, errs.New(errs.NotFound, "error.not_found")
	}
	var c Class
	if err := s.db.WithContext(ctx).Take(&c, e.ClassID).Error; err != nil {
		return nil, nil, nil, errs.Wrap(err, "find class")
	}
	var d ExamCandidate
	if err := s.db.WithContext(ctx).Where("exam_id = ? AND user_id = ?", e.ID, learner.ID).Limit(1).Find(&d).Error; err != nil {
		return nil, nil, nil, errs.Wrap(err, "read candidate")
	}
	return e, &c, &d, nil
}

// ExamForLearner returns an exam as the candidate sees it.
func (s *Service) ExamForLearner(ctx context.Context, learner *account.User, examID uint) (*LearnerExam, error) {
	e, c, d, err := s.candidate(ctx, learner, examID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	l := &LearnerExam{Exam: *e, ClassTitle: c.Title, Allowed: e.Attempts + d.ExtraAttempts, Excused: d.Excused, Now: now, Results: e.Closed(now)}
	if err := s.db.WithContext(ctx).Where("exam_id = ? AND user_id = ?", e.ID, learner.ID).Order("number").Find(&l.Attempts).Error; err != nil {
		return nil, errs.Wrap(err, "list attempts")
	}
	for i := range l.Attempts {
		a := &l.Attempts[i]
		if a.SubmittedAt == nil && now.Before(a.DueAt.Add(Grace)) {
			l.Current = a
		}
		if !l.Results {
			a.Right, a.Marks, a.TasksDone = 0, "", 0
		} else if a.SubmittedAt != nil && (l.Best == nil || a.Right > l.Best.Right) {
			l.Best = a
		}
	}
	if l.Best != nil {
		l.Passed = e.passed(l.Best)
	}
	return l, nil
}

// passed reports whether an attempt meets the pass mark with every task done.
func (e *Exam) passed(a *ExamAttempt) bool {
	return a.SubmittedAt != nil && a.Total > 0 && a.Right*100 >= e.PassPercent*a.Total && a.TasksDone >= len(e.TaskIDs())
}

// StartAttempt starts an attempt for a candidate on the class's roster, inside the window,
// with the proctor code if the exam has one, and while attempts are left: the questions are
// drawn now, at random, from the quizzes of the exam's lessons the candidate's audience
// sees. An attempt already under way is returned as it is (a second tap draws nothing new).
func (s *Service) StartAttempt(ctx context.Context, learner *account.User, examID uint, proctor string, cat *course.Catalog) (*ExamAttempt, error) {
	l, err := s.ExamForLearner(ctx, learner, examID)
	if err != nil {
		return nil, err
	}
	if l.Current != nil {
		return l.Current, nil
	}
	e := &l.Exam
	switch {
	case l.Excused:
		return nil, errs.New(errs.Conflict, "error.exam_excused")
	case l.Now.Before(e.OpensAt):
		return nil, errs.New(errs.Conflict, "error.exam_not_open")
	case !e.Open(l.Now):
		return nil, errs.New(errs.Conflict, "error.exam_closed")
	case len(l.Attempts) >= l.Allowed:
		return nil, errs.New(errs.Conflict, "error.exam_no_attempts")
	}
	if e.ProctorCode != "" && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(proctor)), []byte(e.ProctorCode)) != 1 {
		return nil, errs.Field("proctor", "error.exam_proctor")
	}
	var pool []string
	for _, k := range e.LessonKeys() {
		ls := lessonByKey(cat, k)
		if ls == nil || !ls.For(string(learner.Role)) {
			continue
		}
		for _, q := range ls.In(course.Langs[0]).Quiz.Questions {
			pool = append(pool, k+"#"+q.ID)
		}
	}
	if len(pool) == 0 {
		return nil, errs.New(errs.Conflict, "error.exam_no_questions")
	}
	rand.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	pool = pool[:min(e.Questions, len(pool))]
	due := l.Now.Add(time.Duration(e.Minutes) * time.Minute)
	if due.After(e.ClosesAt) {
		due = e.ClosesAt
	}
	a := ExamAttempt{ExamID: e.ID, UserID: learner.ID, Number: len(l.Attempts) + 1, StartedAt: l.Now, DueAt: due,
		Questions: strings.Join(pool, "\n"), Total: len(pool)}
	if err := s.db.WithContext(ctx).Create(&a).Error; err != nil {
		// Two taps at once: the unique (exam, learner, number) lets one through.
		return nil, errs.New(errs.Conflict, "error.exam_started_twice")
	}
	return &a, nil
}

// ExamQuestion is one drawn question as the exam page shows it.
type ExamQuestion struct {
	Key      string
	Lesson   *course.Lesson
	Question *course.Question
}

// ExamQuestions resolves an attempt's question keys in lang. A question whose lesson has
// left the catalogue since is skipped (it is marked wrong on grading, as it cannot be
// answered).
func ExamQuestions(cat *course.Catalog, a *ExamAttempt, lang string) []ExamQuestion {
	var out []ExamQuestion
	for _, k := range a.QuestionKeys() {
		if q, l := questionByKey(cat, k, lang); q != nil {
			out = append(out, ExamQuestion{Key: k, Lesson: l, Question: q})
		}
	}
	return out
}

func questionByKey(cat *course.Catalog, key, lang string) (*course.Question, *course.Lesson) {
	lk, qid, _ := strings.Cut(key, "#")
	l := lessonByKey(cat, lk)
	if l == nil {
		return nil, nil
	}
	src := l.In(course.Langs[0]).Quiz.Questions
	qs := l.In(lang).Quiz.Questions
	for i := range src {
		if src[i].ID == qid && i < len(qs) {
			return &qs[i], l
		}
	}
	return nil, nil
}

// SubmitAttempt grades a candidate's answers (by question key, the option ids chosen; a
// question left blank is wrong) and counts the exam's practice tasks done in the practice
// shop since the attempt started. Answers are taken only inside the window and the time
// limit (with Grace), once: a second submission, a late one or an answer naming an option
// that does not exist changes nothing. The result is written to the audit log.
func (s *Service) SubmitAttempt(ctx context.Context, learner *account.User, examID, attemptID uint, answers map[string][]string, cat *course.Catalog) error {
	e, _, d, err := s.candidate(ctx, learner, examID)
	if err != nil {
		return err
	}
	var a ExamAttempt
	if err := s.db.WithContext(ctx).Where("id = ? AND exam_id = ? AND user_id = ?", attemptID, e.ID, learner.ID).Take(&a).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return errs.New(errs.NotFound, "error.not_found")
		}
		return errs.Wrap(err, "find attempt")
	}
	now := s.now()
	switch {
	case a.SubmittedAt != nil:
		return errs.New(errs.Conflict, "error.exam_submitted")
	case d.Excused:
		return errs.New(errs.Conflict, "error.exam_excused")
	case now.After(a.DueAt.Add(Grace)) || now.After(e.ClosesAt.Add(Grace)):
		return errs.New(errs.Conflict, "error.exam_time_up")
	}
	keys := a.QuestionKeys()
	for k := range answers {
		if !slices.Contains(keys, k) {
			return errs.New(errs.Invalid, "error.bad_request")
		}
	}
	marks := make([]byte, len(keys))
	right := 0
	for i, k := range keys {
		marks[i] = '0'
		q, _ := questionByKey(cat, k, course.Langs[0])
		if q == nil {
			continue
		}
		chosen, ok := q.Mask(answers[k])
		if !ok || (q.Kind != course.Multiple && len(answers[k]) > 1) {
			return errs.New(errs.Invalid, "error.bad_request")
		}
		if len(answers[k]) > 0 && chosen == q.CorrectMask() {
			marks[i] = '1'
			right++
		}
	}
	tasksDone := 0
	if tasks := e.TaskIDs(); len(tasks) > 0 {
		var n int64
		err := s.db.WithContext(ctx).Table("task_completions").
			Where("user_id = ? AND task_id IN ? AND completed_at >= ? AND completed_at <= ?", learner.ID, tasks, a.StartedAt, now).Count(&n).Error
		if err != nil {
			return errs.Wrap(err, "count tasks done")
		}
		tasksDone = int(n)
	}
	// The result goes into the audit log with the attempt, so a score changed afterwards
	// shows against the chain.
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&ExamAttempt{}).Where("id = ? AND submitted_at IS NULL", a.ID).
			Updates(map[string]any{"submitted_at": now, "marks": string(marks), "right": right, "total": len(keys), "tasks_done": tasksDone})
		if res.Error != nil {
			return errs.Wrap(res.Error, "submit attempt")
		}
		if res.RowsAffected == 0 {
			return errs.New(errs.Conflict, "error.exam_submitted")
		}
		return appendAudit(tx, now, Change{ActorID: learner.ID, ClassID: &e.ClassID, Action: "exam.submitted", Subject: fmt.Sprintf("exam:%d user:%d", e.ID, learner.ID),
			Detail: fmt.Sprintf("attempt %d: %d of %d right (%s); tasks done %d of %d", a.Number, right, len(keys), marks, tasksDone, len(e.TaskIDs()))})
	})
}

// CandidateResult is one learner on the roster with their exam result.
type CandidateResult struct {
	UserID    uint
	Name      string
	Attempts  int
	Allowed   int
	Best      *ExamAttempt // the submitted attempt with most right
	Passed    bool
	Excused   bool
	Reason    string
	Submitted bool
}

// QuestionStat is how one question fared across the submitted attempts.
type QuestionStat struct {
	Key          string
	Right, Wrong int
}

// ExamResults is the results page: every candidate, and every question drawn.
type ExamResults struct {
	Candidates []CandidateResult
	Questions  []QuestionStat // the most often wrong first
	Passed     int
	Sat        int // candidates with a submitted attempt
}

// Results gathers an exam's results (for a trainer: ManagedExam first).
func (s *Service) Results(ctx context.Context, e *Exam) (*ExamResults, error) {
	roster, err := s.Roster(ctx, e.ClassID)
	if err != nil {
		return nil, err
	}
	var attempts []ExamAttempt
	if err := s.db.WithContext(ctx).Where("exam_id = ?", e.ID).Order("user_id, number").Find(&attempts).Error; err != nil {
		return nil, errs.Wrap(err, "list attempts")
	}
	var ds []ExamCandidate
	if err := s.db.WithContext(ctx).Where("exam_id = ?", e.ID).Find(&ds).Error; err != nil {
		return nil, errs.Wrap(err, "list candidates")
	}
	r := &ExamResults{}
	stats := map[string]*QuestionStat{}
	for _, p := range roster {
		cr := CandidateResult{UserID: p.UserID, Name: p.Name, Allowed: e.Attempts}
		for _, d := range ds {
			if d.UserID == p.UserID {
				cr.Allowed += d.ExtraAttempts
				cr.Excused, cr.Reason = d.Excused, d.Reason
			}
		}
		for i := range attempts {
			a := &attempts[i]
			if a.UserID != p.UserID {
				continue
			}
			cr.Attempts++
			if a.SubmittedAt == nil {
				continue
			}
			cr.Submitted = true
			if cr.Best == nil || a.Right > cr.Best.Right {
				cr.Best = a
			}
			for j, k := range a.QuestionKeys() {
				st := stats[k]
				if st == nil {
					st = &QuestionStat{Key: k}
					stats[k] = st
				}
				if j < len(a.Marks) && a.Marks[j] == '1' {
					st.Right++
				} else {
					st.Wrong++
				}
			}
		}
		if cr.Best != nil {
			cr.Passed = e.passed(cr.Best)
			r.Sat++
		}
		if cr.Passed {
			r.Passed++
		}
		r.Candidates = append(r.Candidates, cr)
	}
	for _, st := range stats {
		r.Questions = append(r.Questions, *st)
	}
	slices.SortFunc(r.Questions, func(a, b QuestionStat) int {
		if a.Wrong != b.Wrong {
			return b.Wrong - a.Wrong
		}
		return strings.Compare(a.Key, b.Key)
	})
	return r, nil
}

// Trainer decisions about a candidate.
const (
	Excuse = "excuse" // excused from the exam: no attempt may be started
	Reopen = "reopen" // one more attempt allowed (and no longer excused)
)

// DecideCandidate excuses or re-opens a candidate of an exam of a class the actor manages,
// with a reason, in the audit log.
func (s *Service) DecideCandidate(ctx context.Context, actor *account.User, classID, examID, userID uint, action, reason string) error {
	e, c, err := s.ManagedExam(ctx, actor, classID, examID)
	if err != nil {
		return err
	}
	if c.ClosedAt != nil {
		return errs.New(errs.Conflict, "error.class_closed")
	}
	if action != Excuse && action != Reopen {
		return errs.Field("action", "error.required")
	}
	reason = strings.TrimSpace(reason)
	if err := checkText("reason", reason, 2, 200); err != nil {
		return err
	}
	if err := textcheck.Text("reason", reason); err != nil {
		return err
	}
	if err := s.onRoster(ctx, c.ID, userID); err != nil {
		return errs.Field("learner", "error.not_found")
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now()
		var d ExamCandidate
		if err := tx.Where("exam_id = ? AND user_id = ?", e.ID, userID).Limit(1).Find(&d).Error; err != nil {
			return errs.Wrap(err, "read candidate")
		}
		d.ExamID, d.UserID, d.Reason, d.UpdatedAt = e.ID, userID, reason, now
		detail := ""
		if action == Excuse {
			if d.Excused {
				return errs.New(errs.Conflict, "error.exam_excused")
			}
			d.Excused = true
			detail = "excused"
		} else {
			d.Excused = false
			d.ExtraAttempts++
			detail = fmt.Sprintf("re-opened: %d attempts allowed", e.Attempts+d.ExtraAttempts)
		}
		if err := tx.Save(&d).Error; err != nil {
			return errs.Wrap(err, "save candidate")
		}
		return appendAudit(tx, now, Change{ActorID: actor.ID, ClassID: &c.ID, Action: "exam." + action, Subject: fmt.Sprintf("exam:%d user:%d", e.ID, userID),
			Detail: detail, Reason: reason})
	})
}

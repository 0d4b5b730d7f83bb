package report

import (
	"context"
	"html/template"
	"slices"

	"cunlu/app/account"
	"cunlu/app/course"
	"cunlu/app/errs"
)

// Difficult is one quiz question with how often it was answered wrongly and how often
// each option was chosen, so trainers see which idea is misunderstood.
type Difficult struct {
	Course   *course.Course
	Lesson   *course.Lesson
	Question *course.Question
	Answers  int
	Wrong    int
	Chosen   []int // per option, in the question's option order
}

// WrongPercent is the share of wrong answers.
func (d Difficult) WrongPercent() int {
	if d.Answers == 0 {
		return 0
	}
	return d.Wrong * 100 / d.Answers
}

// ChosenPercent is how often option i was chosen, in percent of answers.
func (d Difficult) ChosenPercent(i int) int {
	if d.Answers == 0 || i >= len(d.Chosen) {
		return 0
	}
	return d.Chosen[i] * 100 / d.Answers
}

// Prompt is the question in lang.
func (d Difficult) Prompt(lang string) template.HTML {
	return d.Lesson.In(lang).Quiz.Questions[d.index()].Prompt
}

// Options are the question's options in lang.
func (d Difficult) Options(lang string) []course.Option {
	return d.Lesson.In(lang).Quiz.Questions[d.index()].Options
}

func (d Difficult) index() int {
	for i, q := range d.Lesson.In(course.Langs[0]).Quiz.Questions {
		if q.ID == d.Question.ID {
			return i
		}
	}
	return 0
}

// MinAnswers keeps questions answered only a few times out of the list: their share of
// wrong answers says little yet.
const MinAnswers = 5

// DifficultQuestions lists the questions answered wrongly most often in the region, for
// one course or all (courseSlug ""), worst first, at most limit.
func (s *Service) DifficultQuestions(ctx context.Context, region *account.Region, courseSlug string, limit int) ([]Difficult, error) {
	q := s.db.WithContext(ctx).Table("question_stats").
		Select(`question_stats.course, question_stats.lesson, question_stats.question, SUM(question_stats.answers) AS answers, SUM(question_stats.wrong) AS wrong,
			SUM(opt_a) AS a, SUM(opt_b) AS b, SUM(opt_c) AS c, SUM(opt_d) AS d, SUM(opt_e) AS e`).
		Joins("JOIN centres ON centres.id = question_stats.centre_id").
		Joins("JOIN regions ON regions.id = centres.region_id").
		Where("regions.path LIKE ?", region.Path+"%")
	if courseSlug != "" {
		q = q.Where("question_stats.course = ?", courseSlug)
	}
	var rows []struct {
		Course, Lesson, Question string
		Answers, Wrong           int
		A, B, C, D, E            int
	}
	err := q.Group("question_stats.course, question_stats.lesson, question_stats.question").
		Having("SUM(question_stats.answers) >= ?", MinAnswers).Scan(&rows).Error
	if err != nil {
		return nil, errs.Wrap(err, "difficult questions")
	}
	cat := s.courses.Catalog()
	var out []Difficult
	for _, r := range rows {
		l := cat.Lesson(r.Course, r.Lesson)
		if l == nil {
			continue // a lesson since removed from the courses
		}
		var qn *course.Question
		for i, x := range l.In(course.Langs[0]).Quiz.Questions {
			if x.ID == r.Question {
				qn = &l.In(course.Langs[0]).Quiz.Questions[i]
			}
		}
		if qn == nil {
			continue
		}
		chosen := []int{r.A, r.B, r.C, r.D, r.E}[:len(qn.Options)]
		out = append(out, Difficult{Course: l.Course, Lesson: l, Question: qn, Answers: r.Answers, Wrong: r.Wrong, Chosen: chosen})
	}
	// Worst share first; among equals, the most answered; then a stable order.
	slices.SortStableFunc(out, func(a, b Difficult) int {
		if d := b.Wrong*a.Answers - a.Wrong*b.Answers; d != 0 {
			return d
		}
		if a.Answers != b.Answers {
			return b.Answers - a.Answers
		}
		if a.Lesson.Key() != b.Lesson.Key() {
			if a.Lesson.Key() < b.Lesson.Key() {
				return -1
			}
			return 1
		}
		return a.index() - b.index()
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

package web

import (
	"html/template"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"cunlu/app/course"
	"cunlu/app/errs"
	"cunlu/app/records"
)

// Exams (考核) of training classes: a trainer sets one on the class page and reads the
// results; a candidate on the roster starts an attempt (with the proctor code read out in
// the room), answers the questions drawn for them and sees the score once the window closes.

// newExamForm is what the exam form starts with.
var newExamForm = records.ExamForm{Minutes: "30", Questions: "10", Attempts: "1", PassPercent: "60"}

// classExamCreate is POST /classes/:id/exams.
func (s *Server) classExamCreate(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return errs.New(errs.Invalid, "error.bad_request")
	}
	f := records.ExamForm{Title: c.FormValue("title"), Opens: c.FormValue("opens"), Closes: c.FormValue("closes"),
		Minutes: c.FormValue("minutes"), Questions: c.FormValue("questions"), Lessons: c.FormValue("lessons"), Tasks: strings.Join(form["tasks"], " "),
		Attempts: c.FormValue("attempts"), ProctorCode: c.FormValue("proctor"), PassPercent: c.FormValue("pass")}
	e, err := s.records.CreateExam(c.Request().Context(), currentUser(c), id, f, s.courses.Catalog())
	if err != nil {
		v, verr := s.classData(c, id)
		if verr != nil {
			return verr
		}
		v.Exam = f
		return s.showFormError(c, "class", v, err)
	}
	return s.redirectFlash(c, examPath(id, e.ID), "flash.exam_created")
}

func examPath(classID, examID uint) string {
	return classPath(classID) + "/exams/" + strconv.FormatUint(uint64(examID), 10)
}

func examParam(c echo.Context) (uint, error) {
	n, err := strconv.ParseUint(c.Param("eid"), 10, 32)
	if err != nil || n == 0 {
		return 0, errNotFound
	}
	return uint(n), nil
}

// examQuestionRow is a question on the results page: how often it was answered right and wrong.
type examQuestionRow struct {
	records.QuestionStat
	Lesson string
	Prompt template.HTML
}

type classExamView struct {
	Class     *records.Class
	Exam      *records.Exam
	Results   *records.ExamResults
	Questions []examQuestionRow
	Decide    uint // the candidate whose decision failed, to show the form again
	Reason    string
}

func (s *Server) classExamData(c echo.Context) (*classExamView, error) {
	id, err := paramID(c)
	if err != nil {
		return nil, err
	}
	eid, err := examParam(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	e, cl, err := s.records.ManagedExam(ctx, currentUser(c), id, eid)
	if err != nil {
		return nil, err
	}
	v := &classExamView{Class: cl, Exam: e}
	if v.Results, err = s.records.Results(ctx, e); err != nil {
		return nil, err
	}
	cat, lang := s.courses.Catalog(), s.langOf(c)
	for _, st := range v.Results.Questions {
		row := examQuestionRow{QuestionStat: st}
		a := records.ExamAttempt{Questions: st.Key}
		if qs := records.ExamQuestions(cat, &a, lang); len(qs) == 1 {
			row.Lesson, row.Prompt = qs[0].Lesson.In(lang).Title, qs[0].Question.Prompt
		}
		v.Questions = append(v.Questions, row)
	}
	return v, nil
}

// classExamShow is GET /classes/:id/exams/:eid: the exam's settings, each candidate's result
// and each question's right and wrong answers, with the forms to excuse or re-open.
func (s *Server) classExamShow(c echo.Context) error {
	v, err := s.classExamData(c)
	if err != nil {
		return err
	}
	return s.show(c, "class_exam", v)
}

// classExamDecide is POST /classes/:id/exams/:eid/candidate (learner, action excuse|reopen, reason).
func (s *Server) classExamDecide(c echo.Context) error {
	v, err := s.classExamData(c)
	if err != nil {
		return err
	}
	learner, action, reason := formUint(c, "learner"), c.FormValue("action"), c.FormValue("reason")
	if err := s.records.DecideCandidate(c.Request().Context(), currentUser(c), v.Class.ID, v.Exam.ID, learner, action, reason); err != nil {
		v.Decide, v.Reason = learner, reason
		return s.showFormError(c, "class_exam", v, err)
	}
	return s.redirectFlash(c, examPath(v.Class.ID, v.Exam.ID), "flash.exam_"+action)
}

// examsList is GET /exams: the exams of the classes the learner is on.
func (s *Server) examsList(c echo.Context) error {
	rows, err := s.records.LearnerExams(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return s.show(c, "exams", rows)
}

type examView struct {
	Exam      *records.LearnerExam
	Questions []examQuestion // of the attempt under way
	Review    []examReview   // once the window has closed: the best attempt's questions, right or wrong
	Proctor   string
}

type examReview struct {
	Prompt template.HTML
	Right  bool
}

// examQuestion is a drawn question as the candidate answers it: no right answers or
// explanations reach the page.
type examQuestion struct {
	Field   string // a0, a1, …
	Lesson  string
	Prompt  template.HTML
	Context template.HTML
	Multi   bool
	Options []examOption
}

type examOption struct {
	ID     string
	Text   template.HTML
	Chosen bool
}

func (s *Server) examData(c echo.Context) (*examView, error) {
	eid, err := examParam(c)
	if err != nil {
		return nil, err
	}
	l, err := s.records.ExamForLearner(c.Request().Context(), currentUser(c), eid)
	if err != nil {
		return nil, err
	}
	return &examView{Exam: l}, nil
}

// withQuestions fills in the questions of the attempt under way, with what was chosen, or
// once the window has closed, which of the best attempt's were right.
func (v *examView) withQuestions(cat *course.Catalog, lang string, answers course.Answers) {
	if b := v.Exam.Best; v.Exam.Results && b != nil {
		for i, k := range b.QuestionKeys() {
			a := records.ExamAttempt{Questions: k}
			if qs := records.ExamQuestions(cat, &a, lang); len(qs) == 1 {
				v.Review = append(v.Review, examReview{Prompt: qs[0].Question.Prompt, Right: i < len(b.Marks) && b.Marks[i] == '1'})
			}
		}
	}
	if v.Exam.Current == nil {
		return
	}
	for i, q := range records.ExamQuestions(cat, v.Exam.Current, lang) {
		row := examQuestion{Field: "a" + strconv.Itoa(i), Lesson: q.Lesson.In(lang).Title, Prompt: q.Question.Prompt,
			Context: q.Question.Context, Multi: q.Question.Kind == course.Multiple}
		for _, o := range q.Question.Options {
			row.Options = append(row.Options, examOption{ID: o.ID, Text: o.Text, Chosen: slices.Contains(answers[q.Key], o.ID)})
		}
		v.Questions = append(v.Questions, row)
	}
}

// examShow is GET /exams/:eid: the candidate's exam: the start form, the questions of the
// attempt under way, the wait for results, or the results once the window has closed.
func (s *Server) examShow(c echo.Context) error {
	v, err := s.examData(c)
	if err != nil {
		return err
	}
	v.withQuestions(s.courses.Catalog(), s.langOf(c), nil)
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.show(c, "exam", v)
}

// examStart is POST /exams/:eid/start (proctor).
func (s *Server) examStart(c echo.Context) error {
	eid, err := examParam(c)
	if err != nil {
		return err
	}
	proctor := c.FormValue("proctor")
	if _, err := s.records.StartAttempt(c.Request().Context(), currentUser(c), eid, proctor, s.courses.Catalog()); err != nil {
		v, verr := s.examData(c)
		if verr != nil {
			return verr
		}
		v.Proctor = proctor
		v.withQuestions(s.courses.Catalog(), s.langOf(c), nil)
		return s.showFormError(c, "exam", v, err)
	}
	return s.redirectFlash(c, "/exams/"+strconv.FormatUint(uint64(eid), 10)+"#questions", "")
}

// examSubmit is POST /exams/:eid/submit (attempt, and a0, a1, … with the option ids chosen
// for the attempt's questions in order).
func (s *Server) examSubmit(c echo.Context) error {
	eid, err := examParam(c)
	if err != nil {
		return err
	}
	ctx, u := c.Request().Context(), currentUser(c)
	form, err := c.FormParams()
	if err != nil {
		return errs.New(errs.Invalid, "error.bad_request")
	}
	attempt := formUint(c, "attempt")
	answers := course.Answers{}
	if l, err := s.records.ExamForLearner(ctx, u, eid); err == nil {
		for _, a := range l.Attempts {
			if a.ID != attempt {
				continue
			}
			for i, k := range a.QuestionKeys() {
				if chosen := form["a"+strconv.Itoa(i)]; len(chosen) > 0 {
					answers[k] = chosen
				}
			}
		}
	}
	if err := s.records.SubmitAttempt(ctx, u, eid, attempt, answers, s.courses.Catalog()); err != nil {
		v, verr := s.examData(c)
		if verr != nil {
			return verr
		}
		v.withQuestions(s.courses.Catalog(), s.langOf(c), answers)
		return s.showFormError(c, "exam", v, err)
	}
	return s.redirectFlash(c, "/exams/"+strconv.FormatUint(uint64(eid), 10), "flash.exam_submitted")
}

// TaskChosen reports whether the exam form being filled in names the practice task.
func (v *classView) TaskChosen(id string) bool {
	return slices.Contains(strings.Fields(v.Exam.Tasks), id)
}

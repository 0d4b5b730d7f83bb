package course

// Answers maps question ids to the option ids chosen.
type Answers map[string][]string

// Graded is the result of one attempt.
type Graded struct {
	Right     int
	Total     int
	Passed    bool
	Questions []GradedQuestion
}

// GradedQuestion is one question's result.
type GradedQuestion struct {
	ID      string
	Chosen  uint8 // bit set of the options chosen
	Correct bool
}

// Grade marks answers against the lesson's quiz. A question is right when exactly the right
// options were chosen. ok is false when an answer names a question or option that does not
// exist, or a single-choice question has more than one answer; nothing is graded then.
func (l *Lesson) Grade(a Answers) (g Graded, ok bool) {
	qs := l.Text[Langs[0]].Quiz.Questions
	for id := range a {
		if questionIndex(qs, id) < 0 {
			return Graded{}, false
		}
	}
	g.Total = len(qs)
	for i := range qs {
		q := &qs[i]
		chosen, valid := q.Mask(a[q.ID])
		if !valid || (q.Kind != Multiple && len(a[q.ID]) > 1) {
			return Graded{}, false
		}
		right := chosen == q.CorrectMask()
		if right {
			g.Right++
		}
		g.Questions = append(g.Questions, GradedQuestion{ID: q.ID, Chosen: chosen, Correct: right})
	}
	g.Passed = g.Right >= l.PassMark()
	return g, true
}

func questionIndex(qs []Question, id string) int {
	for i := range qs {
		if qs[i].ID == id {
			return i
		}
	}
	return -1
}

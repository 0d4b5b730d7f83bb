package course_test

import (
	"slices"
	"testing"

	"cunlu/app/course"
)

func TestGrade(t *testing.T) {
	// Lesson l of baseFS: q1 single (a right), q2 multiple (a and b right), q3 true/false (a right).
	// Lesson m is the same quiz with pass: 2.
	cat := mustLoad(t, withBase(both("c", "m", set("order", "2"), set("pass", "2"))))
	all, two := cat.Lesson("c", "l"), cat.Lesson("c", "m")
	allRight := course.Answers{"q1": {"a"}, "q2": {"a", "b"}, "q3": {"a"}}

	tests := []struct {
		name    string
		lesson  *course.Lesson
		answers course.Answers
		ok      bool
		right   int
		passed  bool
		correct []bool // per question, when ok
	}{
		{name: "all right passes", lesson: all, answers: allRight, ok: true, right: 3, passed: true, correct: []bool{true, true, true}},
		{name: "multiple choice in any order", lesson: all, answers: course.Answers{"q1": {"a"}, "q2": {"b", "a"}, "q3": {"a"}},
			ok: true, right: 3, passed: true, correct: []bool{true, true, true}},
		{name: "one wrong fails when all are needed", lesson: all, answers: course.Answers{"q1": {"b"}, "q2": {"a", "b"}, "q3": {"a"}},
			ok: true, right: 2, passed: false, correct: []bool{false, true, true}},
		{name: "wrong true/false fails", lesson: all, answers: course.Answers{"q1": {"a"}, "q2": {"a", "b"}, "q3": {"b"}},
			ok: true, right: 2, passed: false, correct: []bool{true, true, false}},
		{name: "one wrong passes with pass: 2", lesson: two, answers: course.Answers{"q1": {"c"}, "q2": {"a", "b"}, "q3": {"a"}},
			ok: true, right: 2, passed: true, correct: []bool{false, true, true}},
		{name: "two wrong fail with pass: 2", lesson: two, answers: course.Answers{"q1": {"c"}, "q2": {"a"}, "q3": {"a"}},
			ok: true, right: 1, passed: false, correct: []bool{false, false, true}},
		{name: "multiple choice with one of two right options is wrong", lesson: all, answers: course.Answers{"q1": {"a"}, "q2": {"a"}, "q3": {"a"}},
			ok: true, right: 2, passed: false, correct: []bool{true, false, true}},
		{name: "multiple choice with an extra option is wrong", lesson: all, answers: course.Answers{"q1": {"a"}, "q2": {"a", "b", "c"}, "q3": {"a"}},
			ok: true, right: 2, passed: false, correct: []bool{true, false, true}},
		{name: "missing answers count as wrong", lesson: all, answers: course.Answers{"q1": {"a"}},
			ok: true, right: 1, passed: false, correct: []bool{true, false, false}},
		{name: "empty answer counts as wrong", lesson: all, answers: course.Answers{"q1": {"a"}, "q2": {}, "q3": {"a"}},
			ok: true, right: 2, passed: false, correct: []bool{true, false, true}},
		{name: "no answers at all", lesson: all, answers: nil, ok: true, right: 0, passed: false, correct: []bool{false, false, false}},
		{name: "unknown question", lesson: all, answers: course.Answers{"q1": {"a"}, "q2": {"a", "b"}, "q3": {"a"}, "q4": {"a"}}},
		{name: "question id of another form", lesson: all, answers: course.Answers{"Q1": {"a"}}},
		{name: "unknown option", lesson: all, answers: course.Answers{"q1": {"d"}, "q2": {"a", "b"}, "q3": {"a"}}},
		{name: "option beyond a true/false", lesson: all, answers: course.Answers{"q1": {"a"}, "q2": {"a", "b"}, "q3": {"c"}}},
		{name: "option id not a letter", lesson: all, answers: course.Answers{"q1": {"1"}}},
		{name: "empty option id", lesson: all, answers: course.Answers{"q1": {""}}},
		{name: "two answers to a single-choice question", lesson: all, answers: course.Answers{"q1": {"a", "b"}, "q2": {"a", "b"}, "q3": {"a"}}},
		{name: "the right answer twice to a single-choice question", lesson: all, answers: course.Answers{"q1": {"a", "a"}}},
		{name: "two answers to a true/false question", lesson: all, answers: course.Answers{"q3": {"a", "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, ok := tt.lesson.Grade(tt.answers)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				if g.Total != 0 || g.Right != 0 || g.Passed || g.Questions != nil {
					t.Errorf("refused attempt graded anyway: %+v", g)
				}
				return
			}
			if g.Total != 3 || g.Right != tt.right || g.Passed != tt.passed {
				t.Errorf("got %d/%d passed %v, want %d/3 passed %v", g.Right, g.Total, g.Passed, tt.right, tt.passed)
			}
			var correct []bool
			for i, q := range g.Questions {
				if q.ID != []string{"q1", "q2", "q3"}[i] {
					t.Errorf("graded question %d has id %q", i, q.ID)
				}
				correct = append(correct, q.Correct)
			}
			if !slices.Equal(correct, tt.correct) {
				t.Errorf("correct = %v, want %v", correct, tt.correct)
			}
		})
	}
}

// Chosen records what was picked, so feedback can show it.
func TestGradeChosen(t *testing.T) {
	cat := mustLoad(t, baseFS())
	g, ok := cat.Lesson("c", "l").Grade(course.Answers{"q1": {"c"}, "q2": {"a", "c"}})
	if !ok {
		t.Fatal("refused")
	}
	if got := []uint8{g.Questions[0].Chosen, g.Questions[1].Chosen, g.Questions[2].Chosen}; !slices.Equal(got, []uint8{0b100, 0b101, 0}) {
		t.Errorf("Chosen = %03b, want [100 101 000]", got)
	}
}

// Answers are graded alike whichever language the learner read: ids are positions.
func TestGradeSameInEveryLanguage(t *testing.T) {
	l := mustLoad(t, baseFS()).Lesson("c", "l")
	for i, q := range l.In(zh).Quiz.Questions {
		e := l.In(en).Quiz.Questions[i]
		if q.ID != e.ID || q.Kind != e.Kind || q.CorrectMask() != e.CorrectMask() {
			t.Errorf("question %d: zh %s %s %03b, en %s %s %03b", i+1, q.ID, q.Kind, q.CorrectMask(), e.ID, e.Kind, e.CorrectMask())
		}
	}
}

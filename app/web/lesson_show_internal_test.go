package web

import (
	"slices"
	"testing"

	"cunlu/app/course"
)

// TestQuizFormsTakeTurns: each attempt gets the quiz form after the previous attempt's, so
// a second try never shows the options in the same order as the first; the order is the
// form's, whoever has it; and the forms of a lesson are different orders.
func TestQuizFormsTakeTurns(t *testing.T) {
	l := &course.Lesson{Course: &course.Course{Slug: "buying"}, Slug: "cart"}
	qs := []course.Question{{ID: "q1", Kind: course.Single, Options: []course.Option{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}},
		{ID: "q2", Kind: course.TrueFalse, Options: []course.Option{{ID: "a"}, {ID: "b"}}}}
	order := func(key string) (ids []string) {
		for _, q := range shuffled(l, qs, quizFormOf(key)) {
			for _, o := range q.Options {
				ids = append(ids, q.ID+o.ID)
			}
		}
		return ids
	}
	orders := map[string]bool{}
	for learner := uint(1); learner <= 5; learner++ {
		prev := -1
		for attempts := range 8 {
			key := quizKey("session-token", learner, l, attempts)
			if len(key) != 32 {
				t.Fatalf("key %q: want 32 hex digits", key)
			}
			f := quizFormOf(key)
			if f == prev {
				t.Errorf("learner %d: attempts %d and %d have the same form %d", learner, attempts-1, attempts, f)
			}
			prev = f
			same := quizKey("another-session", learner+4, l, attempts) // same form, other person
			if quizFormOf(same) != f || !slices.Equal(order(same), order(key)) {
				t.Errorf("learner %d attempt %d: the same form gives another order", learner, attempts)
			}
			o := order(key)
			if !slices.Equal(o[4:], []string{"q2a", "q2b"}) {
				t.Errorf("true/false options moved: %v", o)
			}
			orders[string(rune('0'+f))+":"+fmtOrder(o)] = true
		}
	}
	distinct := map[string]bool{}
	for k := range orders {
		distinct[k[2:]] = true
	}
	if len(orders) != quizForms || len(distinct) != quizForms {
		t.Errorf("%d forms with %d different orders, want %d of each", len(orders), len(distinct), quizForms)
	}
}

func fmtOrder(ids []string) (s string) {
	for _, id := range ids {
		s += id + " "
	}
	return s
}

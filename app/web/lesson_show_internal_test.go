package web

import (
	"slices"
	"strings"
	"testing"

	"cunlu/app/course"
)

// TestQuizOrderPerAttempt: each attempt has its own order of the options, following from its
// key (so the page, a reload and the feedback agree); answers queued offline, whose keys
// are the page's key and "-" and more, keep the page's order; true/false stay 对, 错.
func TestQuizOrderPerAttempt(t *testing.T) {
	l := &course.Lesson{Course: &course.Course{Slug: "buying"}, Slug: "cart"}
	qs := []course.Question{
		{ID: "q1", Kind: course.Single, Options: []course.Option{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}},
		{ID: "q2", Kind: course.Multiple, Options: []course.Option{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}},
		{ID: "q3", Kind: course.TrueFalse, Options: []course.Option{{ID: "a"}, {ID: "b"}}}}
	order := func(key string) string {
		var ids []string
		for _, q := range shuffled(qs, key) {
			for _, o := range q.Options {
				ids = append(ids, q.ID+o.ID)
			}
		}
		if !slices.Equal(ids[8:], []string{"q3a", "q3b"}) {
			t.Errorf("true/false options moved: %v", ids)
		}
		return strings.Join(ids, " ")
	}
	orders := map[string]bool{}
	for learner := uint(1); learner <= 5; learner++ {
		for attempts := range 8 {
			key := quizKey("session-token", learner, l, attempts)
			if len(key) != 32 {
				t.Fatalf("key %q: want 32 hex digits", key)
			}
			if order(key) != order(key) {
				t.Fatal("one key gives two orders")
			}
			if order(key+"-0f3a9c21d4e5b687") != order(key) {
				t.Error("an answer queued offline on the page does not keep the page's order")
			}
			orders[order(key)] = true
		}
	}
	// 40 attempts over 4! × 4! orders: nearly all differ; four fixed forms would give 4.
	if len(orders) < 30 {
		t.Errorf("40 attempts gave %d different orders", len(orders))
	}
}

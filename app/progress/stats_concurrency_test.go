package progress_test

import (
	"fmt"
	"sync"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/course"
	"cunlu/app/db/dbtest"
	"cunlu/app/progress"
)

// TestStatsConcurrentAttemptsOfOneLearner submits one learner's attempts at three lessons
// at the same moment (two tabs, two devices, a queue sent after being offline), round
// after round: after each round the learner's roll-up must count every attempt, not only
// those the last transaction happened to see.
func TestStatsConcurrentAttemptsOfOneLearner(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		lessons := []*course.Lesson{
			w.lesson(t, courseBuying, "first-order"),
			w.lesson(t, courseBuying, "helping"),
			w.lesson(t, courseScams, "fake-calls"),
		}
		// Different scores, so the attempts do not queue behind one score-statistics row.
		answers := []course.Answers{oneRight, twoRight, allRight}
		const rounds, perLesson = 8, 2
		for round := range rounds {
			var ready, wg sync.WaitGroup
			start := make(chan struct{})
			errc := make(chan error, perLesson*len(lessons))
			for i := range perLesson * len(lessons) {
				ready.Add(1)
				wg.Go(func() {
					ready.Done()
					<-start
					sub := progress.Submission{Key: fmt.Sprintf("concurrent-%02d-%02d-key", round, i), Lang: "zh-CN", Answers: answers[i%len(lessons)]}
					if _, err := w.svc.RecordAttempt(w.ctx, w.partner, lessons[i%len(lessons)], sub); err != nil {
						errc <- err
					}
				})
			}
			ready.Wait()
			close(start)
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Fatalf("RecordAttempt: %v", err)
			}
			var st progress.LearnerStats
			if err := g.Where("user_id = ?", w.partner.ID).Take(&st).Error; err != nil {
				t.Fatal(err)
			}
			if want := (round + 1) * perLesson * len(lessons); st.Attempts != want {
				t.Fatalf("after round %d the learner's stats count %d attempts, want %d", round+1, st.Attempts, want)
			}
			if round >= 1 && (st.Stuck != 2 || st.LessonsPassed != 1) {
				t.Fatalf("after round %d the learner's stats count %d stuck lessons and %d passed, want 2 and 1", round+1, st.Stuck, st.LessonsPassed)
			}
		}
	})
}

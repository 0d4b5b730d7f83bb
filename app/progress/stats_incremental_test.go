package progress_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/course"
	"cunlu/app/db/dbtest"
	"cunlu/app/progress"
)

// TestIncrementalStatsMatchRecount: quiz attempts move the roll-ups incrementally (the hot
// path), practice tasks recount them. After a few hundred random attempts and tasks by
// several learners, some at the same moment (some sent again), every learner's roll-up must
// equal a full recount of their progress, and every centre's sums the sum over its
// learners.
func TestIncrementalStatsMatchRecount(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		learners := []progress.Learner{w.villager, w.partner, w.other}
		learners[0].CentreID, learners[1].CentreID, learners[2].CentreID = 7, 7, 8
		var lessons []*course.Lesson
		for _, c := range w.cat.Courses {
			lessons = append(lessons, c.Lessons...)
		}
		answers := []course.Answers{allRight, twoRight, oneRight, oneRight, twoRight, oneRight}
		tasks := []string{taskOrder, taskScam}
		r := rand.New(rand.NewPCG(1, 2))
		stuck := 0
		check := func(round int) {
			t.Helper()
			want := map[uint][3]int{} // centre → mastered, tasks, certificates
			for _, who := range learners {
				rec, recCourses, err := w.svc.RecountedStats(w.ctx, who)
				if err != nil {
					t.Fatal(err)
				}
				var got progress.LearnerStats
				if err := g.Where("user_id = ?", who.ID).Take(&got).Error; err != nil {
					t.Fatalf("%s has no roll-up: %v", who.Name, err)
				}
				got.UpdatedAt, rec.UpdatedAt = time.Time{}, time.Time{}
				if got != rec {
					t.Errorf("round %d, %s: roll-up %+v, recount %+v", round, who.Name, got, rec)
				}
				for _, rc := range recCourses {
					var gc progress.CourseStats
					g.Where("user_id = ? AND course = ?", who.ID, rc.Course).Take(&gc)
					if gc != rc {
						t.Errorf("round %d, %s, course %s: roll-up %+v, recount %+v", round, who.Name, rc.Course, gc, rc)
					}
				}
				m := want[who.CentreID]
				want[who.CentreID] = [3]int{m[0] + rec.LessonsMastered, m[1] + rec.TasksDone, m[2] + rec.Certificates}
				stuck += rec.Stuck
			}
			// The per-question and per-score counts add up to the answers and attempts.
			for name, q := range map[string][2]string{
				"answers":      {"SELECT COALESCE(SUM(answers), 0) FROM question_stats", "SELECT COUNT(*) FROM quiz_answers"},
				"wrong":        {"SELECT COALESCE(SUM(wrong), 0) FROM question_stats", "SELECT COUNT(*) FROM quiz_answers WHERE NOT correct"},
				"option a":     {"SELECT COALESCE(SUM(opt_a), 0) FROM question_stats", "SELECT COUNT(*) FROM quiz_answers WHERE chosen % 2 = 1"},
				"score counts": {"SELECT COALESCE(SUM(attempts), 0) FROM score_stats", "SELECT COUNT(*) FROM quiz_attempts"},
			} {
				var a, b int64
				g.Raw(q[0]).Scan(&a)
				g.Raw(q[1]).Scan(&b)
				if a != b || a == 0 {
					t.Errorf("round %d: %s: counted %d, rows %d", round, name, a, b)
				}
			}
			for centre, m := range want {
				var got [3]int
				row := g.Raw("SELECT COALESCE(SUM(mastered), 0), COALESCE(SUM(tasks), 0), COALESCE(SUM(certificates), 0) FROM centre_stats WHERE centre_id = ?", centre).Row()
				if err := row.Scan(&got[0], &got[1], &got[2]); err != nil {
					t.Fatal(err)
				}
				if got != m {
					t.Errorf("round %d, centre %d: sums (mastered, tasks, certificates) %v, learners add up to %v", round, centre, got, m)
				}
			}
		}
		for round := range 60 {
			var wg sync.WaitGroup
			for i := range 4 {
				who := learners[r.IntN(len(learners))]
				l := lessons[r.IntN(len(lessons))]
				a := answers[r.IntN(len(answers))]
				task := ""
				if r.IntN(8) == 0 {
					task = tasks[r.IntN(len(tasks))]
				}
				key := fmt.Sprintf("incremental-%03d-%d-key", round, i)
				if round > 0 && r.IntN(6) == 0 {
					// Sent again: a failure in the batch, which is then run again.
					key = fmt.Sprintf("incremental-%03d-%d-key", r.IntN(round), i)
				}
				wg.Go(func() {
					if task != "" {
						if err := w.svc.CompleteTask(w.ctx, who, task, "test"); err != nil {
							t.Errorf("CompleteTask: %v", err)
						}
						return
					}
					// Locked lessons and other audiences' lessons are refused; that is fine.
					w.svc.RecordAttempt(w.ctx, who, l, progress.Submission{Key: key, Lang: "zh-CN", Answers: a})
				})
			}
			wg.Wait()
			if round%10 == 9 {
				check(round)
			}
		}
		var certs int64
		g.Model(&progress.Certificate{}).Count(&certs)
		if certs == 0 || stuck == 0 {
			t.Errorf("the random walk issued %d certificates and saw %d stuck lessons: it must reach both paths", certs, stuck)
		}
	})
}

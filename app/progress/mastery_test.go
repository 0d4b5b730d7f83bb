package progress_test

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
	"cunlu/app/progress"
)

func TestMasteryIsDerived(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		l := w.lesson(t, courseBuying, "first-order")

		w.pass(t, w.villager, courseBuying, "first-order")
		sn := w.snapshot(t, w.villager)
		if !sn.Passed(l) || sn.Mastered(l) || sn.TaskDone(taskOrder) {
			t.Errorf("after the quiz only: passed=%v mastered=%v task=%v, want true false false", sn.Passed(l), sn.Mastered(l), sn.TaskDone(taskOrder))
		}

		done := w.clock.Advance(time.Hour)
		if err := w.svc.CompleteTask(w.ctx, w.villager, taskOrder, "order 1001"); err != nil {
			t.Fatal(err)
		}
		sn = w.snapshot(t, w.villager)
		if !sn.Mastered(l) || !sn.TaskDone(taskOrder) {
			t.Errorf("after the task: mastered=%v task=%v, want both", sn.Mastered(l), sn.TaskDone(taskOrder))
		}

		// Doing it again keeps the first evidence and time.
		w.clock.Advance(time.Hour)
		if err := w.svc.CompleteTask(w.ctx, w.villager, taskOrder, "order 2002"); err != nil {
			t.Fatal(err)
		}
		var rows []progress.TaskCompletion
		if err := g.Where("user_id = ?", w.villager.ID).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].TaskID != taskOrder || rows[0].Evidence != "order 1001" || !rows[0].CompletedAt.Equal(done) {
			t.Errorf("task rows = %+v, want one with evidence %q at %v", rows, "order 1001", done)
		}

		// A task done before the quiz counts once the quiz is passed; the other
		// learner's task is theirs alone.
		w.completeTask(t, w.other, taskOrder)
		if sn := w.snapshot(t, w.other); sn.Mastered(l) || !sn.TaskDone(taskOrder) {
			t.Errorf("task without quiz: mastered=%v task=%v", sn.Mastered(l), sn.TaskDone(taskOrder))
		}
		w.pass(t, w.other, courseBuying, "first-order")
		if sn := w.snapshot(t, w.other); !sn.Mastered(l) {
			t.Error("task first, then quiz: not mastered")
		}
	})
}

func TestCompleteTaskTruncatesEvidence(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		// One ASCII letter then three-byte characters: byte 255 falls inside a character.
		evidence := "#" + strings.Repeat("订单", 100)
		if err := w.svc.CompleteTask(w.ctx, w.villager, taskOrder, evidence); err != nil {
			t.Fatal(err)
		}
		var row progress.TaskCompletion
		if err := g.Where("user_id = ?", w.villager.ID).Take(&row).Error; err != nil {
			t.Fatal(err)
		}
		if len(row.Evidence) > 255 || len(row.Evidence) < 250 || !utf8.ValidString(row.Evidence) || !strings.HasPrefix(evidence, row.Evidence) {
			t.Errorf("stored evidence of %d bytes (valid UTF-8: %v), want a prefix of at most 255 bytes cut between characters",
				len(row.Evidence), utf8.ValidString(row.Evidence))
		}
	})
}

var codePattern = regexp.MustCompile(`^[a-z2-7]{26}$`)

func TestCertificateIssuedWhenCourseMastered(t *testing.T) {
	t.Parallel()
	type step struct {
		lesson string // a quiz to pass, or
		task   string // a task to complete
	}
	quiz := func(slug string) step { return step{lesson: slug} }
	task := func(id string) step { return step{task: id} }
	cases := []struct {
		name     string
		partner  bool
		steps    []step // the certificate must appear with the last step and not before
		lastStep string
	}{
		{"villager, last step a quiz", false, []step{quiz("first-order"), task(taskOrder), quiz("pickup")}, "quiz"},
		{"villager, last step a task", false, []step{quiz("first-order"), quiz("pickup"), task(taskOrder)}, "task"},
		{"partner needs the partner lesson too", true, []step{quiz("first-order"), task(taskOrder), quiz("pickup"), quiz("helping")}, "quiz"},
		{"partner, last step a task", true, []step{quiz("helping"), quiz("first-order"), quiz("pickup"), task(taskOrder)}, "task"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
				w := newWorld(t, g)
				who := w.villager
				if tc.partner {
					who = w.partner
				}
				for i, st := range tc.steps {
					w.clock.Advance(time.Hour)
					if st.lesson != "" {
						w.pass(t, who, courseBuying, st.lesson)
					} else {
						w.completeTask(t, who, st.task)
					}
					certs := w.certificates(t, who)
					if i < len(tc.steps)-1 {
						if len(certs) != 0 {
							t.Fatalf("certificate issued after step %d of %d: %+v", i+1, len(tc.steps), certs)
						}
						continue
					}
					if len(certs) != 1 {
						t.Fatalf("after the last step (%s): %d certificates, want 1", tc.lastStep, len(certs))
					}
					c := certs[0]
					if c.Course != courseBuying || c.UserID != who.ID || c.HolderName != who.Name || c.CentreName != who.Centre ||
						!c.IssuedAt.Equal(w.clock.Now()) || !codePattern.MatchString(c.Code) {
						t.Errorf("certificate = %+v, want course %s for %q of %q issued %v with a 26-letter base32 code",
							c, courseBuying, who.Name, who.Centre, w.clock.Now())
					}
					if sn := w.snapshot(t, who); !sn.Complete(w.cat.Course(courseBuying)) || sn.Certificates[courseBuying].Code != c.Code {
						t.Errorf("snapshot: complete=%v certificate=%+v", sn.Complete(w.cat.Course(courseBuying)), sn.Certificates[courseBuying])
					}
				}

				// More passes and the same task again issue nothing new.
				w.clock.Advance(time.Hour)
				w.pass(t, who, courseBuying, "pickup")
				w.completeTask(t, who, taskOrder)
				if c := w.counts(t); c.certs != 1 {
					t.Errorf("%d certificates after repeating, want 1", c.certs)
				}
				// The other course is untouched, and so is the other learner.
				if sn := w.snapshot(t, who); len(sn.Certificates) != 1 {
					t.Errorf("certificates in snapshot = %v", sn.Certificates)
				}
				if certs := w.certificates(t, w.other); len(certs) != 0 {
					t.Errorf("the other learner has certificates: %+v", certs)
				}
			})
		})
	}
}

func TestCertificateByCode(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		for _, who := range []progress.Learner{w.villager, w.other} {
			w.pass(t, who, courseBuying, "first-order")
			w.completeTask(t, who, taskOrder)
			w.pass(t, who, courseBuying, "pickup")
		}
		// A second course for the villager, finished by its task.
		w.pass(t, w.villager, courseScams, "fake-calls")
		w.completeTask(t, w.villager, taskScam)

		mine := w.certificates(t, w.villager)
		theirs := w.certificates(t, w.other)
		if len(mine) != 2 || len(theirs) != 1 {
			t.Fatalf("certificates: villager %d, other %d; want 2 and 1", len(mine), len(theirs))
		}
		codes := map[string]bool{mine[0].Code: true, mine[1].Code: true, theirs[0].Code: true}
		if len(codes) != 3 {
			t.Errorf("certificate codes repeat: %s %s %s", mine[0].Code, mine[1].Code, theirs[0].Code)
		}

		want := mine[0]
		for _, code := range []string{want.Code, strings.ToUpper(want.Code), "  " + want.Code + "\n"} {
			c, err := w.svc.CertificateByCode(w.ctx, code)
			if err != nil {
				t.Errorf("CertificateByCode(%q): %v", code, err)
				continue
			}
			if c.ID != want.ID || c.UserID != w.villager.ID || c.Course != want.Course || c.HolderName != w.villager.Name {
				t.Errorf("CertificateByCode(%q) = %+v, want %+v", code, c, want)
			}
		}
		if c, err := w.svc.CertificateByCode(w.ctx, theirs[0].Code); err != nil || c.UserID != w.other.ID {
			t.Errorf("other learner's certificate = %+v, %v", c, err)
		}

		unknown := strings.Repeat("a", 26)
		if codes[unknown] {
			t.Fatal("the unknown code was issued")
		}
		for _, code := range []string{unknown, "", "   ", "abc", want.Code[:19], want.Code + strings.Repeat("a", 7), want.Code + "' OR '1'='1"} {
			c, err := w.svc.CertificateByCode(w.ctx, code)
			if c != nil {
				t.Errorf("CertificateByCode(%q) = %+v, want none", code, c)
			}
			wantErr(t, err, errs.NotFound, "error.certificate_unknown")
		}
	})
}

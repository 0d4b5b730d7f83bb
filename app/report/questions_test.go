package report_test

import (
	"fmt"
	"slices"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/report"
)

// difficult is what the report says of one question, in a form that prints and compares.
type difficult struct {
	key            string // course/lesson/question
	answers, wrong int
	chosen         string
}

func summarize(ds []report.Difficult) []difficult {
	var out []difficult
	for _, d := range ds {
		out = append(out, difficult{d.Lesson.Key() + "/" + d.Question.ID, d.Answers, d.Wrong, fmt.Sprint(d.Chosen)})
	}
	return out
}

func TestDifficultQuestions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		// wallet-basics, five answers in township 1: p1 (q1 a, q1 c, then q1 a q2 a q3 ab),
		// p2 and v1 all right. scam-signs, six answers in township 2: p3 five times q1 a, v2
		// all right. how-online-shopping-works was answered once (p2): under MinAnswers.
		wallet := []difficult{
			{paying + "/wallet-basics/q1", 5, 3, "[2 2 1]"},
			{paying + "/wallet-basics/q2", 5, 1, "[1 4]"},
			{paying + "/wallet-basics/q3", 5, 1, "[5 5 4 0]"},
			{paying + "/wallet-basics/q4", 5, 0, "[0 5 0]"},
		}
		signs := []difficult{
			{scams + "/scam-signs/q1", 6, 5, "[5 1 0]"},
			{scams + "/scam-signs/q2", 6, 0, "[6 0 6 6]"},
			{scams + "/scam-signs/q3", 6, 0, "[0 6]"},
			{scams + "/scam-signs/q4", 6, 0, "[0 0 6]"},
		}
		// Worst share first (5/6, 3/5, 1/5, 1/5); the 0% ties by most answers, so the
		// scam-signs questions (6 answers) before wallet q4 (5).
		county := []difficult{signs[0], wallet[0], wallet[1], wallet[2], signs[1], signs[2], signs[3], wallet[3]}
		for _, tc := range []struct {
			name   string
			region *account.Region
			course string
			limit  int
			want   []difficult
		}{
			{"county, all courses", w.county, "", 0, county},
			{"county, limit 3", w.county, "", 3, county[:3]},
			{"county, paying-safely", w.county, paying, 0, wallet},
			{"county, spotting-scams", w.county, scams, 10, signs},
			{"county, buying-online (one answer each)", w.county, buying, 0, nil},
			{"county, unknown course", w.county, "no-such-course", 0, nil},
			{"township 1", w.town1, "", 0, wallet},
			{"township 1, spotting-scams", w.town1, scams, 0, nil},
			{"village 2", w.village2, "", 0, signs},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ds, err := w.svc.DifficultQuestions(w.ctx, tc.region, tc.course, tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				if got := summarize(ds); !slices.Equal(got, tc.want) {
					t.Errorf("got\n%v\nwant\n%v", got, tc.want)
				}
			})
		}

		// The helpers the page uses, on wallet-basics q1: 3 of 5 wrong, "a" chosen twice.
		ds, err := w.svc.DifficultQuestions(w.ctx, w.town1, paying, 1)
		if err != nil || len(ds) != 1 {
			t.Fatalf("top question: %v %v", ds, err)
		}
		d := ds[0]
		if d.WrongPercent() != 60 || d.ChosenPercent(0) != 40 || d.ChosenPercent(2) != 20 || d.ChosenPercent(7) != 0 {
			t.Errorf("wrong %d%%, chosen a %d%% c %d%% h %d%%; want 60, 40, 20, 0", d.WrongPercent(), d.ChosenPercent(0), d.ChosenPercent(2), d.ChosenPercent(7))
		}
		if d.Course.Slug != paying || len(d.Options("en")) != 3 {
			t.Errorf("course %s, %d options", d.Course.Slug, len(d.Options("en")))
		}
		for _, lang := range []string{"en", "zh-CN"} {
			want := w.cat.Lesson(paying, "wallet-basics").In(lang).Quiz.Questions[0].Prompt
			if got := d.Prompt(lang); got != want || got == "" {
				t.Errorf("prompt in %s = %q, want %q", lang, got, want)
			}
		}
	})
}

// MinAnswers is inclusive: a question answered exactly MinAnswers times is listed, one
// answered once fewer is not.
func TestDifficultQuestionsThreshold(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		l := w.lesson(t, buying, "how-online-shopping-works")
		// p2 answered it once; three more wrong answers from v1 make four.
		for range report.MinAnswers - 2 {
			w.submit(t, w.v1, l, w.rightBut(l, "q1", "a"))
		}
		list := func() []difficult {
			ds, err := w.svc.DifficultQuestions(w.ctx, w.town1, buying, 0)
			if err != nil {
				t.Fatal(err)
			}
			return summarize(ds)
		}
		if got := list(); got != nil {
			t.Fatalf("with %d answers: %v, want nothing", report.MinAnswers-1, got)
		}
		w.submit(t, w.v1, l, w.rightBut(l, "q1", "b"))
		got := list()
		if len(got) != 4 || got[0] != (difficult{buying + "/how-online-shopping-works/q1", 5, 4, "[3 1 1]"}) {
			t.Errorf("with %d answers: %v", report.MinAnswers, got)
		}
	})
}

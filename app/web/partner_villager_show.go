package web

import (
	"cmp"
	"slices"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/progress"
	"cunlu/app/sandbox"
)

type villagerPageView struct {
	Villager *account.User
	Courses  []courseCard
	Lessons  []progress.LessonProgress // the lessons they opened, latest first
	Missed   *progress.Missed          // the quiz they failed most often, if any
	Done     []progress.TaskCompletion // practice tasks done, in the order done
	Open     []string                  // practice tasks of their lessons still to do
	Help     []sandbox.AssistLog       // what this partner logged for them, newest first
}

// villagerShow is GET /partner/villagers/:id: one villager's learning, as their partner
// sees it, to know how to help: lessons and progress, the quiz they keep missing, practice
// tasks done and open, and the help logged. Only a villager of the partner's own centre,
// or one they registered; any other id is not found.
func (s *Server) villagerShow(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	partner := currentUser(c)
	vil, err := s.accounts.VillagerFor(ctx, partner, id)
	if err != nil {
		return err
	}
	sn, err := s.progress.Snapshot(ctx, learnerOf(vil))
	if err != nil {
		return err
	}
	v := villagerPageView{Villager: vil, Open: sn.OpenTasks()}
	lang := s.langOf(c)
	for _, co := range s.courses.Catalog().Courses {
		if co.For(sn.Learner.Audience) {
			v.Courses = append(v.Courses, card(sn, co, lang))
		}
	}
	for _, lp := range sn.Lessons {
		v.Lessons = append(v.Lessons, *lp)
	}
	slices.SortFunc(v.Lessons, func(a, b progress.LessonProgress) int { return b.LastSeenAt.Compare(a.LastSeenAt) })
	for _, t := range sn.Tasks {
		v.Done = append(v.Done, t)
	}
	slices.SortFunc(v.Done, func(a, b progress.TaskCompletion) int {
		return cmp.Or(a.CompletedAt.Compare(b.CompletedAt), cmp.Compare(a.TaskID, b.TaskID))
	})
	if v.Missed, err = s.progress.MostMissed(ctx, vil.ID); err != nil {
		return err
	}
	if v.Help, err = s.shop.AssistLogs(ctx, partner.ID, vil.ID, 30); err != nil {
		return err
	}
	return s.show(c, "partner_villager", v)
}

package web

import (
	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/report"
)

// reminderNote is a coordinator's reminder on the partner's home, with how long the
// villager it is about has stayed away, as of now.
type reminderNote struct {
	account.ReminderNote
	Away report.Absence
}

// reminders lists the reminders waiting for the signed-in partner (none for others).
func (s *Server) reminders(c echo.Context) ([]reminderNote, error) {
	notes, err := s.accounts.Reminders(c.Request().Context(), currentUser(c))
	if err != nil {
		return nil, err
	}
	out := make([]reminderNote, len(notes))
	for i, n := range notes {
		out[i].ReminderNote = n
		if n.AboutCreatedAt != nil {
			out[i].Away = report.AbsenceOf(n.AboutLastSeen, *n.AboutCreatedAt, s.accounts.Now())
		}
	}
	return out, nil
}

// reminderDismiss is POST /partner/reminders/:id/dismiss: "got it", the reminder leaves
// the partner's home. Another partner's reminder is not found.
func (s *Server) reminderDismiss(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if err := s.accounts.DismissReminder(c.Request().Context(), currentUser(c), id); err != nil {
		return err
	}
	return s.redirectFlash(c, "/", "")
}

// coordRemind is POST /coord/reminders?region= (field learner_id): from a row of the
// alerts, a reminder for the partner concerned (the partner, or a villager's partners),
// shown on their home at their next visit. Only for learners in the coordinator's region.
func (s *Server) coordRemind(c echo.Context) error {
	sc, err := s.coordScope(c)
	if err != nil {
		return err
	}
	n, err := s.accounts.Remind(c.Request().Context(), currentUser(c), formUint(c, "learner_id"))
	if err != nil {
		return err
	}
	key := "flash.reminded"
	if n == 0 {
		key = "flash.reminder_no_partner"
	}
	return s.redirectFlash(c, "/coord/alerts?region="+itoa(int(sc.Region.ID)), key)
}

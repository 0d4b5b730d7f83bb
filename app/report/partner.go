package report

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"cunlu/app/account"
	"cunlu/app/errs"
)

// PartnerDetail is everything a coordinator sees about one partner.
type PartnerDetail struct {
	Partner      *account.User
	Centre       *account.Centre
	Lessons      []LessonRow
	Attempts     []AttemptRow
	Tasks        []TaskRow
	Certificates []CertRow
	Villagers    []account.User
	Away         map[uint]Absence // the partner's and each villager's, by account id
	Assists      []AssistRow
}

// LessonRow is a lesson the partner opened.
type LessonRow struct {
	Course, Lesson string
	StartedAt      time.Time
	LastSeenAt     time.Time
	Attempts       int
	BestRight      int
	PassedAt       *time.Time
}

// AttemptRow is a quiz attempt with the options chosen for each question.
type AttemptRow struct {
	ID             uint
	Course, Lesson string
	Right, Total   int
	Passed         bool
	CreatedAt      time.Time
	Answers        []AnswerRow `gorm:"-"` // filled after the scan, not a relation
}

// AnswerRow is one answer of an attempt.
type AnswerRow struct {
	Question string
	Chosen   int
	Correct  bool
}

// TaskRow is a practice task done, with its evidence.
type TaskRow struct {
	TaskID      string
	Evidence    string
	CompletedAt time.Time
}

// CertRow is a certificate earned.
type CertRow struct {
	Course   string
	Code     string
	IssuedAt time.Time
}

// AssistRow is a service the partner logged for a villager.
type AssistRow struct {
	VillagerName string
	Kind         string
	Note         string
	CreatedAt    time.Time
}

// Partner loads a partner's detail. The partner's centre must lie in the region; anything
// else is NotFound, so ids outside a coordinator's scope cannot be probed.
func (s *Service) Partner(ctx context.Context, region *account.Region, id uint) (*PartnerDetail, error) {
	g := s.db.WithContext(ctx)
	var p account.User
	err := g.Table("users").Select("users.*").
		Joins("JOIN centres ON centres.id = users.centre_id").Joins("JOIN regions ON regions.id = centres.region_id").
		Where("users.id = ? AND users.role = ? AND regions.path LIKE ?", id, account.RolePartner, region.Path+"%").Take(&p).Error
	if err != nil {
		return nil, errs.New(errs.NotFound, "error.not_found")
	}
	d := &PartnerDetail{Partner: &p, Centre: &account.Centre{}}
	steps := []struct {
		what string
		run  func() error
	}{
		{"centre", func() error { return g.Take(d.Centre, *p.CentreID).Error }},
		{"lessons", func() error {
			return g.Table("lesson_progress").Where("user_id = ?", id).Order("last_seen_at DESC").Scan(&d.Lessons).Error
		}},
		{"attempts", func() error {
			return g.Table("quiz_attempts").Where("user_id = ?", id).Order("id DESC").Limit(30).Scan(&d.Attempts).Error
		}},
		{"tasks", func() error {
			return g.Table("task_completions").Where("user_id = ?", id).Order("completed_at").Scan(&d.Tasks).Error
		}},
		{"certificates", func() error {
			return g.Table("certificates").Where("user_id = ?", id).Order("issued_at").Scan(&d.Certificates).Error
		}},
		{"villagers", func() error {
			// The centre's villagers and those the partner registered elsewhere, each from
			// its own index; "role = ? AND (… OR …)" would read every villager by role.
			var elsewhere []account.User
			if err := g.Where("centre_id = ? AND role = ?", *p.CentreID, account.RoleVillager).Find(&d.Villagers).Error; err != nil {
				return err
			}
			err := g.Where("registered_by_id = ? AND role = ? AND centre_id <> ?", id, account.RoleVillager, *p.CentreID).Find(&elsewhere).Error
			d.Villagers = append(d.Villagers, elsewhere...)
			slices.SortFunc(d.Villagers, func(a, b account.User) int {
				return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
			})
			now := s.now()
			d.Away = map[uint]Absence{p.ID: AbsenceOf(p.LastSeenAt, p.CreatedAt, now)}
			for _, v := range d.Villagers {
				d.Away[v.ID] = AbsenceOf(v.LastSeenAt, v.CreatedAt, now)
			}
			return err
		}},
		{"assists", func() error {
			return g.Table("assist_logs").Select("users.name AS villager_name, assist_logs.kind, assist_logs.note, assist_logs.created_at").
				Joins("JOIN users ON users.id = assist_logs.villager_id").
				Where("assist_logs.partner_id = ?", id).Order("assist_logs.id DESC").Limit(50).Scan(&d.Assists).Error
		}},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			return nil, errs.Wrap(err, "partner "+st.what)
		}
	}
	if len(d.Attempts) > 0 {
		ids := make([]uint, len(d.Attempts))
		index := map[uint]int{}
		for i, a := range d.Attempts {
			ids[i], index[a.ID] = a.ID, i
		}
		var answers []struct {
			AttemptID uint
			AnswerRow
		}
		if err := g.Table("quiz_answers").Select("attempt_id, question, chosen, correct").Where("attempt_id IN ?", ids).Order("id").Scan(&answers).Error; err != nil {
			return nil, errs.Wrap(err, "partner answers")
		}
		for _, a := range answers {
			i := index[a.AttemptID]
			d.Attempts[i].Answers = append(d.Attempts[i].Answers, a.AnswerRow)
		}
	}
	return d, nil
}

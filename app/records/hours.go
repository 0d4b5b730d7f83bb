package records

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cunlu/app/errs"
)

// StudyTime is a learner's active time on one lesson online, as the lesson page reported it.
type StudyTime struct {
	UserID     uint   `gorm:"primaryKey;autoIncrement:false"`
	Course     string `gorm:"primaryKey"`
	Lesson     string `gorm:"primaryKey"`
	Seconds    int
	LastBeatAt time.Time
}

func (StudyTime) TableName() string { return "study_time" }

// Online study counts honestly (RECORDS.md: idle study must not count): the lesson page
// reports a beat every BeatEvery while it is in front of the learner and they have touched,
// scrolled or typed in the last minute; each beat adds at most the time since the one before
// (never more than BeatEvery), and a lesson counts at most StudyFactor × its stated minutes.
const (
	BeatEvery   = 30 * time.Second
	StudyFactor = 1.5
)

// Beat adds a beat of active study on a lesson of the given stated minutes. It reports the
// seconds counted (0 when the beat came too soon or the lesson is full).
func (s *Service) Beat(ctx context.Context, userID uint, course, lesson string, minutes int) (int, error) {
	now := s.now()
	limit := int(float64(minutes*60) * StudyFactor)
	added := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var st StudyTime
		res := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("user_id = ? AND course = ? AND lesson = ?", userID, course, lesson).Limit(1).Find(&st)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			// The first beat starts the count: it says the page was open, not for how long.
			st = StudyTime{UserID: userID, Course: course, Lesson: lesson, LastBeatAt: now}
			return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&st).Error
		}
		gap := now.Sub(st.LastBeatAt)
		if gap < BeatEvery/2 {
			return nil // too soon: a second tab, or a page reloaded; nothing counts
		}
		added = int(min(gap, BeatEvery) / time.Second)
		added = max(0, min(added, limit-st.Seconds))
		return tx.Model(&StudyTime{}).Where("user_id = ? AND course = ? AND lesson = ?", userID, course, lesson).
			Updates(map[string]any{"seconds": st.Seconds + added, "last_beat_at": now}).Error
	})
	return added, errs.Wrap(err, "count study time")
}

// Hours are a learner's training hours, in minutes.
type Hours struct {
	Classes []ClassHours
	Online  int            // active online study, all lessons
	ByMonth map[string]int // "2026-12": sessions attended, and online study in the month a lesson was last studied
	Total   int
}

// ClassHours is the time a learner was present at a class's sessions.
type ClassHours struct {
	ClassID       uint
	Title         string
	TargetMinutes int
	Present       int // minutes present within the sessions' times
	Sessions      int // sessions attended
}

// HoursOf adds up a learner's hours: time present at sessions (check-in to check-out, within
// each session's times; a check-in without a check-out counts nothing) and active online
// study.
func (s *Service) HoursOf(ctx context.Context, userID uint) (*Hours, error) {
	var rows []struct {
		ClassID       uint
		Title         string
		TargetMinutes int
		StartsAt      time.Time
		EndsAt        time.Time
		CheckedInAt   time.Time
		CheckedOutAt  *time.Time
	}
	err := s.db.WithContext(ctx).Table("training_attendance a").
		Select("tc.id AS class_id, tc.title, tc.target_minutes, ts.starts_at, ts.ends_at, a.checked_in_at, a.checked_out_at").
		Joins("JOIN training_sessions ts ON ts.id = a.session_id").
		Joins("JOIN training_classes tc ON tc.id = ts.class_id").
		Where("a.user_id = ?", userID).Order("tc.id, ts.starts_at").Scan(&rows).Error
	if err != nil {
		return nil, errs.Wrap(err, "read attendance")
	}
	h := &Hours{ByMonth: map[string]int{}}
	for _, r := range rows {
		if len(h.Classes) == 0 || h.Classes[len(h.Classes)-1].ClassID != r.ClassID {
			h.Classes = append(h.Classes, ClassHours{ClassID: r.ClassID, Title: r.Title, TargetMinutes: r.TargetMinutes})
		}
		c := &h.Classes[len(h.Classes)-1]
		c.Sessions++
		if r.CheckedOutAt == nil {
			continue
		}
		from, to := maxTime(r.CheckedInAt, r.StartsAt), minTime(*r.CheckedOutAt, r.EndsAt)
		if to.After(from) {
			m := int(to.Sub(from) / time.Minute)
			c.Present += m
			h.ByMonth[r.StartsAt.In(China).Format("2006-01")] += m
			h.Total += m
		}
	}
	var study []StudyTime
	if err := s.db.WithContext(ctx).Where("user_id = ?", userID).Find(&study).Error; err != nil {
		return nil, errs.Wrap(err, "read study time")
	}
	for _, st := range study {
		m := st.Seconds / 60
		h.Online += m
		h.ByMonth[st.LastBeatAt.In(China).Format("2006-01")] += m
		h.Total += m
	}
	return h, nil
}

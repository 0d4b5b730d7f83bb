package account

import (
	"cmp"
	"slices"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// centreLearners is the learners column of a centre's report sums (centre_stats, whose
// other columns progress keeps): how many active partners or villagers the centre has.
// Every write here that creates, moves or (de)activates a learner moves it in the same
// transaction, so the coordinators' overview and matrix read a row per centre instead of
// counting a county's accounts on every page.
type centreLearners struct {
	CentreID     uint `gorm:"primaryKey;autoIncrement:false"`
	Role         Role `gorm:"primaryKey"`
	Mastered     int  // not null without a default; written as 0 when the row is new
	Tasks        int
	Certificates int
	Learners     int
}

func (centreLearners) TableName() string { return "centre_stats" }

// counted reports whether u is in a centre's learner count.
func counted(u *User) bool { return u.Active && u.Role.Learner() && u.CentreID != nil }

// CountLearners adds the given new accounts to their centres' learner counts, in tx. Every
// account this package creates is counted by it; code that creates accounts in bulk
// without this package (the demo and load data) must call it in the same transaction.
func CountLearners(tx *gorm.DB, users ...*User) error {
	add := map[centreLearners]int{}
	for _, u := range users {
		if counted(u) {
			add[centreLearners{CentreID: *u.CentreID, Role: u.Role}]++
		}
	}
	rows := make([]centreLearners, 0, len(add))
	for k, n := range add {
		k.Learners = n
		rows = append(rows, k)
	}
	return addLearners(tx, rows)
}

// moveLearner takes a learner out of the counts as they were (old) and into them as they
// are now (updated), in tx; either may not be counted.
func moveLearner(tx *gorm.DB, old, updated *User) error {
	var rows []centreLearners
	if counted(old) {
		rows = append(rows, centreLearners{CentreID: *old.CentreID, Role: old.Role, Learners: -1})
	}
	if counted(updated) {
		if n := len(rows); n > 0 && rows[0].CentreID == *updated.CentreID && rows[0].Role == updated.Role {
			return nil // the same centre: nothing moves
		}
		rows = append(rows, centreLearners{CentreID: *updated.CentreID, Role: updated.Role, Learners: 1})
	}
	return addLearners(tx, rows)
}

// addLearners adds each row's Learners to its centre's count, creating the row at zero
// sums where there is none. Rows go in key order, so two transactions on PostgreSQL lock
// them in the same order.
func addLearners(tx *gorm.DB, rows []centreLearners) error {
	if len(rows) == 0 {
		return nil
	}
	slices.SortFunc(rows, func(a, b centreLearners) int {
		return cmp.Or(cmp.Compare(a.CentreID, b.CentreID), cmp.Compare(a.Role, b.Role))
	})
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "centre_id"}, {Name: "role"}},
		DoUpdates: clause.Assignments(map[string]any{"learners": gorm.Expr("centre_stats.learners + excluded.learners")}),
	}).Create(&rows).Error
}

package demo

import (
	"context"
	"fmt"
	"time"

	"cunlu/app/account"
	"cunlu/app/course"
	"cunlu/app/records"
)

// LoadClasses adds the demo's training classes, once, right after Load has added the rest:
// a class of 桃园村服务站 run by its partner (villagers and the partner; two sessions held,
// one to come) and a county class for partners run by the coordinator (two sessions held).
// Everything goes through package records, as the pages do, so the audit log is the real
// chain; the held sessions are checked in on a clock set to their times. The centre's class
// has an exam open all week (exam code 2468).
func LoadClasses(ctx context.Context, accounts *account.Service, key []byte, cat *course.Catalog) error {
	g := accounts.DB()
	user := func(login string) (*account.User, error) {
		var u account.User
		return &u, g.WithContext(ctx).Where("login = ?", login).Take(&u).Error
	}
	partner, err := user(PartnerLogin)
	if err != nil {
		return err
	}
	coord, err := user(CoordLogin)
	if err != nil {
		return err
	}
	var clock time.Time
	svc := records.NewService(g, accounts, key, func() time.Time { return clock })
	cst := records.China
	today := time.Now().In(cst)
	day := func(n int) string { return today.AddDate(0, 0, n).Format("2006-01-02") }
	clock = time.Now().UTC()

	run := func(trainer *account.User, f records.ClassForm, sessions []records.SessionForm, learners []account.User, held int) error {
		c, err := svc.CreateClass(ctx, trainer, f)
		if err != nil {
			return fmt.Errorf("demo class %s: %w", f.Title, err)
		}
		var ids []uint
		for _, l := range learners {
			ids = append(ids, l.ID)
		}
		if _, err := svc.Enrol(ctx, trainer, c.ID, ids); err != nil {
			return fmt.Errorf("demo class %s: enrol: %w", f.Title, err)
		}
		for i, sf := range sessions {
			ses, err := svc.AddSession(ctx, trainer, c.ID, sf)
			if err != nil {
				return fmt.Errorf("demo class %s: session: %w", f.Title, err)
			}
			if i >= held {
				continue
			}
			for j := range learners {
				l := &learners[j]
				switch {
				case j == len(learners)-1: // the last stayed away from the first session and came by hand to the second
					if i == 0 {
						continue
					}
					clock = ses.EndsAt.Add(10 * time.Minute)
					err = svc.MarkByHand(ctx, trainer, ses.ID, records.HandForm{UserID: l.ID, In: sf.Start, Out: sf.End, Reason: "手机没电，老师核对后手工签到"})
				default:
					late := time.Duration(j%4) * 4 * time.Minute // some came a little late
					clock = ses.StartsAt.Add(-5*time.Minute + late)
					if _, err = svc.CheckIn(ctx, l, ses.ID, svc.SessionCode(ses.ID, clock), fmt.Sprintf("demo-device-%d", l.ID)); err != nil {
						break
					}
					clock = ses.EndsAt.Add(-time.Duration(j%3) * 10 * time.Minute)
					_, err = svc.CheckOut(ctx, l, ses.ID, svc.SessionCode(ses.ID, clock))
				}
				if err != nil {
					return fmt.Errorf("demo class %s: attendance: %w", f.Title, err)
				}
			}
			clock = time.Now().UTC()
		}
		return nil
	}

	var villagers []account.User
	if err := g.WithContext(ctx).Where("centre_id = ? AND role = ?", *partner.CentreID, account.RoleVillager).Order("id").Limit(5).Find(&villagers).Error; err != nil {
		return err
	}
	err = run(partner, records.ClassForm{Title: "桃园村网购入门班", Audience: records.ForBoth, Plan: "网上购物入门\n安全支付",
		TargetHours: "6", Trainer: "李娜", TrainerProfile: "桃园村服务站合伙人"},
		[]records.SessionForm{
			{Date: day(-6), Start: "09:00", End: "11:00", Kind: "theory", Place: "桃园村服务站"},
			{Date: day(-3), Start: "09:00", End: "11:00", Kind: "practice", Place: "桃园村服务站"},
			{Date: day(2), Start: "09:00", End: "11:00", Kind: "practice", Place: "桃园村服务站"},
		}, append(villagers, *partner), 2)
	if err != nil {
		return err
	}
	mine, err := svc.Classes(ctx, partner)
	if err != nil || len(mine) == 0 {
		return fmt.Errorf("demo exam: the centre's class: %v", err)
	}
	_, err = svc.CreateExam(ctx, partner, mine[0].ID, records.ExamForm{Title: "网购入门结业考核", Opens: day(-1) + " 08:00", Closes: day(6) + " 18:00",
		Minutes: "20", Questions: "5", Attempts: "2", ProctorCode: "2468", PassPercent: "60"}, cat)
	if err != nil {
		return fmt.Errorf("demo exam: %w", err)
	}
	var partners []account.User
	if err := g.WithContext(ctx).Where("role = ?", account.RolePartner).Order("id").Limit(8).Find(&partners).Error; err != nil {
		return err
	}
	return run(coord, records.ClassForm{Title: "示范县合伙人网店运营培训班", Audience: records.ForPartners, Plan: "网上开店\n服务站运营",
		TargetHours: "12", Trainer: "周老师", TrainerProfile: "县电子商务公共服务中心讲师"},
		[]records.SessionForm{
			{Date: day(-10), Start: "14:00", End: "17:00", Kind: "theory", Place: "县电子商务公共服务中心"},
			{Date: day(-9), Start: "14:00", End: "17:00", Kind: "practice", Place: "县电子商务公共服务中心"},
		}, partners, 2)
}

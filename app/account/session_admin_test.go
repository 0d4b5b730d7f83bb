package account_test

import (
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
)

func TestAdminListsAndEndsSessions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		w.svc = account.NewService(g, account.Options{PINKey: testPINKey, IdleTimeout: time.Hour, Now: w.clock.Now})
		ctx := w.ctx
		stale, err := w.svc.StartSession(ctx, w.partnerA1, "", "192.0.2.1", "old phone")
		must(t, err)
		w.clock.Advance(2 * time.Hour) // the first browser has been idle too long
		phone, err := w.svc.StartSession(ctx, w.partnerA1, "", "203.0.113.7", "Mozilla/5.0 (Android 10)")
		must(t, err)
		w.clock.Advance(time.Minute)
		pc, err := w.svc.StartSession(ctx, w.partnerA1, "", "198.51.100.2", "Mozilla/5.0 (Windows NT 10.0)")
		must(t, err)
		other := w.startSession(t, w.partnerA2)

		for _, actor := range []*account.User{w.coordCounty, w.partnerA1, w.villagerA1} {
			_, err := w.svc.Sessions(ctx, actor, w.partnerA1.ID)
			wantErr(t, err, errs.Forbidden, "")
			_, err = w.svc.EndSessions(ctx, actor, w.partnerA1.ID)
			wantErr(t, err, errs.Forbidden, "")
		}
		_, err = w.svc.Sessions(ctx, nil, w.partnerA1.ID)
		wantErr(t, err, errs.Unauthorized, "")
		_, err = w.svc.Sessions(ctx, w.admin, 999999)
		wantErr(t, err, errs.NotFound, "")
		_, err = w.svc.EndSessions(ctx, w.admin, 999999)
		wantErr(t, err, errs.NotFound, "")
		if n := w.sessions(t, w.partnerA1); n != 3 {
			t.Fatalf("refused calls changed the sessions: %d, want 3", n)
		}

		list, err := w.svc.Sessions(ctx, w.admin, w.partnerA1.ID)
		must(t, err)
		if len(list) != 2 || list[0].UserAgent != "Mozilla/5.0 (Windows NT 10.0)" || list[0].IP != "198.51.100.2" ||
			list[1].UserAgent != "Mozilla/5.0 (Android 10)" || list[1].IP != "203.0.113.7" {
			t.Fatalf("sessions = %+v, want the PC then the phone, without the expired one", list)
		}
		if !list[1].CreatedAt.Equal(list[1].LastSeenAt) || list[0].LastSeenAt.Before(list[1].LastSeenAt) {
			t.Errorf("times: %+v", list)
		}

		n, err := w.svc.EndSessions(ctx, w.admin, w.partnerA1.ID)
		must(t, err)
		if n != 3 {
			t.Errorf("ended %d sessions, want 3 (the expired one too)", n)
		}
		for _, tok := range []string{stale, phone, pc} {
			_, err := w.svc.SessionUser(ctx, tok)
			wantErr(t, err, errs.Unauthorized, "")
		}
		if _, err := w.svc.SessionUser(ctx, other); err != nil {
			t.Errorf("another person's session ended too: %v", err)
		}
		if u, err := w.svc.User(ctx, w.partnerA1.ID); err != nil || !u.Active {
			t.Errorf("ending sessions deactivated the account: %v %+v", err, u)
		}
		if list, err := w.svc.Sessions(ctx, w.admin, w.partnerA1.ID); err != nil || len(list) != 0 {
			t.Errorf("after ending: %v %+v", err, list)
		}
		if n, err := w.svc.EndSessions(ctx, w.admin, w.partnerA1.ID); err != nil || n != 0 {
			t.Errorf("ending again: %d %v", n, err)
		}
	})
}

package account_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
)

func sessionRow(t *testing.T, w *world, token string) account.Session {
	t.Helper()
	sum := sha256.Sum256([]byte(token))
	var s account.Session
	if err := w.g.Where("token_hash = ?", hex.EncodeToString(sum[:])).Take(&s).Error; err != nil {
		t.Fatalf("find session by the SHA-256 of its token: %v", err)
	}
	return s
}

func userLastSeen(t *testing.T, w *world, u *account.User) time.Time {
	t.Helper()
	got, err := w.svc.User(w.ctx, u.ID)
	must(t, err)
	if got.LastSeenAt == nil {
		return time.Time{}
	}
	return *got.LastSeenAt
}

func TestStartSession(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		ctx := w.ctx
		now := w.clock.Now()
		tok, err := w.svc.StartSession(ctx, w.partnerA1, "", "203.0.113.7", "Mozilla/5.0 (Android 10)")
		must(t, err)
		if raw, err := base64.RawURLEncoding.DecodeString(tok); err != nil || len(raw) != 32 {
			t.Fatalf("token %q: %d bytes (%v), want 32 random bytes", tok, len(raw), err)
		}

		s := sessionRow(t, w, tok)
		if s.UserID != w.partnerA1.ID || s.IP != "203.0.113.7" || s.UserAgent != "Mozilla/5.0 (Android 10)" {
			t.Errorf("session %+v", s)
		}
		if !s.CreatedAt.Equal(now) || !s.LastSeenAt.Equal(now) || !s.ExpiresAt.Equal(now.Add(w.svc.MaxAge)) {
			t.Errorf("times: created %v, last seen %v, expires %v; want %v and +%v", s.CreatedAt, s.LastSeenAt, s.ExpiresAt, now, w.svc.MaxAge)
		}
		if seen := userLastSeen(t, w, w.partnerA1); !seen.Equal(now) {
			t.Errorf("user last seen %v, want %v", seen, now)
		}

		// The token itself is nowhere in the table.
		var rows []map[string]any
		must(t, g.Table("sessions").Find(&rows).Error)
		for _, row := range rows {
			for col, v := range row {
				if strings.Contains(fmt.Sprint(v), tok) {
					t.Errorf("column %s holds the token", col)
				}
			}
		}

		u, err := w.svc.SessionUser(ctx, tok)
		must(t, err)
		if u.ID != w.partnerA1.ID || u.Login != "partner-a1" {
			t.Errorf("SessionUser = %+v", u)
		}
		// Every field of the person but the secrets, as gorm loads the row (SessionUser
		// reads it by hand).
		full, err := w.svc.User(ctx, u.ID)
		must(t, err)
		if got, want := fmt.Sprintf("%v %v %v %v %v %v", u.Phone != nil, deref(u.RegionID), deref(u.CentreID), deref(u.RegisteredByID), u.LastSeenAt != nil, u.Role),
			fmt.Sprintf("%v %v %v %v %v %v", full.Phone != nil, deref(full.RegionID), deref(full.CentreID), deref(full.RegisteredByID), full.LastSeenAt != nil, full.Role); got != want {
			t.Errorf("SessionUser: %s, the user row: %s", got, want)
		}
		if u.PasswordHash != "" || u.PINHash != "" {
			t.Error("the signed-in person carries their password or PIN hash into every request")
		}
		if u.Name != full.Name || u.Active != full.Active ||
			u.Lang != full.Lang || !u.CreatedAt.Equal(full.CreatedAt) || !u.UpdatedAt.Equal(full.UpdatedAt) || (u.Phone != nil && *u.Phone != *full.Phone) {
			t.Errorf("SessionUser = %+v, the user row %+v", u, full)
		}

		tok2 := w.startSession(t, w.partnerA1)
		if tok2 == tok {
			t.Fatal("two sessions got the same token")
		}
		if n := w.sessions(t, w.partnerA1); n != 2 {
			t.Errorf("%d sessions, want 2 (one per browser)", n)
		}

		for name, bad := range map[string]string{
			"empty":           "",
			"unknown":         "not-a-token",
			"too long":        strings.Repeat("a", 101),
			"one char off":    tok[:len(tok)-1] + string(tok[len(tok)-1]^1),
			"the stored hash": s.TokenHash,
		} {
			_, err := w.svc.SessionUser(ctx, bad)
			if e := wantErr(t, err, errs.Unauthorized, "error.signed_out"); e == nil {
				t.Errorf("%s token accepted", name)
			}
		}

		t.Run("user agent is cut on a character boundary", func(t *testing.T) {
			tests := map[string]string{
				"long Chinese":  strings.Repeat("浏览器", 100), // 900 bytes
				"odd bytes":     strings.Repeat("é", 200),   // 400 bytes, 2 each: 255 splits one
				"invalid UTF-8": "Mozilla/5.0 \xff\xfe",
			}
			for name, ua := range tests {
				tok, err := w.svc.StartSession(ctx, w.partnerB1, "", "203.0.113.7", ua)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				got := sessionRow(t, w, tok).UserAgent
				if len(got) > 255 || !utf8.ValidString(got) || got == "" {
					t.Errorf("%s: stored user agent of %d bytes, valid UTF-8 %v", name, len(got), utf8.ValidString(got))
				}
			}
		})
	})
}

func TestSessionRotation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		ctx := w.ctx
		first := w.startSession(t, w.partnerA1)
		second, err := w.svc.StartSession(ctx, w.partnerA1, first, "192.0.2.1", "ua")
		must(t, err)
		_, err = w.svc.SessionUser(ctx, first)
		wantErr(t, err, errs.Unauthorized, "error.signed_out")
		if _, err := w.svc.SessionUser(ctx, second); err != nil {
			t.Fatalf("new session: %v", err)
		}
		if n := w.sessions(t, w.partnerA1); n != 1 {
			t.Errorf("%d sessions after rotation, want 1", n)
		}

		// The centre's shared PC: the next person signs in over the partner's session.
		third, err := w.svc.StartSession(ctx, w.villagerA1, second, "192.0.2.1", "ua")
		must(t, err)
		_, err = w.svc.SessionUser(ctx, second)
		wantErr(t, err, errs.Unauthorized, "error.signed_out")
		u, err := w.svc.SessionUser(ctx, third)
		must(t, err)
		if u.ID != w.villagerA1.ID {
			t.Errorf("session user %d, want the villager %d", u.ID, w.villagerA1.ID)
		}
		if n := w.sessions(t, w.partnerA1); n != 0 {
			t.Errorf("partner has %d sessions, want 0", n)
		}

		// An unknown previous token is no obstacle.
		if _, err := w.svc.StartSession(ctx, w.partnerA1, "stale-cookie", "192.0.2.1", "ua"); err != nil {
			t.Errorf("start with an unknown previous token: %v", err)
		}
	})
}

func TestEndSession(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		ctx := w.ctx
		phone := w.startSession(t, w.partnerA1)
		pc := w.startSession(t, w.partnerA1)
		must(t, w.svc.EndSession(ctx, phone))
		_, err := w.svc.SessionUser(ctx, phone)
		wantErr(t, err, errs.Unauthorized, "error.signed_out")
		if _, err := w.svc.SessionUser(ctx, pc); err != nil {
			t.Errorf("the other browser was signed out too: %v", err)
		}
		must(t, w.svc.EndSession(ctx, phone))
		must(t, w.svc.EndSession(ctx, ""))
		must(t, w.svc.EndSession(ctx, "never-issued"))
		if n := w.sessions(t, w.partnerA1); n != 1 {
			t.Errorf("%d sessions, want 1", n)
		}
	})
}

func TestSessionDefaults(t *testing.T) {
	t.Parallel()
	s := account.NewService(nil, account.Options{PINKey: testPINKey})
	if s.IdleTimeout != 12*time.Hour || s.MaxAge != 30*24*time.Hour {
		t.Errorf("idle %v, max age %v; want 12h and 720h", s.IdleTimeout, s.MaxAge)
	}
	if now := s.Now(); now.Location() != time.UTC || time.Since(now) > time.Minute {
		t.Errorf("default clock reads %v", now)
	}
}

func TestSessionIdleTimeout(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		w.svc = account.NewService(g, account.Options{PINKey: testPINKey, IdleTimeout: time.Hour, Now: w.clock.Now})
		tok := w.startSession(t, w.partnerA1)
		steps := []struct {
			advance time.Duration
			wantKey string // "" when the session still works
		}{
			{30 * time.Minute, ""},
			{time.Hour, ""}, // exactly the idle timeout after the last request
			{time.Hour, ""},
			{time.Hour + time.Second, "error.session_expired"},
			{0, "error.signed_out"}, // and the expired session is gone
		}
		for i, st := range steps {
			w.clock.Advance(st.advance)
			u, err := w.svc.SessionUser(w.ctx, tok)
			if st.wantKey == "" {
				if err != nil || u.ID != w.partnerA1.ID {
					t.Fatalf("step %d (+%v): %v, %v", i, st.advance, u, err)
				}
				continue
			}
			wantErr(t, err, errs.Unauthorized, st.wantKey)
		}
		if n := w.sessions(t, w.partnerA1); n != 0 {
			t.Errorf("%d sessions after expiry, want 0", n)
		}
	})
}

func TestSessionMaxAge(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		w.svc = account.NewService(g, account.Options{PINKey: testPINKey, IdleTimeout: time.Hour, Now: w.clock.Now})
		w.svc.MaxAge = 3 * time.Hour
		start := w.clock.Now()
		tok := w.startSession(t, w.partnerA1)
		if s := sessionRow(t, w, tok); !s.ExpiresAt.Equal(start.Add(3 * time.Hour)) {
			t.Fatalf("expires %v, want %v", s.ExpiresAt, start.Add(3*time.Hour))
		}
		// Busy all the time (never idle for an hour), but sign-in was too long ago.
		for _, at := range []time.Duration{50 * time.Minute, 100 * time.Minute, 150 * time.Minute, 180 * time.Minute} {
			w.clock.Advance(at - w.clock.Now().Sub(start))
			if _, err := w.svc.SessionUser(w.ctx, tok); err != nil {
				t.Fatalf("at +%v: %v", at, err)
			}
		}
		w.clock.Advance(time.Minute)
		_, err := w.svc.SessionUser(w.ctx, tok)
		wantErr(t, err, errs.Unauthorized, "error.session_expired")
		if n := w.sessions(t, w.partnerA1); n != 0 {
			t.Errorf("%d sessions after expiry, want 0", n)
		}
	})
}

func TestSessionLastSeen(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		start := w.clock.Now()
		tok := w.startSession(t, w.partnerA1)
		steps := []struct {
			at       time.Duration // since sign-in
			wantSeen time.Duration // last seen, since sign-in, for the session and the user
		}{
			{30 * time.Second, 0},
			{60 * time.Second, 0}, // exactly a minute: no write yet
			{61 * time.Second, 61 * time.Second},
			{90 * time.Second, 61 * time.Second},
			{120 * time.Second, 61 * time.Second},
			{122 * time.Second, 122 * time.Second},
			{time.Hour, time.Hour},
		}
		for _, st := range steps {
			w.clock.Advance(st.at - w.clock.Now().Sub(start))
			if _, err := w.svc.SessionUser(w.ctx, tok); err != nil {
				t.Fatalf("at +%v: %v", st.at, err)
			}
			want := start.Add(st.wantSeen)
			if got := sessionRow(t, w, tok).LastSeenAt; !got.Equal(want) {
				t.Errorf("at +%v: session last seen %v, want %v", st.at, got, want)
			}
			if got := userLastSeen(t, w, w.partnerA1); !got.Equal(want) {
				t.Errorf("at +%v: user last seen %v, want %v", st.at, got, want)
			}
		}
	})
}

func deref(p *uint) uint {
	if p == nil {
		return 0
	}
	return *p
}

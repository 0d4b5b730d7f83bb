package account_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
)

const (
	ipOne = "198.51.100.1"
	ipTwo = "198.51.100.2"
)

// signInStep is one sign-in attempt and what it must give.
type signInStep struct {
	login, password, ip string
	want                string // "" for success, else the error key
}

func runSteps(t *testing.T, s *account.Service, steps []signInStep) {
	t.Helper()
	for i, st := range steps {
		_, err := s.SignIn(t.Context(), st.login, st.password, st.ip)
		if st.want == "" {
			if err != nil {
				t.Fatalf("step %d (%s from %s): %v, want success", i, st.login, st.ip, err)
			}
			continue
		}
		code := errs.Unauthorized
		if st.want == "error.too_many_attempts" {
			code = errs.TooMany
		}
		var e *errs.Error
		if !errors.As(err, &e) || e.Code != code || e.Key != st.want {
			t.Fatalf("step %d (%s from %s): %v, want %s %s", i, st.login, st.ip, err, code, st.want)
		}
	}
}

func fails(n int, login, ip string) []signInStep {
	steps := make([]signInStep, n)
	for i := range steps {
		steps[i] = signInStep{login, "wrong-pass-" + fmt.Sprint(i), ip, "error.login_failed"}
	}
	return steps
}

func TestThrottleAccount(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		const locked = "error.too_many_attempts"

		runSteps(t, w.svc, fails(5, "partner-a1", ipOne))
		runSteps(t, w.svc, []signInStep{
			{"partner-a1", fixturePassword, ipOne, locked},   // the right password, but too late
			{" PARTNER-A1 ", fixturePassword, ipTwo, locked}, // the account, from anywhere
			{"partner-b1", fixturePassword, ipOne, ""},       // others at the same centre PC are fine
		})

		// A restarted process (or another instance) sees the same counters.
		restarted := account.NewService(reopen(t, g), account.Options{Now: w.clock.Now})
		runSteps(t, restarted, []signInStep{{"partner-a1", fixturePassword, ipTwo, locked}})
		w.clock.Advance(15*time.Minute - time.Second)
		runSteps(t, restarted, []signInStep{{"partner-a1", fixturePassword, ipTwo, locked}})
		w.clock.Advance(time.Minute + time.Second)
		runSteps(t, restarted, []signInStep{{"partner-a1", fixturePassword, ipOne, ""}})

		t.Run("success forgets earlier failures", func(t *testing.T) {
			// 3 + 3 failures would lock the account if the success had not reset the count.
			steps := append(fails(3, "partner-b1", ipOne), signInStep{"partner-b1", fixturePassword, ipOne, ""})
			steps = append(steps, fails(3, "partner-b1", ipOne)...)
			steps = append(steps, signInStep{"partner-b1", fixturePassword, ipOne, ""})
			runSteps(t, w.svc, steps)
		})

		t.Run("a new window counts from zero", func(t *testing.T) {
			// 3 + 3 failures would lock the account if the old window's count carried over.
			runSteps(t, w.svc, fails(3, "partner-a2", ipOne))
			w.clock.Advance(16 * time.Minute)
			runSteps(t, w.svc, fails(3, "partner-a2", ipOne))
			runSteps(t, w.svc, []signInStep{{"partner-a2", fixturePassword, ipOne, ""}})
		})
	})
}

func TestThrottlePIN(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		ctx := w.ctx
		pin := func(phone, pin, ip string) error {
			_, err := w.svc.SignInPIN(ctx, phone, pin, ip)
			return err
		}

		// Password failures on the same number do not lock the PIN: separate keys.
		runSteps(t, w.svc, fails(5, "13800000001", ipOne))
		must(t, pin("13800000001", fixturePIN, ipOne))

		for i := range 5 {
			wantErr(t, pin("13800000001", fmt.Sprintf("90281%d", i), ipOne), errs.Unauthorized, "error.login_failed")
		}
		wantErr(t, pin("13800000001", fixturePIN, ipOne), errs.TooMany, "error.too_many_attempts")
		wantErr(t, pin("+86 138-0000-0001", fixturePIN, ipTwo), errs.TooMany, "error.too_many_attempts")
		runSteps(t, w.svc, []signInStep{{"partner-a1", fixturePassword, ipOne, ""}})

		restarted := account.NewService(reopen(t, g), account.Options{Now: w.clock.Now})
		if _, err := restarted.SignInPIN(ctx, "13800000001", fixturePIN, ipTwo); !errs.Is(err, errs.TooMany) {
			t.Fatalf("after restart: %v, want TooMany", err)
		}
		w.clock.Advance(16 * time.Minute)
		must(t, pin("13800000001", fixturePIN, ipOne))
	})
}

func TestThrottleIP(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		ctx := w.ctx

		// 99 failures from one IP, spread over many logins (at most 4 each, so no account
		// locks), over odd input too, and both kinds of sign-in; run side by side, so the
		// count must be atomic.
		var attempts []func() error
		for i := range 20 {
			login := fmt.Sprintf("guess-%02d", i)
			for j := range 4 {
				attempts = append(attempts, func() error {
					_, err := w.svc.SignIn(ctx, login, fmt.Sprintf("wrong-pass-%d", j), ipOne)
					return err
				})
			}
		}
		for i := range 10 {
			attempts = append(attempts, func() error {
				_, err := w.svc.SignIn(ctx, strings.Repeat(fmt.Sprint(i), 200), fixturePassword, ipOne)
				return err
			})
		}
		for i := range 9 {
			attempts = append(attempts, func() error {
				_, err := w.svc.SignInPIN(ctx, fmt.Sprintf("1390000%04d", i), fixturePIN, ipOne)
				return err
			})
		}
		if len(attempts) != 99 {
			t.Fatalf("%d attempts", len(attempts))
		}
		work := make(chan func() error)
		results := make(chan error, len(attempts))
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for a := range work {
					results <- a()
				}
			})
		}
		for _, a := range attempts {
			work <- a
		}
		close(work)
		wg.Wait()
		close(results)
		for err := range results {
			wantErr(t, err, errs.Unauthorized, "error.login_failed")
		}

		const locked = "error.too_many_attempts"
		runSteps(t, w.svc, []signInStep{
			{"partner-a1", fixturePassword, ipOne, ""}, // 99 is still under the limit
			{"guess-last", "wrong-pass-1", ipOne, "error.login_failed"},
			{"partner-b1", fixturePassword, ipOne, locked}, // an account that never failed
			{"partner-b1", fixturePassword, ipTwo, ""},
		})
		_, err := w.svc.SignInPIN(ctx, "13800000001", fixturePIN, ipOne)
		wantErr(t, err, errs.TooMany, locked)

		w.clock.Advance(16 * time.Minute)
		runSteps(t, w.svc, []signInStep{{"partner-a2", fixturePassword, ipOne, ""}})
	})
}

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
		restarted := account.NewService(reopen(t, g), account.Options{PINKey: testPINKey, Now: w.clock.Now})
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

		restarted := account.NewService(reopen(t, g), account.Options{PINKey: testPINKey, Now: w.clock.Now})
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

// TestThrottleParallel races many attempts at once, as a guesser with 50 connections would.
// An attempt that was evaluated answers login_failed (or succeeds), one refused before the
// hash answers too_many_attempts; a limit read before the slow hash and written after it
// would let every attempt through to be evaluated.
func TestThrottleParallel(t *testing.T) {
	t.Parallel()
	race := func(n int, attempt func(i int) error) (evaluated, refused int, signedIn bool) {
		errc := make(chan error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errc <- attempt(i) })
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			switch {
			case err == nil:
				evaluated++
				signedIn = true
			case errs.Is(err, errs.TooMany):
				refused++
			case errs.Is(err, errs.Unauthorized):
				evaluated++
			default:
				t.Fatalf("attempt: %v", err)
			}
		}
		return evaluated, refused, signedIn
	}
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		// Two instances of the program share the database, and the limits.
		other := account.NewService(reopen(t, g), account.Options{PINKey: testPINKey, Now: w.clock.Now})
		instances := []*account.Service{w.svc, other}

		t.Run("PINs for one phone", func(t *testing.T) {
			// 60 wrong PINs at once through two instances, and then the right one: it
			// must find the phone locked. (A right PIN inside the race would, when
			// evaluated, forget the phone's failures, as any successful sign-in does.)
			ev, refused, _ := race(60, func(i int) error {
				_, err := instances[i%2].SignInPIN(w.ctx, "13800000001", fmt.Sprintf("9%05d", i), ipOne)
				return err
			})
			if ev != account.AccountMaxFailure || refused != 60-account.AccountMaxFailure {
				t.Fatalf("%d evaluated, %d refused; want %d evaluated", ev, refused, account.AccountMaxFailure)
			}
			_, err := other.SignInPIN(w.ctx, "13800000001", fixturePIN, ipOne)
			wantErr(t, err, errs.TooMany, "error.too_many_attempts")
		})

		t.Run("passwords for one account", func(t *testing.T) {
			ev, _, signedIn := race(30, func(i int) error {
				_, err := w.svc.SignIn(w.ctx, "partner-a2", fmt.Sprintf("wrong-pass-%d", i), ipOne)
				return err
			})
			if ev != account.AccountMaxFailure || signedIn {
				t.Fatalf("%d evaluated (signed in %v), want %d", ev, signedIn, account.AccountMaxFailure)
			}
			_, err := w.svc.SignIn(w.ctx, "partner-a2", fixturePassword, ipOne)
			wantErr(t, err, errs.TooMany, "error.too_many_attempts")
		})

		t.Run("many accounts from one address", func(t *testing.T) {
			// One wrong PIN for each of 130 phones from a fresh address: the address's
			// limit, not the phones', stops them.
			ev, _, _ := race(130, func(i int) error {
				_, err := w.svc.SignInPIN(w.ctx, fmt.Sprintf("1390000%04d", i), "902817", ipTwo)
				return err
			})
			if ev != account.IPMaxFailure {
				t.Fatalf("%d evaluated, want %d", ev, account.IPMaxFailure)
			}
			_, err := w.svc.SignIn(w.ctx, "partner-b1", fixturePassword, ipTwo)
			wantErr(t, err, errs.TooMany, "error.too_many_attempts")
		})
	})
}

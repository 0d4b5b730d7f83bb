package web_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"cunlu/app/account"
	"cunlu/app/apptest"
)

// userID returns the id of the account with login, as a string for URLs.
func userID(t *testing.T, env *apptest.Env, login string) string {
	t.Helper()
	var u account.User
	if err := env.App.Accounts.DB().WithContext(context.Background()).Where("login = ?", login).Take(&u).Error; err != nil {
		t.Fatalf("find %s: %v", login, err)
	}
	return fmt.Sprint(u.ID)
}

// regionID returns the id of the demo region named name.
func regionID(t *testing.T, env *apptest.Env, name string) uint {
	t.Helper()
	var r account.Region
	if err := env.App.Accounts.DB().Where("name = ?", name).Take(&r).Error; err != nil {
		t.Fatalf("find region %s: %v", name, err)
	}
	return r.ID
}

// centreID returns the id of the demo centre named name.
func centreID(t *testing.T, env *apptest.Env, name string) uint {
	t.Helper()
	var c account.Centre
	if err := env.App.Accounts.DB().Where("name = ?", name).Take(&c).Error; err != nil {
		t.Fatalf("find centre %s: %v", name, err)
	}
	return c.ID
}

// admin returns the demo admin account.
func admin(t *testing.T, env *apptest.Env) *account.User {
	t.Helper()
	var u account.User
	if err := env.App.Accounts.DB().Where("login = ?", "admin").Take(&u).Error; err != nil {
		t.Fatal(err)
	}
	return &u
}

// countRows counts the rows of a table matching a condition.
func countRows(t *testing.T, env *apptest.Env, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := env.App.Accounts.DB().Table(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// mustUserID returns the numeric id of the account with login.
func mustUserID(t *testing.T, env *apptest.Env, login string) uint {
	t.Helper()
	var u account.User
	if err := env.App.Accounts.DB().Where("login = ?", login).Take(&u).Error; err != nil {
		t.Fatalf("find %s: %v", login, err)
	}
	return u.ID
}

// bookingDay is the n-th day (from 1) that the travel page offers for booking: the days
// follow the learner's practice clock, which returns and tracking move on, not the wall
// clock.
func bookingDay(t *testing.T, c *apptest.Client, n int) string {
	t.Helper()
	days := regexp.MustCompile(`<option value="(\d{4}-\d{2}-\d{2})"`).FindAllStringSubmatch(c.Get("/shop/travel").Body, -1)
	if len(days) < n {
		t.Fatalf("the travel page offers %d days, want at least %d", len(days), n)
	}
	return days[n-1][1]
}

package web_test

import (
	"context"
	"fmt"
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

package dbtest_test

import (
	"os"
	"testing"

	"cunlu/app/db/dbtest"
)

// TestPostgresReachable proves the PostgreSQL tests really run: CI sets PostgresEnv and
// fails if this test reports SKIP.
func TestPostgresReachable(t *testing.T) {
	if os.Getenv(dbtest.PostgresEnv) == "" {
		t.Skipf("%s is not set: PostgreSQL tests are skipped", dbtest.PostgresEnv)
	}
	g := dbtest.Open(t, "postgres")
	if g.Dialector.Name() != "postgres" {
		t.Fatalf("dialect %q, want postgres", g.Dialector.Name())
	}
	var one int
	if err := g.Raw("SELECT 1").Scan(&one).Error; err != nil {
		t.Fatalf("SELECT 1: %v", err)
	}
	if one != 1 {
		t.Fatalf("SELECT 1 returned %d", one)
	}
}

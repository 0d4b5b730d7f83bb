// Package dbtest gives tests a fresh, migrated database: a SQLite file per test, and a
// PostgreSQL database per test when CUNLU_TEST_POSTGRES_URL names a server (CI sets it).
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"cunlu/app/db"
)

// PostgresEnv names the variable holding an admin URL of a PostgreSQL server for tests.
const PostgresEnv = "CUNLU_TEST_POSTGRES_URL"

// Kinds lists the databases the store tests run on here: always "sqlite", and "postgres"
// when PostgresEnv is set.
func Kinds() []string {
	if os.Getenv(PostgresEnv) != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// Each runs fn as a subtest on a fresh migrated database of every kind in Kinds.
func Each(t *testing.T, fn func(t *testing.T, g *gorm.DB)) {
	t.Helper()
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			fn(t, Open(t, kind))
		})
	}
}

// Open returns a fresh migrated database of the given kind, closed when the test ends.
func Open(tb testing.TB, kind string) *gorm.DB {
	tb.Helper()
	g, err := db.Open(context.Background(), URL(tb, kind), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatalf("open %s test database: %v", kind, err)
	}
	tb.Cleanup(func() { db.Close(g) })
	return g
}

// URL returns the DATABASE_URL of a fresh, empty database of the given kind that is removed
// when the test ends.
func URL(tb testing.TB, kind string) string {
	tb.Helper()
	switch kind {
	case "sqlite":
		return filepath.Join(tb.TempDir(), "cunlu-test.db")
	case "postgres":
		return newPostgresDB(tb)
	}
	tb.Fatalf("unknown database kind %q", kind)
	return ""
}

func newPostgresDB(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv(PostgresEnv)
	if admin == "" {
		tb.Fatalf("%s is not set", PostgresEnv)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "cunlu_test_" + hex.EncodeToString(b[:])
	g, err := gorm.Open(postgres.Open(admin), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		tb.Fatalf("connect to %s: %v", PostgresEnv, err)
	}
	sqlDB, _ := g.DB()
	if err := g.Exec("CREATE DATABASE " + name).Error; err != nil {
		sqlDB.Close()
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		g.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		sqlDB.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

// KeyFile is the secret key file (config.Config.KeyFile) for a Cunlu that a test starts on
// dbURL: "" for SQLite, whose default sits beside the database file; for PostgreSQL a file
// in the system's temporary folder named after the test's database, so that every instance
// the test starts on that database shares one key. It is removed when the test ends.
func KeyFile(tb testing.TB, dbURL string) string {
	if !db.IsPostgres(dbURL) {
		return ""
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		tb.Fatalf("key file for %q: %v", dbURL, err)
	}
	path := filepath.Join(os.TempDir(), "cunlu-test-"+strings.TrimPrefix(u.Path, "/")+".key")
	tb.Cleanup(func() { os.Remove(path) })
	return path
}

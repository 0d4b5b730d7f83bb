package db_test

import (
	"testing"

	"gorm.io/gorm"

	"cunlu/app/db"
	"cunlu/app/db/dbtest"
)

// TestSQLiteConnSetUp: every connection of the pool checkpoints at the log size chosen,
// not at SQLite's default (the DSN cannot carry it).
func TestSQLiteConnSetUp(t *testing.T) {
	g := dbtest.Open(t, "sqlite")
	sqlDB, err := g.DB()
	if err != nil {
		t.Fatal(err)
	}
	// Hold all four connections at once, so that each is asked.
	var check func(depth int)
	check = func(depth int) {
		if depth == 4 {
			return
		}
		g.Connection(func(c *gorm.DB) error {
			var n int
			if err := c.Raw("PRAGMA wal_autocheckpoint").Scan(&n).Error; err != nil || n != db.WALAutoCheckpoint {
				t.Errorf("connection %d: wal_autocheckpoint %d (%v), want %d", depth, n, err, db.WALAutoCheckpoint)
			}
			check(depth + 1)
			return nil
		})
	}
	check(0)
	if open := sqlDB.Stats().OpenConnections; open != 4 {
		t.Errorf("%d connections open, want the pool's 4", open)
	}
}

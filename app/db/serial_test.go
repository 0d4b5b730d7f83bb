package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

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

// TestWritesNeverWaitInTheBusyHandler: while a transaction holds the writer's turn and
// needs a statement it has not run before, single-statement writes from other requests
// (a session's last-seen time, say) wait for the turn in Go, holding no connection, and
// the transaction needs no second connection. Before, each such write took one of the
// pool's four connections and slept in SQLite's busy handler for the transaction's
// lock, while the transaction waited for a free connection to prepare its statement:
// every write failed with "database is locked" after the busy timeout.
func TestWritesNeverWaitInTheBusyHandler(t *testing.T) {
	g := dbtest.Open(t, "sqlite")
	type Note struct {
		ID   uint
		Text string
	}
	if err := g.AutoMigrate(&Note{}); err != nil {
		t.Fatal(err)
	}
	if err := g.Create(&Note{Text: "a"}).Error; err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	errs := make(chan error, 16)
	err := g.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("UPDATE notes SET text = 'b'").Error; err != nil {
			return err
		}
		for i := range 6 {
			go func() {
				<-started
				if i%2 == 0 {
					errs <- g.Model(&Note{}).Where("id = ?", 1).Update("text", "c").Error
				} else {
					errs <- g.Create(&Note{Text: "d"}).Error
				}
			}()
		}
		close(started)
		time.Sleep(100 * time.Millisecond) // the writes are waiting now
		// A statement this pool has never prepared.
		return tx.Exec("UPDATE notes SET text = text || ? WHERE id = ?", "!", 1).Error
	})
	if err != nil {
		t.Fatalf("the transaction: %v", err)
	}
	for range 6 {
		if err := <-errs; err != nil {
			t.Errorf("a write beside the transaction: %v", err)
		}
	}
}

// TestTransactionOutOfTimeDoesNotCommit: a transaction whose context ended while it ran
// (a request answered 503) is rolled back at its commit, on every database, although the
// SQLite pool runs its statements to the end.
func TestTransactionOutOfTimeDoesNotCommit(t *testing.T) {
	for _, kind := range dbtest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			g := dbtest.Open(t, kind)
			type Note struct {
				ID   uint
				Text string
			}
			if err := g.AutoMigrate(&Note{}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			err := g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(&Note{Text: "first"}).Error; err != nil {
					return err
				}
				cancel() // the request runs out of time here
				return nil
			})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("commit after the context ended: %v, want context.Canceled", err)
			}
			var n int64
			if err := g.Model(&Note{}).Count(&n).Error; err != nil || n != 0 {
				t.Errorf("%d notes stored (%v), want none", n, err)
			}
			// The writer's turn was handed on: the next transaction commits.
			if err := g.Transaction(func(tx *gorm.DB) error { return tx.Create(&Note{Text: "second"}).Error }); err != nil {
				t.Errorf("the next transaction: %v", err)
			}
		})
	}
}

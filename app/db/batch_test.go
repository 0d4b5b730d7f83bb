package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/db"
	"cunlu/app/db/dbtest"
)

type note struct {
	ID   uint
	Text string `gorm:"uniqueIndex"`
}

// TestBatcher: many transactions at once are committed, each with its own outcome: one
// that fails (a duplicate) or panics is rolled back alone and its neighbours in the same
// batch are kept; every success is in the database when Do returns.
func TestBatcher(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		if err := g.AutoMigrate(&note{}); err != nil {
			t.Fatal(err)
		}
		b := db.NewBatcher(g)
		defer b.Close()
		ctx := context.Background()
		const n = 200
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = b.Do(ctx, func(tx *gorm.DB) error {
					switch {
					case i%50 == 7:
						panic("boom")
					case i%10 == 3:
						// Two rows, then a duplicate of the first: all three must go.
						if err := tx.Create(&note{Text: fmt.Sprintf("partial-%d", i)}).Error; err != nil {
							return err
						}
						return tx.Create(&note{Text: fmt.Sprintf("partial-%d", i)}).Error
					}
					return tx.Create(&note{Text: fmt.Sprintf("note-%d", i)}).Error
				})
			})
		}
		wg.Wait()
		for i, err := range errs {
			var count int64
			g.Model(&note{}).Where("text IN ?", []string{fmt.Sprintf("note-%d", i), fmt.Sprintf("partial-%d", i)}).Count(&count)
			switch {
			case i%50 == 7:
				if err == nil || count != 0 {
					t.Errorf("job %d panicked: err %v, %d rows", i, err, count)
				}
			case i%10 == 3:
				if !errors.Is(err, gorm.ErrDuplicatedKey) || count != 0 {
					t.Errorf("job %d failed halfway: err %v, %d rows kept", i, err, count)
				}
			default:
				if err != nil || count != 1 {
					t.Errorf("job %d: err %v, %d rows", i, err, count)
				}
			}
		}
	})
}

// TestBatcherClose: transactions queued before Close are committed; after it, Do still
// works, one transaction at a time.
func TestBatcherClose(t *testing.T) {
	g := dbtest.Open(t, "sqlite")
	if err := g.AutoMigrate(&note{}); err != nil {
		t.Fatal(err)
	}
	b := db.NewBatcher(g)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if err := b.Do(context.Background(), func(tx *gorm.DB) error { return tx.Create(&note{Text: fmt.Sprint(i)}).Error }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	b.Close()
	if err := b.Do(context.Background(), func(tx *gorm.DB) error { return tx.Create(&note{Text: "after"}).Error }); err != nil {
		t.Fatal(err)
	}
	var count int64
	g.Model(&note{}).Count(&count)
	if count != 51 {
		t.Fatalf("%d rows, want 51", count)
	}
}

// counter is a Deferred adding to one row.
type counter struct{ n int }

func (c *counter) Merge(o db.Deferred) { c.n += o.(*counter).n }
func (c *counter) Flush(tx *gorm.DB) error {
	return tx.Exec("UPDATE totals SET n = n + ?", c.n).Error
}

// TestBatcherDefer: deferred work of the transactions that succeed is merged and done
// once per batch; a failed transaction's is dropped with the rest of its work.
func TestBatcherDefer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		if err := g.Exec("CREATE TABLE totals (n INTEGER NOT NULL)").Error; err != nil {
			t.Fatal(err)
		}
		g.Exec("INSERT INTO totals (n) VALUES (0)")
		b := db.NewBatcher(g)
		defer b.Close()
		var wg sync.WaitGroup
		var failed atomic.Int64
		for i := range 100 {
			wg.Go(func() {
				err := b.Do(context.Background(), func(tx *gorm.DB) error {
					if err := db.Defer(tx, "total", &counter{n: i}); err != nil {
						return err
					}
					if i%7 == 0 {
						return errors.New("refused")
					}
					return nil
				})
				if err != nil {
					failed.Add(1)
				}
			})
		}
		wg.Wait()
		want := 0
		for i := range 100 {
			if i%7 != 0 {
				want += i
			}
		}
		var n int
		g.Raw("SELECT n FROM totals").Scan(&n)
		if n != want || failed.Load() != 15 {
			t.Fatalf("total %d, want %d; %d failed, want 15", n, want, failed.Load())
		}
		// Outside a Batcher, Defer does the work at once.
		if err := db.Defer(g, "total", &counter{n: 1}); err != nil {
			t.Fatal(err)
		}
		g.Raw("SELECT n FROM totals").Scan(&n)
		if n != want+1 {
			t.Fatalf("total %d after a direct Defer, want %d", n, want+1)
		}
	})
}

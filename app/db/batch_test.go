package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// inOneBatch runs the transactions fns through b in one batch, in this order: a first
// transaction holds the writer until all of them are queued behind it. It returns their
// errors.
func inOneBatch(t *testing.T, b *db.Batcher, fns ...func(tx *gorm.DB) error) []error {
	t.Helper()
	if len(fns) > db.BatchMax {
		t.Fatalf("%d transactions do not fit one batch", len(fns))
	}
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	wg.Go(func() {
		b.Do(ctx, func(tx *gorm.DB) error {
			once.Do(func() { close(started) })
			<-release
			return nil
		})
	})
	<-started
	errs := make([]error, len(fns))
	for i, fn := range fns {
		wg.Go(func() { errs[i] = b.Do(ctx, fn) })
		deadline := time.Now().Add(5 * time.Second)
		for b.Queued() < i+1 {
			if time.Now().After(deadline) {
				t.Fatalf("transaction %d not queued", i)
			}
			time.Sleep(time.Millisecond)
		}
	}
	close(release)
	wg.Wait()
	return errs
}

// TestBatcherRetry: a batch runs without savepoints until a transaction in it fails;
// then it is rolled back and run again with the failed one isolated, so the transactions
// before and after it are stored once, the failed one (a duplicate after a row of its
// own; a panic) leaves nothing, and deferred work counts only what was committed. A
// transaction that fails only when run again (it depends on more than the database) is
// isolated too.
func TestBatcherRetry(t *testing.T) {
	g := dbtest.Open(t, "sqlite") // PostgreSQL does not batch
	if err := g.AutoMigrate(&note{}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE TABLE totals (n INTEGER NOT NULL)", "INSERT INTO totals (n) VALUES (0)", "INSERT INTO notes (text) VALUES ('taken')"} {
		if err := g.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	b := db.NewBatcher(g)
	defer b.Close()
	var runs [6]atomic.Int32
	insert := func(i int, texts ...string) func(tx *gorm.DB) error {
		return func(tx *gorm.DB) error {
			runs[i].Add(1)
			if err := db.Defer(tx, "total", &counter{n: 1}); err != nil {
				return err
			}
			for _, text := range texts {
				if err := tx.Create(&note{Text: text}).Error; err != nil {
					return err
				}
			}
			return nil
		}
	}
	stored := func(text string) bool {
		var n int64
		g.Model(&note{}).Where("text = ?", text).Count(&n)
		return n == 1
	}
	total := func() (n int) {
		g.Raw("SELECT n FROM totals").Scan(&n)
		return n
	}

	t.Run("one fails", func(t *testing.T) {
		errs := inOneBatch(t, b,
			insert(0, "a0"),
			insert(1, "a1"),
			insert(2, "a2", "taken"), // a resubmission: its first row must go too
			insert(3, "a3"),
			func(tx *gorm.DB) error {
				runs[4].Add(1)
				tx.Create(&note{Text: "a4"})
				panic("boom")
			},
			insert(5, "a5"),
		)
		for i, err := range errs {
			text := fmt.Sprintf("a%d", i)
			switch i {
			case 2:
				if !errors.Is(err, gorm.ErrDuplicatedKey) || stored(text) {
					t.Errorf("job 2: err %v, stored %v; want the duplicate key error and nothing", err, stored(text))
				}
			case 4:
				if err == nil || stored(text) {
					t.Errorf("job 4 panicked: err %v, stored %v", err, stored(text))
				}
			default:
				if err != nil || !stored(text) {
					t.Errorf("job %d: err %v, stored %v", i, err, stored(text))
				}
			}
			if n := runs[i].Load(); n < 1 || n > 2 {
				t.Errorf("job %d ran %d times, want once or twice", i, n)
			}
		}
		if n := total(); n != 4 {
			t.Errorf("deferred total %d, want 4 (the four stored)", n)
		}
	})

	t.Run("fails when run again", func(t *testing.T) {
		var flaky atomic.Int32
		errs := inOneBatch(t, b,
			func(tx *gorm.DB) error {
				if flaky.Add(1) > 1 {
					return errors.New("not again")
				}
				return tx.Create(&note{Text: "b0"}).Error
			},
			insert(1, "b1", "taken"),
			insert(2, "b2"),
		)
		if errs[0] == nil || stored("b0") || !errors.Is(errs[1], gorm.ErrDuplicatedKey) || stored("b1") || errs[2] != nil || !stored("b2") {
			t.Errorf("errors %v; stored b0 %v, b1 %v, b2 %v; want only b2", errs, stored("b0"), stored("b1"), stored("b2"))
		}
		if n := flaky.Load(); n != 3 {
			t.Errorf("the flaky job ran %d times, want 3 (plain, plain again, in a savepoint)", n)
		}
		if n := total(); n != 5 {
			t.Errorf("deferred total %d, want 5", n)
		}
	})
}

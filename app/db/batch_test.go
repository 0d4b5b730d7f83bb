package db_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
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

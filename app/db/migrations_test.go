package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"cunlu/app/db"
	"cunlu/app/db/dbtest"
)

// TestMigrationRefundTo: migration 0008 records where each practice-shop refund goes. A
// return of a cash order still waiting for its refund is refunded in cash (so it is not
// paid into the wallet after the upgrade); every return already refunded was paid into the
// wallet, and says so, as do returns of wallet orders.
func TestMigrationRefundTo(t *testing.T) {
	for _, kind := range dbtest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			url := dbtest.URL(t, kind)
			var dialector gorm.Dialector = sqlite.Open(url)
			if kind == "postgres" {
				dialector = postgres.Open(url)
			}
			g, err := gorm.Open(dialector, &gorm.Config{Logger: logger.Discard})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close(g) })
			if err := gormigrate.New(g, gormigrate.DefaultOptions, db.Migrations()).MigrateTo("0007_must_change_password"); err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
			exec := func(sql string, args ...any) {
				t.Helper()
				if err := g.Exec(sql, args...).Error; err != nil {
					t.Fatal(err)
				}
			}
			exec("INSERT INTO users (id, login, name, role, created_at, updated_at) VALUES (1, 'v', 'V', 'villager', ?, ?)", now, now)
			for id, payment := range map[int]string{1: "cash", 2: "cash", 3: "wallet", 4: "wallet"} {
				exec(`INSERT INTO sandbox_orders (id, user_id, checkout_key, delivery, payment, goods_cents, shipping_cents, total_cents,
					placed_at, ship_at, warehouse_at, arrive_at, picked_up_at, pickup_code, created_at)
					VALUES (?, 1, ?, 'pickup', ?, 100, 0, 100, ?, ?, ?, ?, ?, '123456', ?)`, id, fmt.Sprint("key-", id), payment, now, now, now, now, now, now)
			}
			refunded := map[int]*time.Time{1: nil, 2: &now, 3: nil, 4: &now}
			for id, at := range refunded {
				exec(`INSERT INTO sandbox_aftersales (order_id, user_id, reason, amount_cents, requested_at, resolve_at, refunded_at)
					VALUES (?, 1, 'damaged', 100, ?, ?, ?)`, id, now, now.Add(24*time.Hour), at)
			}

			if err := db.Migrate(context.Background(), g); err != nil {
				t.Fatal(err)
			}
			var got []struct {
				OrderID  int
				RefundTo string
			}
			if err := g.Table("sandbox_aftersales").Select("order_id, refund_to").Order("order_id").Scan(&got).Error; err != nil {
				t.Fatal(err)
			}
			want := []string{1: "cash", 2: "wallet", 3: "wallet", 4: "wallet"}
			if len(got) != 4 {
				t.Fatalf("%d after-sales after the migration", len(got))
			}
			for _, a := range got {
				if a.RefundTo != want[a.OrderID] {
					t.Errorf("return of order %d: refund to %q, want %q", a.OrderID, a.RefundTo, want[a.OrderID])
				}
			}
		})
	}
}

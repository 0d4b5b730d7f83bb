package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cunlu/app"
	"cunlu/app/account"
	"cunlu/app/apptest"
	"cunlu/app/db"
	"cunlu/app/records"
)

// TestRecordsVerify: "cunlu records verify" says the demo database's audit log is whole,
// and finds an entry changed behind Cunlu's back.
func TestRecordsVerify(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "cunlu.db")
	srv := start(t, "-database-url", dbPath, "-demo")
	srv.stop(t)
	g, err := db.Open(context.Background(), dbPath, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(g)
	var coord account.User
	if err := g.Where("login = ?", "coordinator").Take(&coord).Error; err != nil {
		t.Fatal(err)
	}
	svc := records.NewService(g, account.NewService(g, account.Options{PINKey: make([]byte, 32)}), nil, func() time.Time { return time.Now().UTC() })
	for _, title := range []string{"电商入门班", "网店运营班"} {
		if _, err := svc.CreateClass(context.Background(), &coord, records.ClassForm{Title: title, Audience: records.ForBoth, TargetHours: "8", Trainer: "刘老师"}); err != nil {
			t.Fatal(err)
		}
	}
	verify := func() (int, string) {
		var stdout, stderr bytes.Buffer
		code := app.Run(context.Background(), apptest.Assets(t), []string{"records", "verify", "-database-url", dbPath}, func(string) string { return "" }, &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	if code, out := verify(); code != 0 || !strings.Contains(out, "ok: the audit log is whole: 2 entries") {
		t.Fatalf("verify: %d\n%s", code, out)
	}
	if err := g.Exec("UPDATE audit_log SET detail = 'x' WHERE id = 1").Error; err != nil {
		t.Fatal(err)
	}
	if code, out := verify(); code != 1 || !strings.Contains(out, "BROKEN: entry 1 was changed") {
		t.Errorf("verify after a change: %d\n%s", code, out)
	}
}

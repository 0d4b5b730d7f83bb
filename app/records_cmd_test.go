package app_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"log/slog"
	"os"
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
	if code, out := verify(); code != 0 || !strings.Contains(out, "ok: the audit log is whole: ") {
		t.Fatalf("verify: %d\n%s", code, out)
	}
	if err := g.Exec("UPDATE audit_log SET detail = 'x' WHERE id = 1").Error; err != nil {
		t.Fatal(err)
	}
	if code, out := verify(); code != 1 || !strings.Contains(out, "BROKEN: entry 1 was changed") {
		t.Errorf("verify after a change: %d\n%s", code, out)
	}
}

// TestRecordsVerifyPack: "cunlu records verify PACK" accepts a pack this server made (its
// key file) and names what was changed in one that was altered.
func TestRecordsVerifyPack(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "cunlu.db")
	srv := start(t, "-database-url", dbPath, "-demo")
	srv.stop(t)
	g, err := db.Open(context.Background(), dbPath, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(g)
	keyHex, err := os.ReadFile(dbPath + ".key")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := hex.DecodeString(strings.TrimSpace(string(keyHex)))
	accounts := account.NewService(g, account.Options{PINKey: key})
	var coord account.User
	if err := g.Where("login = ?", "coordinator").Take(&coord).Error; err != nil {
		t.Fatal(err)
	}
	county, err := accounts.Region(context.Background(), *coord.RegionID)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p, err := records.NewService(g, accounts, key, nil).BuildPack(context.Background(), &coord,
		records.PackRequest{Region: county, From: now.AddDate(0, 0, -30), To: now, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if p.People == 0 || p.Visits == 0 {
		t.Fatalf("the demo's pack is empty: 人数 %d 人次 %d", p.People, p.Visits)
	}
	var b bytes.Buffer
	if err := p.WriteZip(&b, key); err != nil {
		t.Fatal(err)
	}
	pack := filepath.Join(dir, "pack.zip")
	os.WriteFile(pack, b.Bytes(), 0o644)
	verify := func(file string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := app.Run(context.Background(), apptest.Assets(t), []string{"records", "verify", "-key-file", dbPath + ".key", file}, func(string) string { return "" }, &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	if code, out := verify(pack); code != 0 || !strings.Contains(out, "ok: the pack is as this server made it") || !strings.Contains(out, "seed 7") {
		t.Errorf("a fresh pack: %d\n%s", code, out)
	}
	forged := bytes.Replace(b.Bytes(), []byte("seed 7"), []byte("seed 8"), 1)
	if bytes.Equal(forged, b.Bytes()) {
		// The manifest is compressed in the zip: change a byte of the report instead.
		forged = append([]byte(nil), b.Bytes()...)
		forged[len(forged)/3] ^= 0xff
	}
	os.WriteFile(pack, forged, 0o644)
	if code, out := verify(pack); code != 1 {
		t.Errorf("a forged pack: %d\n%s", code, out)
	}
}

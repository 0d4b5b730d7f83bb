package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"cunlu/app/config"
	"cunlu/app/db"
	"cunlu/app/records"
)

const recordsUsage = `usage: cunlu records verify [-database-url URL]
       cunlu records verify [-key-file FILE] PACK.zip

With no PACK, verify checks the audit log of the training records: every entry must follow
the one before it and match its own hash. It prints the number of entries and the newest hash
(compare it with the one printed on an evidence pack handed over before), and exits 1 when
the chain is broken, naming each entry where it breaks.

With PACK, it checks an evidence pack made by this server (the same secret key): the
manifest's signature and every file's SHA-256. It exits 1 when anything was changed, added
or removed, naming what.`

// runRecords runs the "records" subcommands.
func runRecords(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, recordsUsage)
		return 2
	}
	var pack string
	rest := args[1:]
	if n := len(rest); n > 0 && strings.HasSuffix(rest[n-1], ".zip") {
		pack, rest = rest[n-1], rest[:n-1]
	}
	cfg, err := config.Parse(rest, getenv, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "cunlu records: %v\n", err)
		return 2
	}
	if pack != "" {
		return verifyPack(pack, cfg.KeyFile, stdout, stderr)
	}
	g, err := db.Open(ctx, cfg.DatabaseURL, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		fmt.Fprintf(stderr, "cunlu records: %v\n", err)
		return 1
	}
	defer db.Close(g)
	rep, err := records.NewService(g, nil, nil, nil).Verify(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "cunlu records: %v\n", err)
		return 1
	}
	for _, b := range rep.Broken {
		fmt.Fprintf(stdout, "BROKEN: %s\n", b)
	}
	if !rep.OK() {
		fmt.Fprintf(stdout, "the audit log was altered: %d entries, %d problems\n", rep.Entries, len(rep.Broken))
		return 1
	}
	fmt.Fprintf(stdout, "ok: the audit log is whole: %d entries, newest hash %s\n", rep.Entries, rep.Head)
	return 0
}

// verifyPack checks an evidence pack against the server's key.
func verifyPack(path, keyFile string, stdout, stderr io.Writer) int {
	key, made, err := loadKey(keyFile)
	if err != nil {
		fmt.Fprintf(stderr, "cunlu records: %v\n", err)
		return 1
	}
	if made {
		fmt.Fprintf(stderr, "cunlu records: %s held no key: this is not the server that made the pack\n", keyFile)
		return 1
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "cunlu records: %v\n", err)
		return 1
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		fmt.Fprintf(stderr, "cunlu records: %v\n", err)
		return 1
	}
	chk, err := records.VerifyPack(f, st.Size(), key)
	if err != nil {
		fmt.Fprintf(stderr, "cunlu records: %v\n", err)
		return 1
	}
	fmt.Fprint(stdout, chk.Manifest)
	for _, p := range chk.Problems {
		fmt.Fprintf(stdout, "ALTERED: %s\n", p)
	}
	if len(chk.Problems) > 0 {
		fmt.Fprintf(stdout, "the pack was altered: %d problems\n", len(chk.Problems))
		return 1
	}
	fmt.Fprintln(stdout, "ok: the pack is as this server made it")
	return 0
}

package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"cunlu/app/config"
	"cunlu/app/db"
	"cunlu/app/records"
)

const recordsUsage = `usage: cunlu records verify [-database-url URL]

verify checks the audit log of the training records: every entry must follow the one before
it and match its own hash. It prints the number of entries and the newest hash (compare it
with the one printed on an evidence pack handed over before), and exits 1 when the chain is
broken, naming each entry where it breaks.`

// runRecords runs the "records" subcommands.
func runRecords(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, recordsUsage)
		return 2
	}
	cfg, err := config.Parse(args[1:], getenv, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "cunlu records: %v\n", err)
		return 2
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

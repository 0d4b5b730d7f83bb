package app

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gorm.io/driver/sqlite"

	"cunlu/app/config"
	"cunlu/app/db"
)

const backupUsage = "usage: cunlu backup [-database-url URL] FILE"

// runBackup runs "cunlu backup [-database-url URL] FILE": a consistent copy of the SQLite
// database (DATABASE_URL or -database-url, as the server reads it) written to FILE while
// the server keeps serving. It never overwrites a file, and it checks the copy before
// giving it its name. PostgreSQL is backed up with pg_dump instead; README.md says how.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	// The server's own settings give the default database, so a bad environment fails here
	// the way it would fail the server.
	cfg, err := config.Parse(nil, getenv, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "cunlu backup: configuration: %v\n", err)
		return 2
	}
	fset := flag.NewFlagSet("cunlu backup", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() {
		fmt.Fprintln(stderr, backupUsage)
		fset.PrintDefaults()
	}
	dbURL := fset.String("database-url", cfg.DatabaseURL, "SQLite file path to back up (DATABASE_URL)")
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	// FILE may come before or after the flag.
	rest := fset.Args()
	if len(rest) > 0 {
		if err := fset.Parse(rest[1:]); err != nil {
			return 2
		}
	}
	if len(rest) == 0 || fset.NArg() > 0 || strings.TrimSpace(rest[0]) == "" {
		fmt.Fprintln(stderr, backupUsage)
		return 2
	}
	dst := rest[0]

	if db.IsPostgres(*dbURL) {
		fmt.Fprint(stderr, `cunlu backup: the database is PostgreSQL; back it up with PostgreSQL's own tool, pg_dump,
which takes a consistent copy while Cunlu keeps running:
  pg_dump --format=custom --file=cunlu.dump "$DATABASE_URL"
and restore it into an empty database with pg_restore:
  pg_restore --no-owner --exit-on-error --dbname="$NEW_DATABASE_URL" cunlu.dump
README.md ("Backups") has the details.
`)
		return 1
	}
	src := sqlitePath(*dbURL)
	if st, err := os.Stat(src); err != nil {
		fmt.Fprintf(stderr, "cunlu backup: database %s: %v\n", src, err)
		return 1
	} else if !st.Mode().IsRegular() {
		fmt.Fprintf(stderr, "cunlu backup: database %s is not a file\n", src)
		return 1
	}
	if _, err := os.Lstat(dst); err == nil {
		fmt.Fprintf(stderr, "cunlu backup: %s already exists; a backup never overwrites a file, choose a new name\n", dst)
		return 1
	} else if !errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stderr, "cunlu backup: %v\n", err)
		return 1
	}
	start := time.Now()
	size, err := backupSQLite(ctx, src, dst)
	if err != nil {
		fmt.Fprintf(stderr, "cunlu backup: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Backed up %s to %s: %d bytes in %s; integrity check of the copy: ok.\n",
		src, dst, size, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "To restore it: stop Cunlu, copy %s over %s, delete %s-wal and %s-shm if they exist, and start Cunlu.\n",
		dst, src, src, src)
	return 0
}

// sqlitePath is the file named by a SQLite DATABASE_URL ("cunlu.db", "file:cunlu.db?…").
func sqlitePath(databaseURL string) string {
	p := strings.TrimPrefix(databaseURL, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// sqliteURI makes a SQLite URI of a file path with query parameters; "mode=rw" there
// means a missing file is an error instead of a new empty database.
func sqliteURI(path, query string) string {
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + path + "?" + query
}

// backupSQLite copies the database at src to dst with VACUUM INTO, which reads one
// consistent snapshot (a read transaction: under WAL the server's writers carry on beside
// it). The copy is written under a temporary name in dst's folder, flushed to disk,
// checked with PRAGMA integrity_check, and only then linked to dst, which fails rather than
// replace a file that appeared meanwhile. It returns the size of the copy.
func backupSQLite(ctx context.Context, src, dst string) (int64, error) {
	dir := filepath.Dir(dst)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return 0, err
	}
	tmpName := tmp.Name()
	tmp.Close() // VACUUM INTO accepts an empty file; the name stays reserved meanwhile.
	defer func() {
		for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
			os.Remove(tmpName + suffix)
		}
	}()

	from, err := sql.Open(sqlite.DriverName, sqliteURI(src, "mode=rw&_busy_timeout=10000"))
	if err != nil {
		return 0, err
	}
	from.SetMaxOpenConns(1)
	_, err = from.ExecContext(ctx, "VACUUM INTO ?", tmpName)
	if cerr := from.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("copy %s: %w", src, err)
	}
	// VACUUM INTO does not sync what it wrote; a backup must survive a power cut.
	if err := syncFile(tmpName); err != nil {
		return 0, err
	}
	if err := integrityCheck(ctx, tmpName); err != nil {
		return 0, fmt.Errorf("the copy of %s failed its check, nothing was saved: %w", src, err)
	}
	if err := publish(tmpName, dst); err != nil {
		return 0, err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the new name itself survives a power cut
		d.Close()
	}
	st, err := os.Stat(dst)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func syncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// integrityCheck runs PRAGMA integrity_check on a SQLite file and returns an error with
// what it found unless the answer is "ok".
func integrityCheck(ctx context.Context, path string) error {
	g, err := sql.Open(sqlite.DriverName, sqliteURI(path, "mode=rw&_busy_timeout=10000"))
	if err != nil {
		return err
	}
	defer g.Close()
	rows, err := g.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		found = append(found, s)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(found) != 1 || found[0] != "ok" {
		if len(found) > 5 {
			found = append(found[:5], "…")
		}
		return fmt.Errorf("integrity check: %s", strings.Join(found, "; "))
	}
	return nil
}

// publish gives the finished copy its name without ever replacing an existing file: a
// hard link fails if the name is taken. Where the file system has no hard links it falls
// back to a rename after a check.
func publish(tmp, dst string) error {
	err := os.Link(tmp, dst)
	if err == nil {
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; a backup never overwrites a file, choose a new name", dst)
	}
	if _, serr := os.Lstat(dst); !errors.Is(serr, fs.ErrNotExist) {
		return fmt.Errorf("%s already exists; a backup never overwrites a file, choose a new name", dst)
	}
	return os.Rename(tmp, dst)
}

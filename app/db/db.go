// Package db opens Cunlu's database (SQLite by default, PostgreSQL for larger deployments)
// and brings its schema up to date through versioned migrations.
package db

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	"gorm.io/plugin/dbresolver"
)

// IsPostgres reports whether a DATABASE_URL names a PostgreSQL server.
func IsPostgres(databaseURL string) bool {
	return strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://")
}

// Open connects to the database named by databaseURL and migrates its schema.
//
// SQLite gets two connection pools: one connection that writes (every write and every
// transaction, which begin immediately, so writers take turns in Go's pool rather than in
// SQLite's busy handler) and a few that only read, beside the writer under WAL. GORM's
// dbresolver sends each statement to the right one. PostgreSQL gets one pool.
func Open(ctx context.Context, databaseURL string, log *slog.Logger) (*gorm.DB, error) {
	cfg := &gorm.Config{
		// Single statements are atomic already; multi-step writes use explicit transactions.
		SkipDefaultTransaction: IsPostgres(databaseURL),
		Logger:                 newLogger(log),
		NowFunc:                func() time.Time { return time.Now().UTC() },
		TranslateError:         true,
	}
	if IsPostgres(databaseURL) {
		g, err := gorm.Open(postgres.Open(databaseURL), cfg)
		if err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		sqlDB, err := g.DB()
		if err != nil {
			return nil, err
		}
		sqlDB.SetMaxOpenConns(32)
		sqlDB.SetMaxIdleConns(16)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		return ready(ctx, g)
	}
	writer, err := sql.Open("sqlite3", sqliteDSN(databaseURL, false))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	writer.SetMaxOpenConns(1)
	reader, err := sql.Open("sqlite3", sqliteDSN(databaseURL, true))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	reader.SetMaxOpenConns(4)
	reader.SetMaxIdleConns(4)
	reader.SetConnMaxIdleTime(5 * time.Minute)
	g, err := gorm.Open(sqlite.New(sqlite.Config{DSN: databaseURL, Conn: writer}), cfg)
	if err == nil {
		err = g.Use(dbresolver.Register(dbresolver.Config{Replicas: []gorm.Dialector{sqlite.New(sqlite.Config{Conn: reader})}}))
	}
	if err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return ready(ctx, g)
}

// ready checks the connection and brings the schema up to date.
func ready(ctx context.Context, g *gorm.DB) (*gorm.DB, error) {
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		Close(g)
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if err := Migrate(ctx, g); err != nil {
		Close(g)
		return nil, err
	}
	return g, nil
}

// Close closes the connection pools behind g.
func Close(g *gorm.DB) error {
	if r, ok := g.Config.Plugins[(&dbresolver.DBResolver{}).Name()].(*dbresolver.DBResolver); ok {
		return r.Call(func(p gorm.ConnPool) error {
			if c, ok := p.(interface{ Close() error }); ok {
				return c.Close()
			}
			return nil
		})
	}
	sqlDB, err := g.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// sqliteDSN turns a file path into a DSN with the pragmas Cunlu relies on: the write-ahead
// log, a busy timeout, immediate transactions, foreign keys; synchronous=FULL makes every
// acknowledged commit survive a power cut, not just a crash of the process. Reading
// connections are query_only, so a statement sent to the wrong pool fails loudly.
func sqliteDSN(path string, readOnly bool) string {
	path = strings.TrimPrefix(path, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	q.Set("_foreign_keys", "1")
	q.Set("_synchronous", "FULL")
	if readOnly {
		q.Set("_query_only", "1")
	}
	return "file:" + path + "?" + q.Encode()
}

// IsSQLite reports whether g talks to SQLite (a few queries differ by dialect).
func IsSQLite(g *gorm.DB) bool { return g.Dialector.Name() == "sqlite" }

type slogLogger struct {
	log   *slog.Logger
	level logger.LogLevel
}

func newLogger(log *slog.Logger) logger.Interface {
	return &slogLogger{log: log, level: logger.Warn}
}

func (l *slogLogger) LogMode(level logger.LogLevel) logger.Interface {
	c := *l
	c.level = level
	return &c
}

func (l *slogLogger) Info(ctx context.Context, msg string, args ...any) {
	if l.level >= logger.Info {
		l.log.InfoContext(ctx, fmt.Sprintf(msg, args...))
	}
}

func (l *slogLogger) Warn(ctx context.Context, msg string, args ...any) {
	if l.level >= logger.Warn {
		l.log.WarnContext(ctx, fmt.Sprintf(msg, args...))
	}
}

func (l *slogLogger) Error(ctx context.Context, msg string, args ...any) {
	if l.level >= logger.Error {
		l.log.ErrorContext(ctx, fmt.Sprintf(msg, args...))
	}
}

// Trace logs slow queries; failed queries are returned to the caller, which decides whether they matter.
func (l *slogLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	if elapsed > 500*time.Millisecond && l.level >= logger.Warn {
		sql, rows := fc()
		l.log.WarnContext(ctx, "slow query", "elapsed", elapsed, "rows", rows, "sql", sql)
	} else if l.level >= logger.Info {
		sql, rows := fc()
		l.log.DebugContext(ctx, "query", "elapsed", elapsed, "rows", rows, "sql", sql, "err", err)
	}
}

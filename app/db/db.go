// Package db opens Cunlu's database (SQLite by default, PostgreSQL for larger deployments)
// and brings its schema up to date through versioned migrations.
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// IsPostgres reports whether a DATABASE_URL names a PostgreSQL server.
func IsPostgres(databaseURL string) bool {
	return strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://")
}

// Open connects to the database named by databaseURL and migrates its schema.
// For SQLite it turns on WAL, a busy timeout, immediate transactions (so two writers queue
// instead of failing with "database is locked" halfway through) and foreign keys.
func Open(ctx context.Context, databaseURL string, log *slog.Logger) (*gorm.DB, error) {
	cfg := &gorm.Config{
		// Single statements are atomic already; multi-step writes use explicit transactions.
		// On SQLite gorm's own transaction around each write is kept: it is how a single
		// create, update or delete waits for the writer's turn (serialPool) instead of in
		// SQLite's busy handler, holding a connection (a create reads its new id back, so
		// it is a query, which does not queue by itself).
		SkipDefaultTransaction: IsPostgres(databaseURL),
		Logger:                 newLogger(log),
		NowFunc:                func() time.Time { return time.Now().UTC() },
		TranslateError:         true,
	}
	var dialector gorm.Dialector
	if IsPostgres(databaseURL) {
		dialector = postgres.Open(databaseURL)
	} else {
		dsn := sqliteDSN(databaseURL)
		conn := sql.OpenDB(sqliteConnector{dsn: dsn, driver: &sqlite3.SQLiteDriver{ConnectHook: setUpSQLiteConn}})
		dialector = sqlite.New(sqlite.Config{DSN: dsn, Conn: newSerialPool(conn)})
	}
	g, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	if IsPostgres(databaseURL) {
		sqlDB.SetMaxOpenConns(32)
		sqlDB.SetMaxIdleConns(16)
	} else {
		// SQLite has one writer; a few connections let reads run beside it under WAL. Each
		// keeps its own page cache and prepared statements, so not more than needed.
		sqlDB.SetMaxOpenConns(4)
		sqlDB.SetMaxIdleConns(4)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if err := Migrate(ctx, g); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return g, nil
}

// Close closes the connection pool behind g.
func Close(g *gorm.DB) error {
	sqlDB, err := g.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// sqliteDSN turns a file path into a DSN with the pragmas Cunlu relies on. synchronous=FULL
// makes every acknowledged commit survive a power cut, not just a crash of the process.
func sqliteDSN(path string) string {
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
	q.Set("_cache_size", "-1000")
	return "file:" + path + "?" + q.Encode()
}

// sqliteConnector opens SQLite connections with the DSN's settings and those the DSN
// cannot carry (setUpSQLiteConn).
type sqliteConnector struct {
	dsn    string
	driver *sqlite3.SQLiteDriver
}

func (c sqliteConnector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c sqliteConnector) Driver() driver.Driver                        { return c.driver }

// walAutoCheckpoint is the size of the write-ahead log, in pages, at which a commit copies
// the log's pages into the database file (a checkpoint) before it returns. SQLite's
// default is 1,000 pages (4 MB); under quiz load that was a checkpoint every few batches,
// each with two fsyncs, in the writer's turn while every other writer waits. With four
// times the log, each checkpoint copies a page changed many times over once (the
// roll-up rows are), and quiz writes were 5-10 % faster. 16 MB of log costs disk, not
// memory, and is replayed in well under the start-up budget after a crash.
const walAutoCheckpoint = 4000

// setUpSQLiteConn sets what the DSN cannot carry.
func setUpSQLiteConn(c *sqlite3.SQLiteConn) error {
	_, err := c.Exec(fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", walAutoCheckpoint), nil)
	return err
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

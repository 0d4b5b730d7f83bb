package db

import (
	"context"
	"database/sql"
	"strings"

	"gorm.io/gorm"
)

// Reads on the hot paths (every signed-in request reads its session; every lesson page its
// course's progress) go straight to the connection pool on SQLite, whose statements are
// prepared once (serialPool), instead of through gorm's statement building, callbacks and
// reflection (a quarter of those reads' time). On PostgreSQL they go through gorm, which
// numbers the placeholders ($1, $2, …). Queries use one "?" per argument: a slice is not
// expanded (Placeholders writes the list for IN). g may be a transaction: the query runs
// in it.

// Rows runs a read query of a hot path.
func Rows(ctx context.Context, g *gorm.DB, query string, args ...any) (*sql.Rows, error) {
	if IsSQLite(g) {
		return g.Statement.ConnPool.QueryContext(ctx, query, args...)
	}
	return g.WithContext(ctx).Raw(query, args...).Rows()
}

// Row runs a read query of a hot path that returns at most one row.
func Row(ctx context.Context, g *gorm.DB, query string, args ...any) *sql.Row {
	if IsSQLite(g) {
		return g.Statement.ConnPool.QueryRowContext(ctx, query, args...)
	}
	return g.WithContext(ctx).Raw(query, args...).Row()
}

// Placeholders is "?, ?, …" for n values (at least one: "NULL" for none, which matches
// nothing in an IN list).
func Placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	return "?" + strings.Repeat(", ?", n-1)
}

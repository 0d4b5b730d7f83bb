package progress

import (
	"database/sql"
	"strings"

	"gorm.io/gorm"

	"cunlu/app/db"
)

// The statements of a quiz submission run in the writer's batch (db.Batcher), one
// submission after another, so every microsecond they take bounds the submissions per
// second. On SQLite the helpers here hand a statement straight to the transaction's
// connection, whose statements are prepared once (see db's serialPool), skipping gorm's
// statement building and callbacks (about a seventh of the writer's time); on PostgreSQL
// they go through gorm, which also numbers the placeholders ($1, $2, …).

// execHot runs a statement of the quiz's hot path in tx and returns how many rows it
// changed. Errors are translated as gorm would (a unique key: gorm.ErrDuplicatedKey).
func execHot(tx *gorm.DB, query string, args ...any) (int64, error) {
	if !db.IsSQLite(tx) {
		res := tx.Exec(query, args...)
		return res.RowsAffected, res.Error
	}
	res, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, query, args...)
	if err != nil {
		return 0, translate(tx, err)
	}
	return res.RowsAffected()
}

// insertHot runs an INSERT of one row and returns the new row's id.
func insertHot(tx *gorm.DB, query string, args ...any) (uint, error) {
	var id int64
	var err error
	if db.IsSQLite(tx) {
		// SQLite gives the new row's id with the result; RETURNING made it collect its
		// rows in a temporary table first and cost two to three times the insert.
		var res sql.Result
		if res, err = tx.Statement.ConnPool.ExecContext(tx.Statement.Context, query, args...); err == nil {
			id, err = res.LastInsertId()
		}
	} else {
		err = tx.Raw(query+" RETURNING id", args...).Scan(&id).Error
	}
	// gorm does not translate errors met while reading RETURNING rows (PostgreSQL reports
	// a unique key's violation there), nor those of statements it does not run.
	return uint(id), translate(tx, err)
}

// queryRowHot runs a query of the quiz's hot path that returns at most one row and scans
// it into dest; no row leaves dest as it was.
func queryRowHot(tx *gorm.DB, query string, args []any, dest ...any) error {
	err := db.Row(tx.Statement.Context, tx, query, args...).Scan(dest...)
	if err == sql.ErrNoRows {
		return nil
	}
	return err
}

// insertRowsHot inserts (or upserts) rows with one statement, head + " VALUES (?, …), (?, …) " + tail, whose
// rows have width values each, args holding them row after row. PostgreSQL takes them
// in one statement (one round trip); SQLite one row at a time through one prepared
// statement: a statement of many rows had to be prepared for each number of rows, and
// journals the pages it changes in case it fails halfway (measured: 40 % slower a row).
func insertRowsHot(tx *gorm.DB, head, tail string, width int, args []any) error {
	if len(args) == 0 {
		return nil
	}
	row := "(" + db.Placeholders(width) + ")"
	if db.IsSQLite(tx) {
		query := head + " VALUES " + row + " " + tail
		for i := 0; i < len(args); i += width {
			if _, err := execHot(tx, query, args[i:i+width]...); err != nil {
				return err
			}
		}
		return nil
	}
	var q strings.Builder
	q.WriteString(head)
	q.WriteString(" VALUES ")
	for i := 0; i < len(args); i += width {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(row)
	}
	q.WriteString(" ")
	q.WriteString(tail)
	return tx.Exec(q.String(), args...).Error
}

// translate turns a driver's error into gorm's (gorm.ErrDuplicatedKey for a unique key).
func translate(tx *gorm.DB, err error) error {
	if t, ok := tx.Dialector.(gorm.ErrorTranslator); ok && err != nil {
		return t.Translate(err)
	}
	return err
}

package db

import (
	"context"
	"database/sql"
	"sync"

	"gorm.io/gorm"
)

// serialPool is the SQLite connection pool with one difference: write transactions take
// turns in Go before they begin. SQLite lets one writer in at a time anyway; without the
// queue, the others wait in SQLite's busy handler, which sleeps 1, 2, 5 … 100 ms between
// tries and wakes late, so under load most of a second goes to sleeping. Queued here, the
// next transaction begins the moment the last one ends. Reads outside transactions do
// not queue: under WAL they run beside the writer.
type serialPool struct {
	*sql.DB
	turn chan struct{}
}

func newSerialPool(d *sql.DB) *serialPool { return &serialPool{DB: d, turn: make(chan struct{}, 1)} }

// BeginTx waits for the writer's turn (or the context's end), then begins.
func (p *serialPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	select {
	case p.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	tx, err := p.DB.BeginTx(ctx, opts)
	if err != nil {
		<-p.turn
		return nil, err
	}
	return &serialTx{Tx: tx, done: func() { <-p.turn }}, nil
}

// GetDBConn lets gorm's DB() reach the *sql.DB.
func (p *serialPool) GetDBConn() (*sql.DB, error) { return p.DB, nil }

// serialTx hands the turn on when the transaction ends, whichever way.
type serialTx struct {
	*sql.Tx
	once sync.Once
	done func()
}

func (t *serialTx) Commit() error {
	defer t.once.Do(t.done)
	return t.Tx.Commit()
}

func (t *serialTx) Rollback() error {
	defer t.once.Do(t.done)
	return t.Tx.Rollback()
}

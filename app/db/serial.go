package db

import (
	"context"
	"database/sql"
	"sync"

	"gorm.io/gorm"
)

// serialPool is the SQLite connection pool with three differences. Write transactions take
// turns in Go before they begin; and statements are prepared once and kept (parsing was
// a third of the time SQLite spent on a quiz submission; gorm's own statement cache
// prepares again inside every transaction); and statements are not cancellable: given a
// cancellable context, the SQLite driver steps every row and runs every statement in a
// goroutine of its own so that it can interrupt it, and under load waiting for those
// goroutines to be scheduled was most of a quiz submission's time in the writer. SQLite
// statements here are short; a lock is waited for at most the busy timeout. SQLite lets one writer in at a time anyway; without the
// queue, the others wait in SQLite's busy handler, which sleeps 1, 2, 5 … 100 ms between
// tries and wakes late, so under load most of a second goes to sleeping. Queued here, the
// next transaction begins the moment the last one ends. Reads outside transactions do
// not queue: under WAL they run beside the writer.
type serialPool struct {
	*sql.DB
	turn chan struct{}

	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

// maxStmts bounds the statement cache: a few queries vary in text (IN lists).
const maxStmts = 256

func newSerialPool(d *sql.DB) *serialPool {
	return &serialPool{DB: d, turn: make(chan struct{}, 1), stmts: map[string]*sql.Stmt{}}
}

// stmt returns the prepared statement for query, or nil when the cache is full.
func (p *serialPool) stmt(ctx context.Context, query string) *sql.Stmt {
	p.mu.RLock()
	st, ok := p.stmts[query]
	p.mu.RUnlock()
	if ok {
		return st
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.stmts[query]; ok {
		return st
	}
	if len(p.stmts) >= maxStmts {
		return nil
	}
	st, err := p.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil // the plain call reports the error
	}
	p.stmts[query] = st
	return st
}

func (p *serialPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if st := p.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.DB.ExecContext(ctx, query, args...)
}

func (p *serialPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, query, args...)
}

func (p *serialPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, query, args...)
}

// BeginTx waits for the writer's turn (or the context's end), then begins.
func (p *serialPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	select {
	case p.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	tx, err := p.DB.BeginTx(context.WithoutCancel(ctx), opts)
	if err != nil {
		<-p.turn
		return nil, err
	}
	return &serialTx{Tx: tx, pool: p, done: func() { <-p.turn }}, nil
}

// GetDBConn lets gorm's DB() reach the *sql.DB.
func (p *serialPool) GetDBConn() (*sql.DB, error) { return p.DB, nil }

// serialTx hands the turn on when the transaction ends, whichever way.
type serialTx struct {
	*sql.Tx
	pool *serialPool
	once sync.Once
	done func()

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // the pool's statements bound to this transaction
}

// The statements of a transaction use the pool's prepared statements on its connection.

// stmt returns the pool's statement for query bound to this transaction, or nil. A batch
// of quiz submissions runs the same few statements hundreds of times in one transaction;
// binding each anew (Tx.StmtContext) allocated and locked every time. database/sql
// closes them with the transaction.
func (t *serialTx) stmt(ctx context.Context, query string) *sql.Stmt {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st, ok := t.stmts[query]; ok {
		return st
	}
	ps := t.pool.stmt(ctx, query)
	if ps == nil {
		return nil
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	st := t.Tx.StmtContext(ctx, ps)
	t.stmts[query] = st
	return st
}

func (t *serialTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t *serialTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t *serialTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}

func (t *serialTx) Commit() error {
	defer t.once.Do(t.done)
	return t.Tx.Commit()
}

func (t *serialTx) Rollback() error {
	defer t.once.Do(t.done)
	return t.Tx.Rollback()
}

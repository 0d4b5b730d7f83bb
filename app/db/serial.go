package db

import (
	"context"
	"database/sql"
	"sync"

	"gorm.io/gorm"
)

// serialPool is the SQLite connection pool with three differences. Writes take turns in
// Go before they begin (a transaction holds the turn from BEGIN to COMMIT, a single
// statement outside one while it runs); and statements are prepared once and kept
// (parsing was a third of the time SQLite spent on a quiz submission; gorm's own
// statement cache prepares again inside every transaction); and statements are not
// cancellable: given a cancellable context, the SQLite driver steps every row and runs
// every statement in a goroutine of its own so that it can interrupt it, and under load
// waiting for those goroutines to be scheduled was most of a quiz submission's time in
// the writer. SQLite statements here are short; a lock is waited for at most the busy
// timeout. SQLite lets one writer in at a time anyway; without the queue, the others wait
// in SQLite's busy handler, which sleeps 1, 2, 5 … 100 ms between tries and wakes late, so
// under load most of a second goes to sleeping, holding one of the pool's few
// connections. Queued here, the next write begins the moment the last one ends. Reads
// outside transactions do not queue: under WAL they run beside the writer.
//
// The writer never needs a second connection: a statement a transaction has not seen
// before runs unprepared on the transaction's own connection and is prepared for the pool
// afterwards, outside the turn. (Preparing it through the pool inside the transaction
// waited for a free connection while the pool's others waited in the busy handler for
// the transaction's write lock: every write stopped for the busy timeout.)
type serialPool struct {
	*sql.DB
	turn chan struct{}

	mu        sync.RWMutex
	stmts     map[string]*sql.Stmt
	preparing map[string]bool // being prepared in the background (prepareLater)
}

// maxStmts bounds the statement cache: a few queries vary in text (IN lists).
const maxStmts = 256

func newSerialPool(d *sql.DB) *serialPool {
	return &serialPool{DB: d, turn: make(chan struct{}, 1), stmts: map[string]*sql.Stmt{}, preparing: map[string]bool{}}
}

// cached returns the prepared statement for query, or nil when it has none yet.
func (p *serialPool) cached(query string) *sql.Stmt {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.stmts[query]
}

// stmt returns the prepared statement for query, preparing it first if need be, or nil
// when the cache is full. The caller must hold no connection of the pool: preparing takes
// one.
func (p *serialPool) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := p.cached(query); st != nil {
		return st
	}
	p.mu.RLock()
	full := len(p.stmts) >= maxStmts
	p.mu.RUnlock()
	if full {
		return nil
	}
	st, err := p.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil // the plain call reports the error
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.stmts[query]; ok { // prepared meanwhile by another caller
		st.Close()
		return old
	}
	if len(p.stmts) >= maxStmts {
		st.Close()
		return nil
	}
	p.stmts[query] = st
	return st
}

// prepareLater prepares query for the pool in the background (see serialPool).
func (p *serialPool) prepareLater(query string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.stmts[query]; ok || p.preparing[query] || len(p.stmts)+len(p.preparing) >= maxStmts {
		return
	}
	p.preparing[query] = true
	go func() {
		p.stmt(context.Background(), query)
		p.mu.Lock()
		delete(p.preparing, query)
		p.mu.Unlock()
	}()
}

// write holds the writer's turn while a statement outside a transaction runs (gorm's
// single-statement writes; reads do not queue).
func (p *serialPool) write(ctx context.Context) (release func(), err error) {
	select {
	case p.turn <- struct{}{}:
		return func() { <-p.turn }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *serialPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	release, err := p.write(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
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
	return &serialTx{Tx: tx, ctx: ctx, pool: p, done: func() { <-p.turn }}, nil
}

// GetDBConn lets gorm's DB() reach the *sql.DB.
func (p *serialPool) GetDBConn() (*sql.DB, error) { return p.DB, nil }

// serialTx hands the turn on when the transaction ends, whichever way. Its statements run
// on to the end, but it commits only while the context it began with lasts, as
// database/sql's transactions do: a request answered as out of time must have changed
// nothing.
type serialTx struct {
	*sql.Tx
	ctx  context.Context
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
	ps := t.pool.cached(query)
	if ps == nil {
		t.pool.prepareLater(query) // not here: this needs no second connection (serialPool)
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
	if err := t.ctx.Err(); err != nil {
		t.Tx.Rollback()
		return err
	}
	return t.Tx.Commit()
}

func (t *serialTx) Rollback() error {
	defer t.once.Do(t.done)
	return t.Tx.Rollback()
}

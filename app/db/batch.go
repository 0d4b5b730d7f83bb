package db

import (
	"context"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Batcher commits write transactions from many requests together ("group commit"). On
// SQLite every commit waits for the disk (synchronous=FULL, so an acknowledged write
// survives a power cut) and only one writer runs at a time; when many people submit at
// once, the Batcher runs the waiting transactions one after another inside a single
// database transaction, each in a savepoint of its own, and commits once. Each caller
// gets its own result, and only after the commit: a failed transaction is rolled back to
// its savepoint without touching the others, and if the commit fails every caller in it
// gets the error. Nothing is acknowledged before it is on disk.
//
// On PostgreSQL, Do runs the transaction directly: the server commits concurrent
// transactions together by itself.
type Batcher struct {
	g       *gorm.DB
	jobs    chan *batchJob
	max     int
	mu      sync.RWMutex // held to queue a job; Close takes it to stop queueing
	closed  bool
	stop    chan struct{}
	stopped sync.WaitGroup
}

type batchJob struct {
	ctx  context.Context
	fn   func(tx *gorm.DB) error
	err  error
	done chan error
}

// BatchMax is the most transactions committed together.
const BatchMax = 128

// batchTimeout bounds one batch's statements; a request's own context is not used for
// them, as cancelling a statement may roll back the whole shared transaction.
const batchTimeout = 30 * time.Second

// NewBatcher starts the batching writer for g (none for PostgreSQL). Close stops it.
func NewBatcher(g *gorm.DB) *Batcher {
	b := &Batcher{g: g, max: BatchMax}
	if IsSQLite(g) {
		b.jobs = make(chan *batchJob, BatchMax)
		b.stop = make(chan struct{})
		b.stopped.Add(1)
		go b.run()
	}
	return b
}

// Do runs fn in a transaction and returns its error once the transaction is committed
// (or rolled back). fn may run together with others; it must do all its work through tx.
func (b *Batcher) Do(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if b.jobs == nil {
		return b.direct(ctx, fn)
	}
	j := &batchJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return b.direct(ctx, fn)
	}
	select {
	case b.jobs <- j:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return ctx.Err()
	}
	// Once queued, the job's outcome is decided by the commit: wait for it even if the
	// request is cancelled, so the caller never reports failure for a stored write.
	return <-j.done
}

// direct runs fn in a transaction of its own.
func (b *Batcher) direct(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return b.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error { return runJob(tx, fn) })
}

// Close stops the writer after the queued transactions are committed.
func (b *Batcher) Close() {
	if b.jobs == nil {
		return
	}
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.stop)
	}
	b.mu.Unlock()
	b.stopped.Wait()
}

func (b *Batcher) run() {
	defer b.stopped.Done()
	batch := make([]*batchJob, 0, b.max)
	for {
		select {
		case j := <-b.jobs:
			batch = append(batch[:0], j)
		case <-b.stop:
			// Finish whatever was queued before the stop (nothing is queued after it).
			for {
				select {
				case j := <-b.jobs:
					b.commit([]*batchJob{j})
				default:
					return
				}
			}
		}
	more:
		for len(batch) < b.max {
			select {
			case j := <-b.jobs:
				batch = append(batch, j)
			default:
				break more
			}
		}
		b.commit(batch)
	}
}

// commit runs a batch in one transaction, each job in its own savepoint.
func (b *Batcher) commit(batch []*batchJob) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	err := b.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for i, j := range batch {
			if err := j.ctx.Err(); err != nil {
				j.err = err // given up on before it started: nothing written
				continue
			}
			sp := fmt.Sprintf("job%d", i)
			if err := tx.SavePoint(sp).Error; err != nil {
				return err
			}
			if j.err = runJob(tx, j.fn); j.err != nil {
				if err := tx.RollbackTo(sp).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
	for _, j := range batch {
		if err != nil {
			j.done <- fmt.Errorf("commit: %w", err)
		} else {
			j.done <- j.err
		}
	}
}

// runJob runs one transaction's work; a panic becomes its error and spares the batch.
func runJob(tx *gorm.DB, fn func(tx *gorm.DB) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in batched transaction: %v", r)
		}
	}()
	return fn(tx)
}

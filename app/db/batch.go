package db

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Batcher commits write transactions from many requests together ("group commit"). On
// SQLite every commit waits for the disk (synchronous=FULL, so an acknowledged write
// survives a power cut) and only one writer runs at a time; when many people submit at
// once, the Batcher runs the waiting transactions one after another inside a single
// database transaction and commits once. Each caller gets its own result, and only after
// the commit: a failed transaction is undone without touching the others (the batch is
// run again with it in a savepoint, see commit), and if the commit fails every caller in
// it gets the error. Nothing is acknowledged before it is on disk.
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
// fn may also run more than once: when another transaction of its batch fails, the batch
// is rolled back and run again (see commit), so fn must set whatever it returns to the
// caller anew on each run and have no other effect outside tx.
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
	return b.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		js := &jobState{}
		if err := runJob(tx.WithContext(context.WithValue(ctx, jobKey{}, js)), fn); err != nil {
			return err
		}
		return js.flush(tx)
	})
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

// commit runs a batch in one transaction. Most transactions succeed, so the first try runs
// them one after another without savepoints: after a savepoint SQLite copies every page
// the transaction changes into a sub-journal, which for a batch of thirty outgrew memory
// and went to a temporary file, thousands of writes a second. Only when a transaction fails
// (a resubmitted quiz meeting its unique key, say) is the batch rolled back and tried
// again, now with a savepoint around the failed transaction and each one after it: those
// before it succeeded on the same data a moment ago. Should one of them fail all the same
// (its work depends on more than the database), the third try puts every transaction in
// a savepoint, which cannot fail that way.
func (b *Batcher) commit(jobs []*batchJob) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	from := len(jobs) // the first job to run in a savepoint
	var err error
	for try := 1; ; try++ {
		var failed int
		failed, err = b.try(ctx, jobs, from)
		if err != errRetry {
			break
		}
		if try == 1 {
			from = failed
		} else {
			from = 0 // every job in a savepoint: no errRetry
		}
	}
	for _, j := range jobs {
		if err != nil {
			j.done <- fmt.Errorf("commit: %w", err)
		} else {
			j.done <- j.err
		}
	}
}

// errRetry rolls back a try of a batch in which a job without a savepoint failed.
var errRetry = errors.New("retry the batch with savepoints")

// try runs the jobs in one transaction, those from index from on each in a savepoint, and
// commits. When a job before from fails it rolls back and returns its index and errRetry.
func (b *Batcher) try(ctx context.Context, jobs []*batchJob, from int) (failed int, err error) {
	err = b.g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		batch := &jobState{}
		for i, j := range jobs {
			if err := j.ctx.Err(); err != nil {
				j.err = err // given up on before it started: nothing written
				continue
			}
			js := &jobState{}
			jtx := tx.WithContext(context.WithValue(ctx, jobKey{}, js))
			if i < from {
				if j.err = runJob(jtx, j.fn); j.err != nil {
					failed = i
					return errRetry
				}
				batch.merge(js)
				continue
			}
			// One name for all: each is released before the next begins, and the
			// statements' texts stay the same (the pool prepares each text once).
			const sp = "job"
			if err := tx.SavePoint(sp).Error; err != nil {
				return err
			}
			if j.err = runJob(jtx, j.fn); j.err != nil {
				if err := tx.RollbackTo(sp).Error; err != nil {
					return err
				}
			} else {
				batch.merge(js)
			}
			// Released, its changes become the batch's, and SQLite stops keeping a copy
			// of the pages the next job changes for it.
			if err := tx.Exec("RELEASE SAVEPOINT " + sp).Error; err != nil {
				return err
			}
		}
		return batch.flush(tx)
	})
	return failed, err
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

// Deferred is work that many transactions do alike, such as adding to the same counters:
// registered with Defer, it is merged with the same work of the other transactions of a
// batch that succeeded and done once, just before the commit.
type Deferred interface {
	// Merge adds other (of the same key, so of the same type) to this one.
	Merge(other Deferred)
	// Flush does the work in tx.
	Flush(tx *gorm.DB) error
}

type jobKey struct{}

// jobState holds one transaction's (or a whole batch's) deferred work, by key.
type jobState struct {
	keys []string
	work map[string]Deferred
}

func (s *jobState) add(key string, d Deferred) {
	if s.work == nil {
		s.work = map[string]Deferred{}
	}
	if have, ok := s.work[key]; ok {
		have.Merge(d)
		return
	}
	s.keys = append(s.keys, key)
	s.work[key] = d
}

func (s *jobState) merge(o *jobState) {
	for _, k := range o.keys {
		s.add(k, o.work[k])
	}
}

func (s *jobState) flush(tx *gorm.DB) error {
	for _, k := range s.keys {
		if err := s.work[k].Flush(tx); err != nil {
			return err
		}
	}
	return nil
}

// Defer registers d under key in tx's transaction when it runs through a Batcher (d is
// then done before the commit, merged with the batch's other work of that key, and only
// if this transaction succeeds); otherwise it does d now.
func Defer(tx *gorm.DB, key string, d Deferred) error {
	if js, ok := tx.Statement.Context.Value(jobKey{}).(*jobState); ok {
		js.add(key, d)
		return nil
	}
	return d.Flush(tx)
}

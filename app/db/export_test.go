package db

// Queued is how many transactions wait for the writer (tests use it to fill one batch).
func (b *Batcher) Queued() int { return len(b.jobs) }

// WALAutoCheckpoint is the log size at which a commit checkpoints itself.
const WALAutoCheckpoint = walAutoCheckpoint

// Migrations is the schema's history, for tests that stop it part way.
var Migrations = migrations

package records

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"cunlu/app/db"
	"cunlu/app/errs"
)

// AuditEntry is one line of the audit log: who changed what in the training records, when and
// why. Entries are only ever added. Each holds the hash of the one before it and its own hash
// over that and its fields, so an entry changed, removed or slipped in afterwards breaks the
// chain at that point (Verify). The newest hash, printed on every evidence pack, anchors it:
// rows removed from the end are found by comparing it with a pack handed over before.
type AuditEntry struct {
	ID       uint
	At       time.Time
	ActorID  uint   // the account that made the change
	ClassID  *uint  // the class it belongs to, when it does
	Action   string // what happened, e.g. "class.created", "enrolment.removed"
	Subject  string // what it happened to, e.g. "user:17"
	Detail   string // the change, as the page shows it
	Reason   string // why, where the change needs one
	PrevHash string
	Hash     string
}

func (AuditEntry) TableName() string { return "audit_log" }

// Change is an audit entry before it is chained.
type Change struct {
	ActorID uint
	ClassID *uint
	Action  string
	Subject string
	Detail  string
	Reason  string
}

// genesis is the "previous hash" of the first entry.
const genesis = "cunlu-audit-v1"

// chainLock keeps two PostgreSQL instances from appending at once (each must read the newest
// hash and add after it). SQLite has one writer, which does the same.
const chainLock = 7316002

// appendAudit adds c to the log inside tx, the transaction of the change it records, so the
// change and its trace commit together or not at all.
func appendAudit(tx *gorm.DB, now time.Time, c Change) error {
	if !db.IsSQLite(tx) {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", chainLock).Error; err != nil {
			return errs.Wrap(err, "lock audit log")
		}
	}
	var last AuditEntry
	prev := genesis
	err := tx.Order("id DESC").Limit(1).Find(&last).Error
	if err != nil {
		return errs.Wrap(err, "read audit log")
	}
	if last.ID != 0 {
		prev = last.Hash
	}
	e := AuditEntry{At: now.UTC().Truncate(time.Microsecond), ActorID: c.ActorID, ClassID: c.ClassID, Action: c.Action,
		Subject: c.Subject, Detail: c.Detail, Reason: c.Reason, PrevHash: prev}
	e.ID = last.ID + 1 // ids are the chain's order; the lock makes them consecutive
	e.Hash = e.sum()
	return errs.Wrap(tx.Create(&e).Error, "append audit log")
}

// sum is the entry's hash: SHA-256 over its previous hash and its fields in a fixed form.
func (e *AuditEntry) sum() string {
	class := uint(0)
	if e.ClassID != nil {
		class = *e.ClassID
	}
	fields, _ := json.Marshal([]any{e.ID, e.At.UTC().Format(time.RFC3339Nano), e.ActorID, class, e.Action, e.Subject, e.Detail, e.Reason})
	h := sha256.New()
	h.Write([]byte(e.PrevHash))
	h.Write([]byte{'\n'})
	h.Write(fields)
	return hex.EncodeToString(h.Sum(nil))
}

// head is the newest entry's hash (the genesis value for an empty log): what a pack prints
// to anchor the chain, read without walking it (Verify does that).
func (s *Service) head(ctx context.Context) (string, error) {
	var last AuditEntry
	if err := s.db.WithContext(ctx).Order("id DESC").Limit(1).Find(&last).Error; err != nil {
		return "", errs.Wrap(err, "read audit log")
	}
	if last.ID == 0 {
		return genesis, nil
	}
	return last.Hash, nil
}

// ChainReport is what Verify found.
type ChainReport struct {
	Entries int
	Head    string // the newest entry's hash (the genesis value for an empty log)
	Broken  []string
}

// OK reports whether the chain is whole.
func (r ChainReport) OK() bool { return len(r.Broken) == 0 }

// Verify walks the audit log in order and checks every link and every hash.
func (s *Service) Verify(ctx context.Context) (ChainReport, error) {
	rep := ChainReport{Head: genesis}
	var batch []AuditEntry
	prevID := uint(0)
	err := s.db.WithContext(ctx).Order("id").FindInBatches(&batch, 1000, func(tx *gorm.DB, _ int) error {
		for i := range batch {
			e := &batch[i]
			rep.Entries++
			switch {
			case e.ID != prevID+1:
				rep.Broken = append(rep.Broken, fmt.Sprintf("entry %d follows entry %d: entries are missing", e.ID, prevID))
			case e.PrevHash != rep.Head:
				rep.Broken = append(rep.Broken, fmt.Sprintf("entry %d does not follow the entry before it", e.ID))
			}
			if e.sum() != e.Hash {
				rep.Broken = append(rep.Broken, fmt.Sprintf("entry %d was changed after it was written", e.ID))
			}
			prevID, rep.Head = e.ID, e.Hash
		}
		return nil
	}).Error
	return rep, errs.Wrap(err, "read audit log")
}

// Log lists a class's audit entries, oldest first.
func (s *Service) Log(ctx context.Context, classID uint) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.db.WithContext(ctx).Where("class_id = ?", classID).Order("id").Find(&out).Error
	return out, errs.Wrap(err, "read audit log")
}

package course

import (
	"io/fs"
	"sync"
	"time"
)

// Library holds the parsed catalogue. In editing mode it re-reads the courses when a file
// changes, so an author sees an edit on the next page load; otherwise it parses once.
type Library struct {
	fsys  fs.FS
	known func(string) bool
	watch bool

	mu       sync.Mutex
	cat      *Catalog
	stamp    time.Time
	findings []Finding
}

// NewLibrary parses the courses in fsys. With watch, Catalog re-parses after a change.
func NewLibrary(fsys fs.FS, knownTask func(string) bool, watch bool) (*Library, []Finding, error) {
	lib := &Library{fsys: fsys, known: knownTask, watch: watch}
	cat, findings, err := Load(fsys, knownTask)
	if err != nil {
		return nil, nil, err
	}
	lib.cat, lib.findings, lib.stamp = cat, findings, latest(fsys)
	return lib, findings, nil
}

// Catalog returns the current catalogue. While editing, a catalogue whose files now have
// findings keeps the last good one and logs nothing here: `courses lint` shows the findings.
func (lib *Library) Catalog() *Catalog {
	if !lib.watch {
		return lib.cat
	}
	lib.mu.Lock()
	defer lib.mu.Unlock()
	if st := latest(lib.fsys); st.After(lib.stamp) {
		if cat, findings, err := Load(lib.fsys, lib.known); err == nil {
			lib.findings = findings
			if len(findings) == 0 {
				lib.cat = cat
			}
		}
		lib.stamp = st
	}
	return lib.cat
}

// Findings are the problems found by the last parse.
func (lib *Library) Findings() []Finding {
	lib.mu.Lock()
	defer lib.mu.Unlock()
	return lib.findings
}

// latest is the newest modification time of any file in fsys.
func latest(fsys fs.FS) time.Time {
	var t time.Time
	fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil && info.ModTime().After(t) {
			t = info.ModTime()
		}
		return nil
	})
	return t
}

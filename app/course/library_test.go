package course_test

import (
	"testing"
	"testing/fstest"
	"time"

	"cunlu/app/course"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// stampedFS is baseFS with every file modified at t0.
func stampedFS() fstest.MapFS {
	fsys := baseFS()
	for _, f := range fsys {
		f.ModTime = t0
	}
	return fsys
}

// retitle changes lesson l's source title, with the given modification time.
func retitle(fsys fstest.MapFS, title string, mod time.Time) {
	fsys["c/l.zh-CN.md"] = &fstest.MapFile{Data: []byte(lessonMD(zh, set("title", title))), ModTime: mod}
}

func title(lib *course.Library) string { return lib.Catalog().Lesson("c", "l").In(zh).Title }

func TestLibraryWatchReparsesAfterAChange(t *testing.T) {
	fsys := stampedFS()
	lib, findings, err := course.NewLibrary(fsys, nil, true)
	if err != nil || len(findings) != 0 {
		t.Fatalf("NewLibrary: %v %v", findings, err)
	}
	first := lib.Catalog()
	if lib.Catalog() != first || title(lib) != "标题" {
		t.Fatal("an unchanged library parsed again")
	}

	// Same modification time: nothing to notice, even though the bytes changed.
	retitle(fsys, "新标题", t0)
	if lib.Catalog() != first {
		t.Error("re-parsed without a newer file")
	}

	retitle(fsys, "新标题", t0.Add(time.Second))
	if title(lib) != "新标题" {
		t.Errorf("after an edit the title is %q, want 新标题", title(lib))
	}
	second := lib.Catalog()
	if second == first || lib.Catalog() != second {
		t.Error("want one new catalogue after the edit, then the same one")
	}

	// A new file counts as a change too.
	fsys["c/m.zh-CN.md"] = &fstest.MapFile{Data: []byte(lessonMD(zh, set("order", "2"))), ModTime: t0.Add(2 * time.Second)}
	fsys["c/m.en.md"] = &fstest.MapFile{Data: []byte(lessonMD(en, set("order", "2"))), ModTime: t0.Add(2 * time.Second)}
	if lib.Catalog().Lesson("c", "m") == nil {
		t.Error("a new lesson was not picked up")
	}
}

// While editing, a half-written file does not take the lesson away: the last good catalogue
// stays, and Findings says what is wrong until the file is fixed.
func TestLibraryWatchKeepsTheLastGoodCatalog(t *testing.T) {
	fsys := stampedFS()
	lib, _, err := course.NewLibrary(fsys, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	good := lib.Catalog()

	fsys["c/l.zh-CN.md"] = &fstest.MapFile{Data: []byte("---\ntitle: 写到一半\n"), ModTime: t0.Add(time.Second)}
	if lib.Catalog() != good {
		t.Error("a catalogue with findings replaced the last good one")
	}
	if len(lib.Findings()) == 0 {
		t.Error("no findings for the broken file")
	}

	retitle(fsys, "修好了", t0.Add(2*time.Second))
	if title(lib) != "修好了" || len(lib.Findings()) != 0 {
		t.Errorf("after the fix: title %q, findings %v", title(lib), lib.Findings())
	}
}

func TestLibraryWithoutWatchParsesOnce(t *testing.T) {
	fsys := stampedFS()
	lib, _, err := course.NewLibrary(fsys, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	first := lib.Catalog()
	retitle(fsys, "新标题", t0.Add(time.Hour))
	delete(fsys, "c/l.en.md")
	if lib.Catalog() != first || title(lib) != "标题" || len(lib.Findings()) != 0 {
		t.Error("a library without watch parsed again")
	}
}

func TestNewLibraryReportsFindings(t *testing.T) {
	fsys := withBase(gone("c/l.en.md"))
	lib, findings, err := course.NewLibrary(fsys, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || findings[0].File != "c/l.en.md" || len(lib.Findings()) != 1 {
		t.Errorf("findings %v, lib.Findings %v; want the missing translation", findings, lib.Findings())
	}
	if _, _, err := course.NewLibrary(errFS{}, nil, true); err == nil {
		t.Error("NewLibrary on an unreadable file system: no error")
	}
}

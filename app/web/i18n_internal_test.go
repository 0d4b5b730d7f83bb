package web

import (
	"io/fs"
	"maps"
	"slices"
	"testing"

	"github.com/BurntSushi/toml"

	"cunlu/app/sandbox"
)

// TestCatalogsHaveTheSameKeys keeps zh-CN and en complete: a key in one must be in the other.
func TestCatalogsHaveTheSameKeys(t *testing.T) {
	keys := map[string][]string{}
	for _, lang := range Languages {
		b, err := fs.ReadFile(localeFiles, "locales/"+lang+".toml")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := toml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		keys[lang] = slices.Sorted(maps.Keys(m))
		if len(m) < 100 {
			t.Fatalf("%s has only %d messages", lang, len(m))
		}
	}
	zh, en := keys["zh-CN"], keys["en"]
	for _, k := range zh {
		if !slices.Contains(en, k) {
			t.Errorf("en lacks %q", k)
		}
	}
	for _, k := range en {
		if !slices.Contains(zh, k) {
			t.Errorf("zh-CN lacks %q", k)
		}
	}
}

// Every practice task has a title and a hint for the learner, in both languages.
func TestEveryTaskHasATitleAndHint(t *testing.T) {
	b, err := fs.ReadFile(localeFiles, "locales/zh-CN.toml")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := toml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, id := range sandbox.TaskIDs {
		for _, part := range []string{"title", "hint"} {
			if _, ok := m["task."+id+"."+part]; !ok {
				t.Errorf("task %s has no %s", id, part)
			}
		}
	}
}

package app

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestLoadKey: the secret key is made once, readable by its owner only, and read back the
// same; instances starting at once all get the one key; a damaged key file stops the start.
func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cunlu.db.key")
	keys := make([][]byte, 8)
	made := make([]bool, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			var err error
			if keys[i], made[i], err = loadKey(path); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	n := 0
	for i := range keys {
		if made[i] {
			n++
		}
		if len(keys[i]) != 32 || !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("instance %d got key %x, instance 0 %x", i, keys[i], keys[0])
		}
	}
	if n != 1 {
		t.Errorf("%d instances made the key, want 1", n)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, mode %v, want 0600", err, fi.Mode())
	}
	again, madeAgain, err := loadKey(path)
	if err != nil || madeAgain || !bytes.Equal(again, keys[0]) {
		t.Errorf("second start: key %x made %v err %v", again, madeAgain, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".cunlu-key-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	os.WriteFile(path, []byte("not a key\n"), 0o600)
	if _, _, err := loadKey(path); err == nil {
		t.Error("a damaged key file was accepted")
	}
}

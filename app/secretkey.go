package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// loadKey reads the installation's secret key (the PIN hashes' key, account/pin.go) from
// path, making one on first start: 32 random bytes in hex, readable by its owner only. It
// reports whether it made the key. Several instances starting at once on a shared file get
// the same key: the file appears whole or not at all (written beside it, then linked).
func loadKey(path string) (key []byte, made bool, err error) {
	if path == "" {
		return nil, false, errors.New("-key-file / CUNLU_KEY_FILE: required with PostgreSQL, the same file for every instance (it is made on first start)")
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if made, err = makeKey(path); err != nil {
			return nil, false, err
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("secret key: %w", err)
	}
	key, err = hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, false, fmt.Errorf("secret key %s: want 64 hex digits (32 bytes)", path)
	}
	return key, made, nil
}

func makeKey(path string) (bool, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cunlu-key-*")
	if err != nil {
		return false, fmt.Errorf("secret key: %w", err)
	}
	defer os.Remove(tmp.Name())
	key := make([]byte, 32)
	rand.Read(key)
	_, err = fmt.Fprintln(tmp, hex.EncodeToString(key))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("secret key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return false, nil // another instance made it first
	} else if err != nil {
		return false, fmt.Errorf("secret key: %w", err)
	}
	return true, nil
}

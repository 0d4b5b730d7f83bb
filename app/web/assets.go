package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// assets serves static files under content-hashed URLs (/static/app.1a2b3c4d.css), so
// browsers may cache them forever and a changed file gets a new URL.
type assets struct {
	fsys   fs.FS
	reload bool

	mu     sync.RWMutex
	files  map[string]*asset // by plain name, e.g. "app.css"
	hashed map[string]*asset // by hashed name, e.g. "app.1a2b3c4d5e.css"
}

type asset struct {
	name   string // plain name
	hashed string // name with the content hash
	body   []byte
	ctype  string
}

func newAssets(fsys fs.FS, reload bool) (*assets, error) {
	a := &assets{fsys: fsys, reload: reload}
	return a, a.load()
}

func (a *assets) load() error {
	files := map[string]*asset{}
	err := fs.WalkDir(a.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(a.fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(p)
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		files[p] = &asset{name: p, hashed: strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:5]) + ext, body: body, ctype: ctype}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read static files: %w", err)
	}
	hashed := make(map[string]*asset, len(files))
	for _, f := range files {
		hashed[f.hashed] = f
	}
	a.mu.Lock()
	a.files, a.hashed = files, hashed
	a.mu.Unlock()
	return nil
}

// URL returns the hashed URL of a static file. An unknown name panics while templates are
// executed at start, so a typo cannot ship.
func (a *assets) URL(name string) (string, error) {
	if a.reload {
		if err := a.load(); err != nil {
			return "", err
		}
	}
	a.mu.RLock()
	f := a.files[name]
	a.mu.RUnlock()
	if f == nil {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + f.hashed, nil
}

// file returns the content of a static file by its plain name.
func (a *assets) file(name string) ([]byte, error) {
	if a.reload {
		if err := a.load(); err != nil {
			return nil, err
		}
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	f := a.files[name]
	if f == nil {
		return nil, fmt.Errorf("no static file %q", name)
	}
	return f.body, nil
}

// serve answers GET /static/*. The current hashed name is cached for a year as immutable; a
// stale hash or plain name is still served (an old page may ask for it) but not cached long.
func (a *assets) serve(c echo.Context) error {
	req := c.Param("*")
	if a.reload {
		if err := a.load(); err != nil {
			return err
		}
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	name, fresh := req, false
	if f := a.hashed[req]; f != nil {
		name, fresh = f.name, true
	} else if ext := path.Ext(req); ext != "" {
		base := strings.TrimSuffix(req, ext)
		if i := strings.LastIndexByte(base, '.'); i > 0 {
			if _, ok := a.files[base[:i]+ext]; ok {
				name = base[:i] + ext
			}
		}
	}
	f := a.files[name]
	if f == nil {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	if fresh && !a.reload {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("ETag", `"`+f.hashed+`"`)
	http.ServeContent(c.Response(), c.Request(), f.name, time.Time{}, bytes.NewReader(f.body))
	return nil
}

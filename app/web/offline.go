package web

// Offline use and the installable app: the service worker, the web app manifest, what
// "save course for offline" downloads, and the page shown for an unsaved page while
// offline. The browser side is static/sw.js and static/offline.js; docs/OFFLINE.md
// describes the whole. Everything here is an enhancement: without JavaScript the pages
// work as before, only not offline.

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"cunlu/app/course"
)

// shellAssets are the static files pages need; the service worker keeps them, and a saved
// course includes them.
var shellAssets = []string{"app.css", "offline.js", "readaloud.js", "icon.svg"}

// Estimates, measured on the demo courses: what a page adds to a lesson's own text,
// compressed (the layout, navigation and quiz form), and the response headers of each file.
const (
	pageOverhead = 1900
	headerBytes  = 700
)

// offlinePack is GET /courses/:course/offline.json: everything saving a course downloads.
type offlinePack struct {
	Course string   `json:"course"`
	Title  string   `json:"title"`
	Pages  []string `json:"pages"`  // the course page and its lessons, with their quizzes
	Images []string `json:"images"` // the lessons' images
	Assets []string `json:"assets"` // the stylesheet and scripts the pages use
	Bytes  int      `json:"bytes"`  // about how much saving downloads, compressed
	// Audio are the lessons' recordings for the learner's county, when asked for (?audio=1);
	// Bytes then counts them.
	Audio []string `json:"audio,omitempty"`
}

// offlinePackShow is GET /courses/:course/offline.json for the signed-in person's lessons
// of the course, in their language.
func (s *Server) offlinePackShow(c echo.Context) error {
	u := currentUser(c)
	co := s.courses.Catalog().Course(c.Param("course"))
	if co == nil || !co.For(audienceOf(u)) {
		return errNotFound
	}
	p, err := s.offlinePack(co, audienceOf(u), s.langOf(c))
	if err != nil {
		return err
	}
	if c.QueryParam("audio") == "1" {
		urls, n, err := s.offlineAudio(c, co, audienceOf(u), s.langOf(c))
		if err != nil {
			return err
		}
		p.Audio, p.Bytes = urls, p.Bytes+n
	}
	c.Response().Header().Set("Cache-Control", "private, no-cache")
	return c.JSON(http.StatusOK, p)
}

func (s *Server) offlinePack(co *course.Course, audience, lang string) (*offlinePack, error) {
	ct := co.In(lang)
	p := &offlinePack{Course: co.Slug, Title: ct.Title, Pages: []string{"/courses/" + co.Slug}, Images: []string{}}
	p.Bytes = s.packedSize("intro:"+co.Slug+":"+lang, func() ([]byte, error) { return []byte(ct.Intro), nil }) + pageOverhead + headerBytes
	for _, l := range co.LessonsFor(audience) {
		t := l.In(lang)
		p.Pages = append(p.Pages, l.URL())
		text := t.Bytes // the lesson's compressed text plus its images as files
		for _, img := range t.Images {
			name := strings.TrimPrefix(img, "/courses/")
			raw, err := fs.Stat(s.files, name)
			if err != nil {
				return nil, fmt.Errorf("lesson image %s: %w", img, err)
			}
			text -= int(raw.Size())
			if !slices.Contains(p.Images, img) {
				p.Images = append(p.Images, img)
				p.Bytes += s.packedSize("image:"+img, func() ([]byte, error) { return fs.ReadFile(s.files, name) }) + headerBytes
			}
		}
		p.Bytes += max(text, 0) + pageOverhead + headerBytes
	}
	for _, name := range shellAssets {
		u, err := s.assets.URL(name)
		if err != nil {
			return nil, err
		}
		p.Assets = append(p.Assets, u)
		p.Bytes += s.packedSize("asset:"+u, func() ([]byte, error) { return s.assets.file(name) }) + headerBytes
	}
	return p, nil
}

// offlineAudio lists the recordings of the course's lessons (those the person sees, in
// lang) for their county, and about how many bytes downloading them costs: recordings are
// compressed already, so they travel as they are.
func (s *Server) offlineAudio(c echo.Context, co *course.Course, audience, lang string) ([]string, int, error) {
	rs, err := s.audio.ForCourse(c.Request().Context(), currentUser(c), co.Slug, lang)
	if err != nil {
		return nil, 0, err
	}
	var urls []string
	n := 0
	for _, r := range rs {
		if l := co.Lesson(r.Lesson); l != nil && l.For(audience) {
			urls = append(urls, audioURL(l, r.ID))
			n += r.Size + headerBytes
		}
	}
	return urls, n, nil
}

// packedSize is the gzip-compressed size of some bytes, remembered by key.
func (s *Server) packedSize(key string, read func() ([]byte, error)) int {
	if n, ok := s.sizes.Load(key); ok {
		return n.(int)
	}
	b, err := read()
	if err != nil {
		return 0
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // the level pages are sent with (server.go)
	zw.Write(b)
	zw.Close()
	n := min(buf.Len(), len(b))
	s.sizes.Store(key, n)
	return n
}

// offlineKB is the size "save for offline" shows on a course page.
func (s *Server) offlineKB(co *course.Course, audience, lang string) (int, error) {
	p, err := s.offlinePack(co, audience, lang)
	if err != nil {
		return 0, err
	}
	return (p.Bytes + 1023) / 1024, nil
}

// offlineShow is GET /offline: what the service worker shows for a page that was not saved
// when there is no connection. It is kept by the service worker when it installs.
func (s *Server) offlineShow(c echo.Context) error {
	return s.show(c, "offline", nil)
}

// serviceWorker is GET /sw.js. It is served from the site's root so that it may look after
// every page, and it must never be cached for long: browsers compare it byte for byte to
// find a new version. The hashed addresses of the shell files are filled in, so a new
// stylesheet or script makes a new service worker, which keeps the new files.
func (s *Server) serviceWorker(c echo.Context) error {
	src, err := s.assets.file("sw.js")
	if err != nil {
		return err
	}
	urls := make([]string, 0, len(shellAssets))
	for _, name := range shellAssets {
		u, err := s.assets.URL(name)
		if err != nil {
			return err
		}
		urls = append(urls, u)
	}
	list, err := json.Marshal(urls)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(append(slices.Clip(src), list...))
	version := hex.EncodeToString(sum[:5])
	const versionMark, assetsMark = `/*VERSION*/"dev"`, `/*ASSETS*/[]`
	if !bytes.Contains(src, []byte(versionMark)) || !bytes.Contains(src, []byte(assetsMark)) {
		return fmt.Errorf("static/sw.js lacks %s or %s", versionMark, assetsMark)
	}
	body := strings.Replace(string(src), versionMark, `"`+version+`"`, 1)
	body = strings.Replace(body, assetsMark, string(list), 1)
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", `"sw-`+version+`"`)
	http.ServeContent(c.Response(), c.Request(), "sw.js", time.Time{}, strings.NewReader(body))
	return nil
}

// manifest is GET /manifest.webmanifest: what a phone needs to install Cunlu as an app.
func (s *Server) manifest(c echo.Context) error {
	type icon struct {
		Src     string `json:"src"`
		Sizes   string `json:"sizes"`
		Type    string `json:"type"`
		Purpose string `json:"purpose,omitempty"`
	}
	var icons []icon
	for _, i := range []icon{
		{Src: "icon-192.png", Sizes: "192x192", Type: "image/png"},
		{Src: "icon-512.png", Sizes: "512x512", Type: "image/png"},
		{Src: "icon-512.png", Sizes: "512x512", Type: "image/png", Purpose: "maskable"},
		{Src: "icon.svg", Sizes: "any", Type: "image/svg+xml"},
	} {
		u, err := s.assets.URL(i.Src)
		if err != nil {
			return err
		}
		i.Src = u
		icons = append(icons, i)
	}
	tr := s.cat.translator(course.Langs[0])
	m := map[string]any{
		"name":             tr.T("site.name"),
		"short_name":       tr.T("site.name"),
		"description":      tr.T("manifest.description"),
		"lang":             course.Langs[0],
		"dir":              "ltr",
		"start_url":        "/",
		"scope":            "/",
		"display":          "standalone",
		"theme_color":      "#1f6f43",
		"background_color": "#fbfaf7",
		"icons":            icons,
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/manifest+json")
	// Browsers fetch it on every page (to offer installing); its icons have hashed names,
	// so a day-old copy is as good.
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	http.ServeContent(c.Response(), c.Request(), "manifest.webmanifest", time.Time{}, bytes.NewReader(b))
	return nil
}

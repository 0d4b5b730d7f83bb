package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"
)

// maxStencils bounds the stencils kept: a page of about 10 KB each and its compressed
// blocks, about 4.5 KB for each combination of value lengths (usually one), so at most
// about 15 MB. The lesson pages of the whole catalogue in both languages on every quiz
// form, for the common states, fit.
const maxStencils = 1024

// A stencil is a page rendered once by its template with markers where the person's own
// values go (the CSRF token, a quiz key, a task's evidence), cut into the parts
// between the markers. The next person in the same state (the same lesson, language, role,
// progress, quiz form and so on: the stencil's key) gets the parts with their own values in
// between, without running the template, and compressed from ready blocks (stencil_gzip.go).
// The lesson page is the most visited page, and executing its template cost more than
// everything else it does (docs/PERFORMANCE.md).
//
// Values are of two kinds, and neither can change what the page means:
//   - words: letters, digits, '-' and '_' only, the same in every context of the page (text,
//     attribute, URL), so nothing needs escaping; a value with any other character, or an
//     empty one, makes fill refuse and the page is rendered by its template instead;
//   - html: markup that html/template produced (or text escaped for HTML), allowed only
//     where the template put it in HTML text: its marker begins with an HTML comment, which
//     the template escapes or strips anywhere else, and then the stencil is not made.
//
// Values must not steer the template (no {{if}} on them): what does belongs in the key.
// A stencil is made from two renderings with different markers, and kept only when both
// cut into the same parts with the same values in the same places, and when filled with
// the first person's values it is the very page the template made for them: a marker
// that was escaped, stripped, split or changed by the template, or text that happened to
// look like one, shows up as a difference, and the page is then always rendered by its
// template.
type stencil struct {
	parts [][]byte // the page between the values: len(parts) == len(slots)+1
	slots []slot   // which value goes between parts[i] and parts[i+1]
	packs packs    // the long parts compressed, by the lengths of the values (stencil_gzip.go)
}

type slot struct {
	html bool
	i    int
}

// holes are a page's own values: the real ones when filling a stencil, markers when
// making one. An HTML value may come in pieces, written one after another.
type holes struct {
	Words []string
	HTML  [][]template.HTML
}

// marks returns markers for every value of h, from marker set n (0 or 1).
func (h holes) marks(n int) holes {
	m := holes{Words: make([]string, len(h.Words)), HTML: make([][]template.HTML, len(h.HTML))}
	for i := range h.Words {
		m.Words[i] = fmt.Sprintf("zq%dw%dqz", n, i)
	}
	for i := range h.HTML {
		// The comment is what html/template strips or escapes outside HTML text; the word
		// after it is what is left then, found by cut as text that is not a marker.
		m.HTML[i] = []template.HTML{template.HTML(fmt.Sprintf("<!--zq%dh%dqz-->zq%dh%dqz", n, i, n, i))}
	}
	return m
}

var markerRE = regexp.MustCompile(`<!--zq([01])h([0-9]+)qz-->zq([01])h([0-9]+)qz|zq([01])w([0-9]+)qz`)

// isWord reports whether s is letters, digits, '-' and '_' only.
func isWord(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// cut splits a page rendered with marker set n into parts and slots; ok is false when a
// marker of the other set or an unknown value appears.
func cut(page []byte, n int, h holes) (st *stencil, ok bool) {
	st = &stencil{}
	last := 0
	for _, m := range markerRE.FindAllSubmatchIndex(page, -1) {
		var set, idx string
		sl := slot{}
		if m[2] >= 0 {
			set, idx, sl.html = string(page[m[2]:m[3]]), string(page[m[4]:m[5]]), true
			if string(page[m[6]:m[7]]) != set || string(page[m[8]:m[9]]) != idx {
				return nil, false
			}
		} else {
			set, idx = string(page[m[10]:m[11]]), string(page[m[12]:m[13]])
		}
		i, err := strconv.Atoi(idx)
		if err != nil || set != strconv.Itoa(n) || (sl.html && i >= len(h.HTML)) || (!sl.html && i >= len(h.Words)) {
			return nil, false
		}
		sl.i = i
		st.parts = append(st.parts, page[last:m[0]])
		st.slots = append(st.slots, sl)
		last = m[1]
	}
	st.parts = append(st.parts, page[last:])
	return st, true
}

// sameAs reports whether two cuts have the same parts and slots.
func (st *stencil) sameAs(o *stencil) bool {
	if len(st.parts) != len(o.parts) {
		return false
	}
	for i := range st.parts {
		if !bytes.Equal(st.parts[i], o.parts[i]) {
			return false
		}
	}
	for i := range st.slots {
		if st.slots[i] != o.slots[i] {
			return false
		}
	}
	return true
}

// fill writes the page with the values of h into buf; false when a word is not one (or
// is empty where the page has it).
func (st *stencil) fill(buf *bytes.Buffer, h holes) bool {
	for _, w := range h.Words {
		if !isWord(w) {
			return false
		}
	}
	for _, sl := range st.slots {
		if !sl.html && h.Words[sl.i] == "" {
			return false
		}
	}
	n := 0
	for _, p := range st.parts {
		n += len(p)
	}
	buf.Grow(n + 4096)
	for i, p := range st.parts {
		buf.Write(p)
		if i < len(st.slots) {
			if sl := st.slots[i]; sl.html {
				for _, piece := range h.HTML[sl.i] {
					buf.WriteString(string(piece))
				}
			} else {
				buf.WriteString(h.Words[sl.i])
			}
		}
	}
	return true
}

// stencils keeps stencils by key, at most max of them: when full, one is dropped to make
// room. A key that cannot be made into a stencil is remembered as nil, so its page is
// rendered by the template without trying again.
type stencils struct {
	mu  sync.RWMutex
	m   map[any]*stencil
	max int
}

func newStencils(max int) *stencils { return &stencils{m: map[any]*stencil{}, max: max} }

func (s *stencils) get(key any) (st *stencil, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok = s.m[key]
	return st, ok
}

func (s *stencils) put(key any, st *stencil) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= s.max {
		for k := range s.m { // any one: map order is random
			delete(s.m, k)
			break
		}
	}
	s.m[key] = st
}

// makeStencil renders a page twice with markers (render gets the markers in place of the
// values of h) and returns its stencil, or nil when the two do not agree or the stencil
// filled with h is not page, the page the template made with h.
func makeStencil(h holes, page []byte, render func(marks holes) ([]byte, error)) (*stencil, error) {
	var cuts [2]*stencil
	for n := range cuts {
		out, err := render(h.marks(n))
		if err != nil {
			return nil, err
		}
		st, ok := cut(out, n, h)
		if !ok {
			return nil, nil
		}
		cuts[n] = st
	}
	if !cuts[0].sameAs(cuts[1]) {
		return nil, nil
	}
	var filled bytes.Buffer
	if !cuts[0].fill(&filled, h) || !bytes.Equal(filled.Bytes(), page) {
		return nil, nil
	}
	return cuts[0], nil
}

var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// showStencil answers with page p, whose own values are h, from the stencil of key: with
// is p with other values (markers) in place of h. The first page of a key is rendered by
// its template, and the stencil made beside it.
func (s *Server) showStencil(c echo.Context, p *Page, key any, h holes, with func(holes) *Page) error {
	if s.views.reload { // templates are read again for every page while editing them
		return s.render(c, http.StatusOK, p)
	}
	st, found := s.stencils.get(key)
	if !found {
		page, err := s.execute(p)
		if err != nil {
			return err
		}
		st, err := makeStencil(h, page, func(m holes) ([]byte, error) { return s.execute(with(m)) })
		if err != nil {
			return err
		}
		if st == nil {
			s.log.Warn("page cannot have a stencil; it is rendered by its template", "page", p.Name)
		}
		s.stencils.put(key, st)
		s.metrics.stencilMade.Inc()
		return s.writePage(c, http.StatusOK, p, page, nil)
	}
	if st != nil {
		buf := pageBuffers.Get().(*bytes.Buffer)
		buf.Reset()
		defer pageBuffers.Put(buf)
		if st.fill(buf, h) {
			s.metrics.stencilFilled.Inc()
			page := buf.Bytes()
			return s.writePage(c, http.StatusOK, p, page, func(dst *bytes.Buffer) bool {
				if st.gzip(dst, page, st.lens(h)) {
					s.metrics.stencilGzip.Inc()
					return true
				}
				return false
			})
		}
	}
	s.metrics.stencilTemplate.Inc()
	return s.render(c, http.StatusOK, p)
}

package web

import (
	"bytes"
	"compress/flate"
	"html/template"
	"io"
	"testing"
)

// TestMakeStencil checks the rules of stencil.go on small templates: values land where the
// template put them, and a value the template would have escaped or moved makes no stencil.
func TestMakeStencil(t *testing.T) {
	type data struct {
		Word string
		HTML template.HTML
		Show bool
	}
	cases := []struct {
		name, tmpl string
		ok         bool
	}{
		{"word in text and attribute", `<p title="{{.Word}}">{{.Word}}</p>{{.HTML}}`, true},
		{"word in a URL", `<a href="/x/{{.Word}}?k={{.Word}}">x</a>`, true},
		{"html in an attribute is escaped by the template", `<p title="{{.HTML}}">x</p>`, false},
		{"html in a script", `<script>var x = {{.HTML}};</script>`, false},
		{"a word turned into something else", `<p>{{printf "%.3s" .Word}}</p>`, false},
		{"text that looks like a marker", `<p>zq0w0qz {{.Word}}</p>`, false},
		{"html in a URL", `<a href="/x?q={{.HTML}}">x</a>`, false},
		{"a value that steers the template", `{{if .Word}}<p>{{.Word}}</p>{{end}}`, true}, // made; refused when empty below
		{"html that is not used", `<p>{{.Word}}</p>`, true},
	}
	for _, tc := range cases {
		tm := template.Must(template.New("t").Parse(tc.tmpl))
		h := holes{Words: []string{"tok123"}, HTML: [][]template.HTML{{"<b>", "x</b>"}}}
		render := func(m holes) ([]byte, error) {
			var b bytes.Buffer
			err := tm.Execute(&b, data{Word: m.Words[0], HTML: joinHTML(m.HTML[0])})
			return b.Bytes(), err
		}
		page, err := render(h)
		if err != nil {
			t.Fatal(err)
		}
		st, err := makeStencil(h, page, render)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if (st != nil) != tc.ok {
			t.Errorf("%s: stencil made = %v, want %v", tc.name, st != nil, tc.ok)
			continue
		}
		if st == nil {
			continue
		}
		var want, got bytes.Buffer
		if err := tm.Execute(&want, data{Word: h.Words[0], HTML: joinHTML(h.HTML[0])}); err != nil {
			t.Fatal(err)
		}
		if !st.fill(&got, h) || got.String() != want.String() {
			t.Errorf("%s: filled %q, the template makes %q", tc.name, got.String(), want.String())
		}
		if st.fill(&got, holes{Words: []string{`a"b`}, HTML: h.HTML}) {
			t.Errorf("%s: a word with a quote was filled in", tc.name)
		}
		if st.fill(&got, holes{Words: []string{""}, HTML: h.HTML}) {
			t.Errorf("%s: an empty word was filled in", tc.name)
		}
	}
}

func TestStencilsKeepAtMostMax(t *testing.T) {
	s := newStencils(3)
	for i := range 10 {
		s.put(i, &stencil{})
	}
	if n := len(s.m); n != 3 {
		t.Fatalf("%d stencils kept, want 3", n)
	}
	if st, ok := s.get(9); !ok || st == nil {
		t.Error("the last stencil put is not there")
	}
}

func joinHTML(parts []template.HTML) template.HTML {
	var s template.HTML
	for _, p := range parts {
		s += p
	}
	return s
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                       false,
		"gzip":                   true,
		"gzip, deflate, br":      true,
		"br;q=1.0, GZIP;q=0.5":   true,
		"gzip;q=0":               false,
		"gzip;q=0, *":            false,
		"*":                      true,
		"*;q=0":                  false,
		"identity":               false,
		"deflate, x-gzip":        true,
		"gzipped, notgzip":       false,
		"br, *;q=0.1, gzip;q=0.": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

// TestPackRefusesFF: a stencil part with a 0xFF byte (never in UTF-8, so the mask of the
// values) gets no ready blocks: the page is compressed whole.
func TestPackRefusesFF(t *testing.T) {
	long := bytes.Repeat([]byte("lesson text "), 40)
	st := &stencil{parts: [][]byte{long, append(bytes.Clone(long), 0xff)}, slots: []slot{{}}}
	var page bytes.Buffer
	if !st.fill(&page, holes{Words: []string{"token"}}) {
		t.Fatal("fill")
	}
	var out bytes.Buffer
	if st.gzip(&out, page.Bytes(), []int{5}) || out.Len() != 0 {
		t.Error("a part with 0xFF was packed")
	}
	st.parts[1] = long
	page.Reset()
	st.fill(&page, holes{Words: []string{"token"}})
	if !st.gzip(&out, page.Bytes(), []int{5}) {
		t.Error("plain parts were not packed")
	}
}

// TestStored: stored blocks of any length, the last one final, decompress to their bytes.
func TestStored(t *testing.T) {
	for _, n := range []int{0, 1, 0xffff, 0xffff + 1, 2 * 0xffff, 200000} {
		b := bytes.Repeat([]byte{'x', 'y', 'z'}, n/3+1)[:n]
		var out bytes.Buffer
		stored(&out, b[:n/2], false)
		stored(&out, b[n/2:], true)
		got, err := io.ReadAll(flate.NewReader(&out))
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%d bytes: %v, got %d bytes back", n, err, len(got))
		}
	}
}

package web

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// A filled stencil is sent gzip-compressed from parts compressed once, when it was made,
// instead of compressing the whole page for every request: compressing was a third of the
// CPU time of a lesson page under load, and nginx, the benchmark's yardstick, pays it too.
//
// A gzip body is a DEFLATE stream, a sequence of blocks; a block may copy text from up to
// 32 KB before it (a back-reference, by distance), also across block boundaries. Each long
// part of the stencil is compressed once, as its own blocks, with the page before it as
// the dictionary, so it still refers back to the lesson text and markup above it (a lesson
// page is 4,491 bytes so, 4,764 compressed whole at level 1). Two things make
// that safe for every person's values:
//   - the values' bytes are masked with 0xFF in the dictionary. That byte never occurs in
//     UTF-8, so no part (checked: none contains it) can match there, and no block refers
//     to anyone's values;
//   - distances depend on the lengths of the values before a part, so the blocks are kept
//     per combination of lengths (a CSRF token and a quiz key always have the same length;
//     an id has a few): at most packsPerStencil of them, and a page whose lengths have none
//     is compressed whole, as before.
//
// Per request the short parts and the values between the long ones are written as they
// are (stored blocks, a few hundred bytes), and the CRC-32 of the page is computed for the
// gzip trailer. Every set of blocks is checked when made: the stream, filled once with
// the page's values and once with other values of the same lengths, must decompress to
// exactly those pages.
const (
	packMinPart     = 256 // shorter parts go as they are (stored), with the values around them
	packsPerStencil = 4
	packLevel       = flate.BestCompression // paid once per stencil and lengths
)

// pack is the compressed long parts of a stencil for one combination of value lengths.
type pack struct {
	lens   []int    // the length of each slot's value
	blocks [][]byte // blocks[i]: part i as DEFLATE blocks ending byte-aligned, or nil
}

// packs are a stencil's packs: read without a lock, added under one.
type packs struct {
	mu   sync.Mutex
	list atomic.Pointer[[]*pack]
}

func (ps *packs) find(lens []int) *pack {
	if l := ps.list.Load(); l != nil {
		for _, p := range *l {
			if slices.Equal(p.lens, lens) {
				return p
			}
		}
	}
	return nil
}

// gzipHeader is a gzip member header with no name, time or extra fields.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// lens returns the length of each slot's value in h.
func (st *stencil) lens(h holes) []int {
	lens := make([]int, len(st.slots))
	for i, sl := range st.slots {
		if sl.html {
			for _, piece := range h.HTML[sl.i] {
				lens[i] += len(piece)
			}
		} else {
			lens[i] = len(h.Words[sl.i])
		}
	}
	return lens
}

// gzip writes page, the stencil filled with values of the given lengths, to dst as a gzip
// member made from the stencil's compressed parts; false (and nothing written) when the
// stencil has no pack for these lengths and may not make one more.
func (st *stencil) gzip(dst *bytes.Buffer, page []byte, lens []int) bool {
	p := st.packs.find(lens)
	if p == nil {
		if p = st.makePack(page, lens); p == nil {
			return false
		}
	}
	st.writeGzip(dst, p, page)
	return true
}

// writeGzip writes the gzip member of page with the blocks of p.
func (st *stencil) writeGzip(dst *bytes.Buffer, p *pack, page []byte) {
	dst.Write(gzipHeader)
	off, run := 0, 0 // run: where the text not yet written begins
	for i, part := range st.parts {
		if b := p.blocks[i]; b != nil {
			if off > run {
				stored(dst, page[run:off], false)
			}
			dst.Write(b)
			run = off + len(part)
		}
		off += len(part)
		if i < len(p.lens) {
			off += p.lens[i]
		}
	}
	stored(dst, page[run:], true)
	var tail [8]byte
	binary.LittleEndian.PutUint32(tail[:4], crc32.ChecksumIEEE(page))
	binary.LittleEndian.PutUint32(tail[4:], uint32(len(page)))
	dst.Write(tail[:])
}

// stored writes b as DEFLATE stored blocks (RFC 1951, 3.2.4), starting byte-aligned as
// every block of writeGzip does: a header byte (the last block or not, type 00), then
// the length and its complement. What goes stored is a few hundred bytes of short parts and
// values (a CSRF token, a quiz key), which barely compress; compressing them cost more
// than a third of the time of writeGzip, for a few dozen bytes.
func stored(dst *bytes.Buffer, b []byte, final bool) {
	for first := true; first || len(b) > 0; first = false { // an empty final block too
		n := min(len(b), 0xffff)
		var h [5]byte
		if final && n == len(b) {
			h[0] = 1
		}
		binary.LittleEndian.PutUint16(h[1:], uint16(n))
		binary.LittleEndian.PutUint16(h[3:], ^uint16(n))
		dst.Write(h[:])
		dst.Write(b[:n])
		b = b[n:]
	}
}

// makePack compresses the long parts of the stencil for values of the given lengths, with
// page (the stencil filled with such values) masked as their dictionary, and keeps the
// result if it checks out; nil when the stencil has packsPerStencil already or a part
// cannot be packed.
func (st *stencil) makePack(page []byte, lens []int) *pack {
	st.packs.mu.Lock()
	defer st.packs.mu.Unlock()
	if p := st.packs.find(lens); p != nil { // made while this request waited
		return p
	}
	var list []*pack
	if l := st.packs.list.Load(); l != nil {
		list = *l
	}
	if len(list) >= packsPerStencil {
		return nil
	}
	p := &pack{lens: slices.Clone(lens), blocks: make([][]byte, len(st.parts))}
	masked, other := bytes.Clone(page), bytes.Clone(page) // other: the same with other values
	off := 0
	var dict []int // where each part begins
	for i, part := range st.parts {
		dict = append(dict, off)
		off += len(part)
		if i < len(lens) {
			for j := off; j < off+lens[i]; j++ {
				masked[j] = 0xff
				other[j] = "zq"[j%2] // letters: a word's value stays one
			}
			off += lens[i]
		}
	}
	var b bytes.Buffer
	for i, part := range st.parts {
		if len(part) < packMinPart {
			continue
		}
		if bytes.IndexByte(part, 0xff) >= 0 {
			return nil
		}
		b.Reset()
		w, err := flate.NewWriterDict(&b, packLevel, masked[max(0, dict[i]-32<<10):dict[i]])
		if err != nil {
			return nil
		}
		w.Write(part)
		w.Flush()
		p.blocks[i] = bytes.Clone(b.Bytes())
	}
	for _, want := range [][]byte{page, other} {
		b.Reset()
		st.writeGzip(&b, p, want)
		r, err := gzip.NewReader(&b)
		if err != nil {
			return nil
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, want) {
			return nil
		}
	}
	list = append(slices.Clip(list), p)
	st.packs.list.Store(&list)
	return p
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: named with a
// quality above zero, or not named and "*" allowed.
func acceptsGzip(header string) bool {
	star := false
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		q := 1.0
		for param := range strings.SplitSeq(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(param), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		switch {
		case strings.EqualFold(name, "gzip"), strings.EqualFold(name, "x-gzip"):
			return q > 0
		case name == "*":
			star = q > 0
		}
	}
	return star
}

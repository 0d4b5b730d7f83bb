package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"image/color"
	_ "image/gif" // decoders for the formats phones send
	"image/jpeg"
	_ "image/png"
	"io"
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"cunlu/app/errs"
)

// Limits on product photos. What decoding a photo takes is bounded before it is decoded
// (a "decompression bomb" is a small file that would expand to gigabytes), and photos are
// decoded one at a time, so that a burst of uploads takes a bounded amount of memory.
const (
	MaxPhotoBytes = 10 << 20
	// Phones save 12 MP (4000×3000) by default, those sold as 48 to 108 MP too (they combine
	// four pixels into one); a few save 16 to 24 MP.
	maxPhotoPixels = 24_000_000
	maxPhotoSide   = 12000
	// What decoding may allocate, whatever the pixels: a 24 MP phone JPEG takes 36 MB and a
	// 12 MP PNG 48 MB, but a 12 MP 16-bit PNG takes 96 MB and a progressive JPEG up to 5
	// times a baseline one (pixelBytes).
	maxDecodeBytes = 48 << 20
	// MaxPhotoDecodes is how many photos the process decodes at once. One: a decode takes
	// up to maxDecodeBytes and a core, and the server has two cores and runs in about
	// 70 MB. More uploads wait their turn (a 12 MP photo takes about a second), at most
	// photoWait: sending a photo again costs a villager more than waiting, and the request
	// keeps 10 of its 30 seconds for the rest.
	MaxPhotoDecodes = 1
	photoWait       = 20 * time.Second
	photoSide       = 800        // longest side after resizing
	photoBudget     = 150 * 1024 // bytes after re-encoding
)

// Photo is a product photo, re-encoded small, stored in the database so that every app
// instance serves it.
type Photo struct {
	ID        uint
	UserID    uint
	Data      []byte
	Width     int
	Height    int
	CreatedAt time.Time
}

func (Photo) TableName() string { return "sell_photos" }

var errPhotoBusy = &errs.Error{Code: errs.Busy, Key: "sell.error.photo_busy", Field: "photo"}

// preparePhoto checks that upload really is a JPEG, PNG, GIF or WebP image of sane size,
// then scales it to at most 800 px and re-encodes it as a JPEG under 150 KB. Whatever the
// file was called or claimed to be, only its content counts. Everything that can be told
// without decoding is checked first, reading the file as it goes (it is never copied
// whole); the decoding then waits for one of the service's MaxPhotoDecodes turns (at most
// photoWait, and never past ctx: errs.Busy), and stops when ctx ends.
func (s *Service) preparePhoto(ctx context.Context, upload io.ReadSeeker) ([]byte, int, int, error) {
	size, err := upload.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_unreadable")
	}
	if size > MaxPhotoBytes {
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_too_big").With("MB", MaxPhotoBytes>>20)
	}
	if size == 0 {
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_missing")
	}
	// read runs f on the file from its start.
	read := func(f func(io.Reader) error) error {
		if _, err := upload.Seek(0, io.SeekStart); err != nil {
			return err
		}
		return f(upload)
	}
	head := make([]byte, 512)
	if err := read(func(r io.Reader) error {
		n, err := io.ReadFull(r, head)
		head = head[:n]
		if err == io.ErrUnexpectedEOF { // a file shorter than head
			return nil
		}
		return err
	}); err != nil {
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_unreadable")
	}
	switch http.DetectContentType(head) {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
	default:
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_not_image")
	}
	var cfg image.Config
	var format string
	if err := read(func(r io.Reader) (err error) { cfg, format, err = image.DecodeConfig(r); return err }); err != nil {
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_not_image")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPhotoSide || cfg.Height > maxPhotoSide || cfg.Width*cfg.Height > maxPhotoPixels {
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_too_many_pixels")
	}
	perPixel := 0.0
	if err := read(func(r io.Reader) error { perPixel = pixelBytes(r, head, cfg, format); return nil }); err != nil {
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_unreadable")
	}
	if float64(cfg.Width)*float64(cfg.Height)*perPixel > maxDecodeBytes {
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_too_many_pixels")
	}
	wait, cancel := context.WithTimeout(ctx, s.photoWait)
	defer cancel()
	select {
	case s.photoTurns <- struct{}{}:
	case <-wait.Done():
		if err := ctx.Err(); err != nil {
			return nil, 0, 0, errs.Wrap(err, "wait to decode photo")
		}
		return nil, 0, 0, errPhotoBusy
	}
	defer func() { <-s.photoTurns }()
	s.decodes.add(1)
	defer s.decodes.add(-1)
	if err := ctx.Err(); err != nil {
		return nil, 0, 0, errs.Wrap(err, "decode photo")
	}
	var src image.Image
	if err := read(func(r io.Reader) (err error) { src, _, err = image.Decode(r); return err }); err != nil {
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_not_image")
	}
	for side := photoSide; ; side = side * 3 / 4 {
		if err := ctx.Err(); err != nil {
			return nil, 0, 0, errs.Wrap(err, "scale photo")
		}
		dst := scale(src, side)
		for _, q := range []int{80, 70, 60, 50} {
			var out bytes.Buffer
			if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: q}); err != nil {
				return nil, 0, 0, errs.Wrap(err, "encode photo")
			}
			if out.Len() <= photoBudget {
				b := dst.Bounds()
				return out.Bytes(), b.Dx(), b.Dy(), nil
			}
		}
		if side < 200 {
			return nil, 0, 0, errs.Field("photo", "sell.error.photo_not_image")
		}
	}
}

// decodeCount counts the photos being decoded, and the most there ever were at once.
type decodeCount struct {
	mu        sync.Mutex
	now, most int
}

func (d *decodeCount) add(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.now += n
	d.most = max(d.most, d.now)
}

// PhotoDecodes reports how many photos are being decoded now and the most that ever were
// at once; neither is ever above MaxPhotoDecodes.
func (s *Service) PhotoDecodes() (now, most int) {
	s.decodes.mu.Lock()
	defer s.decodes.mu.Unlock()
	return s.decodes.now, s.decodes.most
}

// pixelBytes is how many bytes decoding an image with this header allocates for each of
// its pixels, at most. r reads the file (a JPEG is walked through); head is its start.
func pixelBytes(r io.Reader, head []byte, cfg image.Config, format string) float64 {
	switch format {
	case "jpeg":
		return jpegPixelBytes(r)
	case "png":
		// 4 bytes whatever the colour model (a grey PNG with a transparent colour decodes
		// as NRGBA), 8 with 16-bit samples, 1 with a palette. An interlaced PNG's passes are
		// decoded apart and then copied in.
		perPixel := 4.0
		switch cfg.ColorModel.(type) {
		case color.Palette:
			perPixel = 1
		}
		switch cfg.ColorModel {
		case color.Gray16Model, color.RGBA64Model, color.NRGBA64Model:
			perPixel = 8
		}
		if len(head) > 28 && head[28] == 1 { // the interlace method, last byte of the header (IHDR)
			perPixel *= 2
		}
		return perPixel
	case "gif":
		return 1 // the first frame: a palette index a pixel
	case "webp":
		// Lossy: 4:2:0 YCbCr. With transparency or lossless: the lossless decoder's pixels
		// and a copy for its colour-indexing transform.
		if cfg.ColorModel == color.YCbCrModel {
			return 1.5
		}
		return 8
	}
	return math.Inf(1)
}

// jpegPixelBytes walks the markers of a JPEG (skipping the scans' entropy-coded data) and
// returns the bytes image/jpeg takes for each pixel: a byte for each component's sample at
// its resolution (1.5 for a phone's 4:2:0 YCbCr), 4 more for the RGBA or CMYK copy an RGB
// or four-component image is converted to, and in a progressive JPEG, whose coefficients
// are all kept to the end, 4 more for each sample. Markers that do not parse count as the
// worst case.
func jpegPixelBytes(r io.Reader) float64 {
	const worst = 24 // progressive CMYK: 4 samples, their 16 bytes of coefficients, the copy
	var (
		progressive, adobeRGB bool
		ids                   []byte
		samples               float64
	)
	br := bufio.NewReader(r)
	if soi, err := br.Peek(2); err != nil || soi[0] != 0xff || soi[1] != 0xd8 {
		return worst
	}
	br.Discard(2)
walk:
	for {
		b, err := br.ReadByte()
		if err != nil {
			break // the end of the file: what was read is what the decoder reads
		}
		if b != 0xff {
			return worst
		}
		marker, err := br.ReadByte()
		switch {
		case err != nil, marker == 0xd9: // end of image
			break walk
		case marker == 0xff: // a fill byte
			br.UnreadByte()
			continue
		case marker == 0x01 || marker >= 0xd0 && marker <= 0xd7: // no length: TEM, RSTn
			continue
		}
		var length [2]byte
		if _, err := io.ReadFull(br, length[:]); err != nil {
			break
		}
		n := int(length[0])<<8 | int(length[1]) - 2
		if n < 0 {
			return worst
		}
		switch marker {
		case 0xc0, 0xc1, 0xc2, 0xee: // a frame (baseline, extended, progressive); Adobe's
			seg := make([]byte, n)
			if _, err := io.ReadFull(br, seg); err != nil {
				break walk
			}
			if marker == 0xee { // colour transform 0 means RGB
				adobeRGB = adobeRGB || len(seg) >= 12 && string(seg[:5]) == "Adobe" && seg[11] == 0
				continue
			}
			progressive = marker == 0xc2
			if len(seg) < 6 || len(seg) < 6+3*int(seg[5]) || ids != nil {
				return worst
			}
			comps := seg[6 : 6+3*int(seg[5])]
			hmax, vmax := 1, 1
			for c := 0; c < len(comps); c += 3 {
				hmax, vmax = max(hmax, int(comps[c+1]>>4)), max(vmax, int(comps[c+1]&15))
			}
			for c := 0; c < len(comps); c += 3 {
				ids = append(ids, comps[c])
				samples += float64(int(comps[c+1]>>4)*int(comps[c+1]&15)) / float64(hmax*vmax)
			}
		default:
			if _, err := br.Discard(n); err != nil {
				break walk
			}
		}
		if marker == 0xda { // a scan: its data runs to the next marker
			for {
				p, err := br.Peek(2)
				if err != nil {
					break walk
				}
				if p[0] == 0xff && p[1] != 0 && (p[1] < 0xd0 || p[1] > 0xd7) {
					break
				}
				br.Discard(1)
			}
		}
	}
	perPixel := samples
	if progressive {
		perPixel += 4 * samples
	}
	switch {
	case len(ids) == 0:
		return worst
	case len(ids) == 4, len(ids) == 3 && (adobeRGB || string(ids) == "RGB"):
		perPixel += 4
	}
	return perPixel
}

// scale fits src into a side×side box (never enlarging) on a white background, since JPEG
// has no transparency. It takes two ApproxBiLinear steps, to twice the size and then to
// half of that (an exact average of each 2×2 pixels), so no detail is skipped; draw's
// kernel scalers (CatmullRom) keep 32 bytes for each column of the result and row of the
// source: 77 MB for a 12 MP photo.
func scale(src image.Image, side int) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > side || h > side {
		if w >= h {
			w, h = side, max(1, h*side/w)
		} else {
			w, h = max(1, w*side/h), side
		}
	}
	if b.Dx() > 2*w && b.Dy() > 2*h {
		twice := image.NewRGBA(image.Rect(0, 0, 2*w, 2*h))
		draw.ApproxBiLinear.Scale(twice, twice.Bounds(), src, b, draw.Src, nil)
		src, b = twice, twice.Bounds()
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	return dst
}

// Photo returns one of the owner's photos; another sandbox's photo is NotFound.
func (s *Service) Photo(ctx context.Context, o Owner, id uint) (*Photo, error) {
	var p Photo
	err := s.db.WithContext(ctx).Where("id = ? AND user_id = ?", id, o.UserID).Take(&p).Error
	return &p, errs.Wrap(notFound(err), "find photo")
}

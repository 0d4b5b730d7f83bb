package sandbox

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"

	"cunlu/app/errs"
)

// noisyJPEG makes a w×h photo full of detail, which compresses badly: the hard case for
// the 150 KB budget.
func noisyJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(r.IntN(256))
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngClaiming returns a valid tiny PNG whose header claims w×h pixels: decoding it would
// allocate w×h×4 bytes. This is the shape of a decompression bomb.
func pngClaiming(t *testing.T, w, h uint32) []byte {
	t.Helper()
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	data := b.Bytes()
	// IHDR starts after the 8-byte signature, 4-byte length and 4-byte type.
	binary.BigEndian.PutUint32(data[16:], w)
	binary.BigEndian.PutUint32(data[20:], h)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	return data
}

func TestPreparePhotoRefusesWhatIsNotASafeImage(t *testing.T) {
	jpegHeader := noisyJPEG(t, 8, 8)
	cases := map[string]struct {
		data []byte
		key  string
	}{
		"HTML renamed .jpg":    {[]byte("<!doctype html><html><script>alert(1)</script></html>"), "sell.error.photo_not_image"},
		"plain text":           {[]byte("these are my kiwis, trust me"), "sell.error.photo_not_image"},
		"a PDF":                {[]byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"), "sell.error.photo_not_image"},
		"empty file":           {nil, "sell.error.photo_missing"},
		"JPEG header, garbage": {append(append([]byte{}, jpegHeader[:20]...), bytes.Repeat([]byte{0x42}, 500)...), "sell.error.photo_not_image"},
		"over 10 MB":           {append(append([]byte{}, jpegHeader...), make([]byte, MaxPhotoBytes)...), "sell.error.photo_too_big"},
		"decompression bomb":   {pngClaiming(t, 60000, 60000), "sell.error.photo_too_many_pixels"},
		"too long a side":      {pngClaiming(t, 20000, 10), "sell.error.photo_too_many_pixels"},
		"SVG with script":      {[]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "sell.error.photo_not_image"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out, _, _, err := PreparePhoto(bytes.NewReader(c.data))
			var e *errs.Error
			if out != nil || err == nil || !errorAs(err, &e) || e.Code != errs.Invalid || e.Key != c.key || e.Field != "photo" {
				t.Fatalf("got %v (%d bytes), want Invalid %s on field photo", err, len(out), c.key)
			}
		})
	}
}

func errorAs(err error, e **errs.Error) bool {
	x, ok := err.(*errs.Error)
	*e = x
	return ok
}

func TestPreparePhotoReencodesSmall(t *testing.T) {
	var pngBuf bytes.Buffer
	grad := image.NewRGBA(image.Rect(0, 0, 1200, 1600))
	for y := 0; y < 1600; y++ {
		for x := 0; x < 1200; x++ {
			grad.Set(x, y, color.RGBA{uint8(x / 5), uint8(y / 7), 120, 255})
		}
	}
	png.Encode(&pngBuf, grad)
	for name, in := range map[string][]byte{
		"noisy 1600×1200 JPEG": noisyJPEG(t, 1600, 1200),
		"portrait PNG":         pngBuf.Bytes(),
		"tiny photo":           noisyJPEG(t, 40, 30),
	} {
		t.Run(name, func(t *testing.T) {
			out, w, h, err := PreparePhoto(bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			if len(out) > 150*1024 {
				t.Errorf("re-encoded photo is %d bytes, over 150 KB", len(out))
			}
			img, format, err := image.Decode(bytes.NewReader(out))
			if err != nil || format != "jpeg" {
				t.Fatalf("output is not a JPEG: %v %s", err, format)
			}
			b := img.Bounds()
			if b.Dx() != w || b.Dy() != h || w > 800 || h > 800 {
				t.Errorf("output %dx%d (reported %dx%d), want at most 800 px", b.Dx(), b.Dy(), w, h)
			}
			cfg, _, _ := image.DecodeConfig(bytes.NewReader(in))
			if cfg.Width <= 800 && cfg.Height <= 800 && (w != cfg.Width || h != cfg.Height) {
				t.Errorf("a small photo was resized to %dx%d", w, h)
			}
			if strings.Contains(string(out), "Exif") {
				t.Error("metadata survived re-encoding")
			}
		})
	}
}

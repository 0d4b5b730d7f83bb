package sandbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

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

// photoService is a shop service for photos only (no database).
func photoService(t testing.TB) *Service {
	t.Helper()
	return NewService(nil, nil, nil, nil)
}

// progressive returns a JPEG of w×h whose frame header says it is progressive: decoding
// it would keep every coefficient. (Its scans are baseline: it is refused before they are
// read.)
func progressive(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, flat{color.Gray{0x80}, image.Rect(0, 0, w, h)}, nil); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	sof := bytes.Index(data, []byte{0xff, 0xc0})
	if sof < 0 {
		t.Fatal("no baseline frame header")
	}
	data[sof+1] = 0xc2
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
		"25 MP":                {pngClaiming(t, 5000, 5000), "sell.error.photo_too_many_pixels"},
		"16-bit PNG of 6.6 MP": {hostilePNG(), "sell.error.photo_too_many_pixels"},
		"progressive 8 MP":     {progressive(t, 3200, 2400), "sell.error.photo_too_many_pixels"},
		"SVG with script":      {[]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "sell.error.photo_not_image"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out, _, _, err := photoService(t).preparePhoto(context.Background(), bytes.NewReader(c.data))
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
			out, w, h, err := photoService(t).preparePhoto(context.Background(), bytes.NewReader(in))
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

// flat is a w×h image of one colour, so that a test can encode a huge picture without
// holding its pixels.
type flat struct {
	c color.Color
	r image.Rectangle
}

func (f flat) ColorModel() color.Model { return color.NRGBA64Model }
func (f flat) Bounds() image.Rectangle { return f.r }
func (f flat) At(x, y int) color.Color { return f.c }
func (f flat) Opaque() bool            { return true }

// png16 is a real 16-bit PNG of w×h pixels in one colour: a few dozen KB that decode to
// w×h×8 bytes.
func png16(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, flat{color.NRGBA64{0x8000, 0x9000, 0x7000, 0xffff}, image.Rect(0, 0, w, h)}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hostilePNG is a 16-bit PNG of 3000×2200: 6.6 MP, within the pixel limit, but 53 MB
// decoded. Made once: encoding it is slow under the race detector.
var hostilePNG = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	png.Encode(&b, flat{color.NRGBA64{0x8000, 0x9000, 0x7000, 0xffff}, image.Rect(0, 0, 3000, 2200)})
	return b.Bytes()
})

// TestHostilePNGIsRefusedBeforeDecoding: a 16-bit PNG within the pixel limit is refused
// from its header, and refusing it allocates about what the file weighs, not what it would
// decode to.
func TestHostilePNGIsRefusedBeforeDecoding(t *testing.T) {
	hostile := hostilePNG()
	if len(hostile) > 400<<10 {
		t.Fatalf("the hostile PNG is %d bytes; it was meant to be small", len(hostile))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	out, _, _, err := photoService(t).preparePhoto(context.Background(), bytes.NewReader(hostile))
	runtime.ReadMemStats(&after)
	var e *errs.Error
	if out != nil || !errorAs(err, &e) || e.Key != "sell.error.photo_too_many_pixels" || e.Field != "photo" {
		t.Errorf("got %v (%d bytes), want photo_too_many_pixels on field photo", err, len(out))
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("refusing a %d KB PNG allocated %d MB", len(hostile)>>10, grew>>20)
	}
}

// gradient is a w×h picture with some detail, drawn as it is asked for.
type gradient struct{ r image.Rectangle }

func (g gradient) ColorModel() color.Model { return color.RGBAModel }
func (g gradient) Bounds() image.Rectangle { return g.r }
func (g gradient) At(x, y int) color.Color {
	return color.RGBA{uint8(x / 16), uint8(y / 12), uint8(x * y % 97), 255}
}

// TestPreparePhotoTakesAPhonePhoto: a 12 MP photo as a phone takes it (4000×3000 JPEG) is
// within every limit and comes out 800 px wide.
func TestPreparePhotoTakesAPhonePhoto(t *testing.T) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, gradient{image.Rect(0, 0, 4000, 3000)}, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	out, w, h, err := photoService(t).preparePhoto(context.Background(), bytes.NewReader(b.Bytes()))
	if err != nil || len(out) > photoBudget || w != 800 || h != 600 {
		t.Fatalf("12 MP photo: %v, %d bytes, %d×%d; want 800×600 under 150 KB", err, len(out), w, h)
	}
}

func TestPixelBytes(t *testing.T) {
	encode := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for name, c := range map[string]struct {
		data []byte
		want float64 // bytes a pixel
	}{
		"4:2:0 JPEG":             {encode(gradient{image.Rect(0, 0, 64, 48)}), 1.5},
		"grey JPEG":              {encode(image.NewGray(image.Rect(0, 0, 64, 48))), 1},
		"progressive 4:2:0 JPEG": {progressive(t, 64, 48), 7.5},
		"16-bit PNG":             {png16(t, 64, 48), 8},
		"grey PNG":               {pngClaiming(t, 64, 48), 4},
	} {
		cfg, format, err := image.DecodeConfig(bytes.NewReader(c.data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := pixelBytes(bytes.NewReader(c.data), c.data, cfg, format); got != c.want {
			t.Errorf("%s: %.2f bytes a pixel, want %.2f", name, got, c.want)
		}
	}
	// Markers that do not parse count as the worst case.
	junk := encode(gradient{image.Rect(0, 0, 64, 48)})
	junk = append(append(append([]byte{}, junk[:2]...), 0x42), junk[2:]...)
	if got := jpegPixelBytes(bytes.NewReader(junk)); got != 24 {
		t.Errorf("JPEG with junk between markers: %.2f bytes a pixel, want the worst case 24", got)
	}
}

// TestPhotosAreDecodedOneAtATime: eight uploads at once are decoded in turn, never more
// than MaxPhotoDecodes together; each is either done or told the server is busy.
func TestPhotosAreDecodedOneAtATime(t *testing.T) {
	svc := photoService(t)
	photo := noisyJPEG(t, 1600, 1200)
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, _, _, err := svc.preparePhoto(context.Background(), bytes.NewReader(photo))
			errc <- err
		})
	}
	wg.Wait()
	close(errc)
	done := 0
	for err := range errc {
		var e *errs.Error
		switch {
		case err == nil:
			done++
		case !errorAs(err, &e) || e.Code != errs.Busy || e.Field != "photo":
			t.Errorf("upload: %v, want done or busy", err)
		}
	}
	now, most := svc.PhotoDecodes()
	if done == 0 || now != 0 || most != MaxPhotoDecodes {
		t.Errorf("%d of 8 done; decodes now %d, most at once %d; want some done, 0 now, %d at most", done, now, most, MaxPhotoDecodes)
	}
}

// TestPhotoUploadWaitsBriefly: when every turn is taken, an upload waits photoWait and is
// told to try again; an upload whose request has ended stops waiting at once; a photo
// refused from its header is refused without waiting.
func TestPhotoUploadWaitsBriefly(t *testing.T) {
	svc := photoService(t)
	svc.photoWait = 100 * time.Millisecond
	for range MaxPhotoDecodes {
		svc.photoTurns <- struct{}{}
	}
	photo := noisyJPEG(t, 40, 30)
	start := time.Now()
	_, _, _, err := svc.preparePhoto(context.Background(), bytes.NewReader(photo))
	var e *errs.Error
	if !errorAs(err, &e) || e.Code != errs.Busy || e.Field != "photo" || e.Key != "sell.error.photo_busy" {
		t.Errorf("with no turn free: %v, want busy on field photo", err)
	}
	if waited := time.Since(start); waited < svc.photoWait {
		t.Errorf("gave up after %v, before photoWait", waited)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	svc.photoWait = time.Hour
	if _, _, _, err := svc.preparePhoto(ctx, bytes.NewReader(photo)); !errors.Is(err, context.Canceled) {
		t.Errorf("request ended while waiting: %v, want context.Canceled", err)
	}
	if _, _, _, err := svc.preparePhoto(context.Background(), bytes.NewReader(hostilePNG())); !errorAs(err, &e) || e.Key != "sell.error.photo_too_many_pixels" {
		t.Errorf("hostile PNG while busy: %v, want refused from its header at once", err)
	}
	<-svc.photoTurns
	if _, _, _, err := svc.preparePhoto(context.Background(), bytes.NewReader(photo)); err != nil {
		t.Errorf("with a turn free again: %v", err)
	}
}

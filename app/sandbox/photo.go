package sandbox

import (
	"bytes"
	"context"
	"image"
	"image/color"
	_ "image/gif" // decoders for the formats phones send
	"image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"time"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"cunlu/app/errs"
)

// Limits on product photos. A phone photo is a few MB and 12 to 50 megapixels; anything
// claiming more pixels than that is refused before it is decoded (a "decompression bomb"
// is a small file that would expand to gigabytes).
const (
	MaxPhotoBytes  = 10 << 20
	maxPhotoPixels = 50_000_000
	maxPhotoSide   = 12000
	photoSide      = 800        // longest side after resizing
	photoBudget    = 150 * 1024 // bytes after re-encoding
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

// PreparePhoto checks that upload really is a JPEG, PNG, GIF or WebP image of sane size,
// then scales it to at most 800 px and re-encodes it as a JPEG under 150 KB. Whatever the
// file was called or claimed to be, only its content counts.
func PreparePhoto(upload io.Reader) ([]byte, int, int, error) {
	raw, err := io.ReadAll(io.LimitReader(upload, MaxPhotoBytes+1))
	if err != nil {
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_unreadable")
	}
	if len(raw) > MaxPhotoBytes {
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_too_big").With("MB", MaxPhotoBytes>>20)
	}
	if len(raw) == 0 {
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_missing")
	}
	switch http.DetectContentType(raw) {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
	default:
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_not_image")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_not_image")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPhotoSide || cfg.Height > maxPhotoSide || cfg.Width*cfg.Height > maxPhotoPixels {
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_too_many_pixels")
	}
	src, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, 0, 0, errs.Field("photo", "sell.error.photo_not_image")
	}
	for side := photoSide; ; side = side * 3 / 4 {
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

// scale fits src into a side×side box (never enlarging) on a white background, since JPEG
// has no transparency.
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
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	return dst
}

// Photo returns one of the owner's photos; another sandbox's photo is NotFound.
func (s *Service) Photo(ctx context.Context, o Owner, id uint) (*Photo, error) {
	var p Photo
	err := s.db.WithContext(ctx).Where("id = ? AND user_id = ?", id, o.UserID).Take(&p).Error
	return &p, errs.Wrap(notFound(err), "find photo")
}

package course_test

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"
	"testing/fstest"

	"cunlu/app/course"
)

// pngOf is a blank PNG of the given size.
func pngOf(t *testing.T, w, h int) string {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestLessonImagesAreLazySizedAndListed: images load lazily with their size known, so the
// text does not jump on a slow phone, and the lesson lists them for saving offline.
func TestLessonImagesAreLazySizedAndListed(t *testing.T) {
	fsys := merge(baseFS(), fstest.MapFS{
		"c/images/box.svg":   file(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 360"/>`),
		"c/images/photo.png": file(pngOf(t, 320, 200)),
	}, both("c", "l", body("## 一\n\n![购物车](images/x.svg)\n\n![盒子](images/box.svg)\n\n![照片](images/photo.png)\n\n![又是购物车](images/x.svg)\n")))
	l := mustLoad(t, fsys).Lesson("c", "l")
	for _, lang := range []string{zh, en} {
		b := string(l.In(lang).Body)
		for _, want := range []string{
			`src="/courses/c/images/x.svg" alt="购物车" loading="lazy" decoding="async" width="10" height="10"`,
			`src="/courses/c/images/box.svg" alt="盒子" loading="lazy" decoding="async" width="240" height="360"`,
			`src="/courses/c/images/photo.png" alt="照片" loading="lazy" decoding="async" width="320" height="200"`,
		} {
			if !strings.Contains(b, want) {
				t.Errorf("%s body lacks %s:\n%s", lang, want, b)
			}
		}
		got := strings.Join(l.In(lang).Images, " ")
		if got != "/courses/c/images/x.svg /courses/c/images/box.svg /courses/c/images/photo.png" {
			t.Errorf("%s images = %q, want each once, in order", lang, got)
		}
	}
}

func TestImagesTooHeavyForPhonesAreFindings(t *testing.T) {
	wide := merge(baseFS(), fstest.MapFS{"c/images/wide.png": file(pngOf(t, 2000, 10))},
		both("c", "l", body("## 一\n\n![很宽](images/wide.png)\n")))
	_, findings := load(t, wide, nil)
	if !hasFinding(findings, `image "images/wide.png" is 2000 px wide; resize it to at most 1280 px`) {
		t.Errorf("a 2000 px image is not a finding: %v", findings)
	}
	heavy := merge(baseFS(), fstest.MapFS{"c/images/big.svg": file(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><!--` + strings.Repeat("x", 200<<10) + `--></svg>`)},
		both("c", "l", body("## 一\n\n![很大](images/big.svg)\n")))
	_, findings = load(t, heavy, nil)
	if !hasFinding(findings, `image "images/big.svg" is 201 KB; make it smaller than 150 KB`) {
		t.Errorf("a 201 KB image is not a finding: %v", findings)
	}
}

func hasFinding(findings []course.Finding, msg string) bool {
	for _, f := range findings {
		if strings.Contains(f.Msg, msg) {
			return true
		}
	}
	return false
}

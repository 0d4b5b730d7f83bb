package web_test

// Product photo uploads: the large body limit, what is stored when a listing is refused,
// the bound on decoding, and requests that run out of time.

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/apptest"
	"cunlu/app/db/dbtest"
	"cunlu/app/sandbox"
)

// sellerClient signs the demo partner in and opens their practice shop.
func sellerClient(t *testing.T, env *apptest.Env) *apptest.Client {
	t.Helper()
	p := env.Client(t)
	p.SignIn(signIns[account.RolePartner][0], signIns[account.RolePartner][1])
	if r := p.Post("/shop/sell/shop", url.Values{"name": {"测试小店"}, "centre_id": {"1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("open shop: %d\n%s", r.Status, r.Body)
	}
	return p
}

// goodListing is a listing form every check accepts.
var goodListing = url.Values{"title": {"猕猴桃 5斤"}, "description": {"红心猕猴桃，今天早上摘的"}, "price": {"39.9"}, "shipping": {"8"}, "stock": {"5"}}

// TestSecurityLargeBodiesOnlyOnPhotoRoutes: the 11 MB limit belongs to the two routes that
// take a photo (a new listing, an edited one); every other address under
// /shop/sell/listings keeps the 1 MB limit of all forms.
func TestSecurityLargeBodiesOnlyOnPhotoRoutes(t *testing.T) {
	env := apptest.New(t)
	p := sellerClient(t, env)
	r := p.PostFile("/shop/sell/listings", goodListing, "", "", "", nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("listing: %d\n%s", r.Status, r.Body)
	}
	listing := r.Location // /shop/sell/listings/:id
	padding := strings.Repeat("a", 5<<20)
	r = p.Post(listing+"/pause", url.Values{"paused": {"1"}, "padding": {padding}})
	if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Body, "提交的内容太大了") {
		t.Errorf("5 MB form to %s/pause: status %d, want 413 with the message", listing, r.Status)
	}
	var l sandbox.Listing
	if err := env.App.Accounts.DB().Order("id DESC").Take(&l).Error; err != nil || l.Paused {
		t.Errorf("the refused pause paused the listing (%v)", err)
	}
	// A 5 MB photo fits the photo routes' limit: it is read and judged by its content.
	photo := append(photoJPEG(t), bytes.Repeat([]byte{0}, 5<<20)...)
	for _, path := range []string{"/shop/sell/listings", listing} {
		r := p.PostFile(path, goodListing, "photo", "big.jpg", "image/jpeg", photo)
		if r.Status == http.StatusRequestEntityTooLarge || r.Status >= 500 {
			t.Errorf("5 MB photo to %s: status %d, want it accepted or refused for its content", path, r.Status)
		}
	}
}

// TestSecurityRefusedListingLeavesNoPhoto: a listing refused for what was typed stores
// nothing, not even its photo, and shows the form again with the message and the text kept;
// a good one stores exactly one listing and one photo.
func TestSecurityRefusedListingLeavesNoPhoto(t *testing.T) {
	env := apptest.New(t)
	p := sellerClient(t, env)
	photo := photoJPEG(t)
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vs := range goodListing {
			f[key] = vs
		}
		f.Set(k, v)
		return f
	}
	photos, listings := countRows(t, env, "sell_photos", "1 = 1"), countRows(t, env, "sell_listings", "1 = 1")
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no title", with("title", ""), "太短"},
		{"a title of one letter", with("title", "桃"), "太短"},
		{"a title with NUL", with("title", "猕猴\x00桃"), "不能用的字符"},
		{"a title too long", with("title", strings.Repeat("桃", 61)), "太长"},
		{"a description too long", with("description", strings.Repeat("甜", 1001)), "太长"},
	} {
		r := p.PostFile("/shop/sell/listings", tc.form, "photo", "kiwi.jpg", "image/jpeg", photo)
		m := errorMessage.FindStringSubmatch(r.Body)
		if r.Status != http.StatusBadRequest || m == nil || !strings.Contains(m[1], tc.want) {
			t.Errorf("%s: status %d, message %v; want 400 saying %q", tc.name, r.Status, m, tc.want)
		}
		if !strings.Contains(r.Body, `value="39.9"`) {
			t.Errorf("%s: the typed price is not kept in the form", tc.name)
		}
	}
	if n := countRows(t, env, "sell_photos", "1 = 1"); n != photos {
		t.Errorf("five refused listings left photos behind: %d → %d", photos, n)
	}
	if n := countRows(t, env, "sell_listings", "1 = 1"); n != listings {
		t.Errorf("refused listings were stored: %d → %d", listings, n)
	}
	r := p.PostFile("/shop/sell/listings", goodListing, "photo", "kiwi.jpg", "image/jpeg", photo)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("good listing: %d\n%s", r.Status, r.Body)
	}
	if n := countRows(t, env, "sell_photos", "1 = 1"); n != photos+1 {
		t.Errorf("a good listing stored %d photos, want 1", n-photos)
	}
	if n := countRows(t, env, "sell_listings", "1 = 1"); n != listings+1 {
		t.Errorf("a good listing stored %d listings, want 1", n-listings)
	}
	// Editing it with a bad title and a new photo changes nothing either.
	var l sandbox.Listing
	if err := env.App.Accounts.DB().Order("id DESC").Take(&l).Error; err != nil || l.PhotoID == nil {
		t.Fatalf("the good listing has no photo (%v)", err)
	}
	if r := p.PostFile(r.Location, with("title", ""), "photo", "kiwi.jpg", "image/jpeg", photo); r.Status != http.StatusBadRequest {
		t.Errorf("edit with no title: status %d, want 400", r.Status)
	}
	var after sandbox.Listing
	env.App.Accounts.DB().Take(&after, l.ID)
	if n := countRows(t, env, "sell_photos", "1 = 1"); n != photos+1 || *after.PhotoID != *l.PhotoID || after.Title != l.Title {
		t.Errorf("a refused edit changed the listing or its photos: %d photos, photo %d → %d", n-photos, *l.PhotoID, *after.PhotoID)
	}
	// A good edit with a new photo replaces the old one.
	if r := p.PostFile(r.Location, goodListing, "photo", "kiwi.jpg", "image/jpeg", photo); r.Status != http.StatusSeeOther {
		t.Fatalf("edit with a new photo: %d\n%s", r.Status, r.Body)
	}
	env.App.Accounts.DB().Take(&after, l.ID)
	if n := countRows(t, env, "sell_photos", "1 = 1"); n != photos+1 || *after.PhotoID == *l.PhotoID {
		t.Errorf("after a new photo: %d photos stored (want 1), photo %d → %d", n-photos, *l.PhotoID, *after.PhotoID)
	}
}

// flatImage is a w×h picture of one 16-bit colour, drawn as it is asked for, so that a
// test can encode a huge PNG without holding its pixels.
type flatImage struct{ r image.Rectangle }

func (f flatImage) ColorModel() color.Model { return color.NRGBA64Model }
func (f flatImage) Bounds() image.Rectangle { return f.r }
func (f flatImage) At(x, y int) color.Color { return color.NRGBA64{0x8000, 0x9000, 0x7000, 0xffff} }
func (f flatImage) Opaque() bool            { return true }

// TestSecurityPhotoDecodingIsBounded: eight uploads at once of a 16-bit PNG (a few dozen
// KB that would decode to 53 MB each) are all refused from their header, with the message
// next to the photo field, nothing stored and nothing decoded; the server allocates a few
// MB for them, not hundreds. Eight honest photos at once are decoded one at a time, each
// stored or answered "busy, try again" (503 with Retry-After and the form kept).
func TestSecurityPhotoDecodingIsBounded(t *testing.T) {
	env := apptest.New(t)
	p := sellerClient(t, env)
	var b bytes.Buffer
	if err := png.Encode(&b, flatImage{image.Rect(0, 0, 3000, 2200)}); err != nil {
		t.Fatal(err)
	}
	hostile := b.Bytes()
	db := newDBState(t, env)
	before := db.counts(t)
	var mem runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&mem)
	allocated := mem.TotalAlloc
	results := make(chan *apptest.Resp, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			results <- p.PostFile("/shop/sell/listings", goodListing, "photo", "kiwi.png", "image/png", hostile)
		})
	}
	wg.Wait()
	close(results)
	runtime.ReadMemStats(&mem)
	for r := range results {
		m := errorMessage.FindStringSubmatch(r.Body)
		if r.Status != http.StatusBadRequest || m == nil || !strings.Contains(m[1], "尺寸太大") || !strings.Contains(r.Body, `aria-describedby="photo-error photo-hint" aria-invalid="true"`) {
			t.Errorf("hostile PNG: status %d, message %v; want 400 saying so at the photo field", r.Status, m)
		}
	}
	if grew := mem.TotalAlloc - allocated; grew > 64<<20 {
		t.Errorf("eight %d KB uploads made the server allocate %d MB", len(hostile)>>10, grew>>20)
	}
	if _, most := env.App.Shop.PhotoDecodes(); most != 0 {
		t.Errorf("hostile PNGs were decoded (%d at once)", most)
	}
	if d := countChanges(before, db.counts(t)); d != "" {
		t.Errorf("refused uploads changed the database: %s", d)
	}

	photo := photoJPEG(t)
	results = make(chan *apptest.Resp, 8)
	for range 8 {
		wg.Go(func() {
			results <- p.PostFile("/shop/sell/listings", goodListing, "photo", "kiwi.jpg", "image/jpeg", photo)
		})
	}
	wg.Wait()
	close(results)
	saved := int64(0)
	for r := range results {
		switch r.Status {
		case http.StatusSeeOther:
			saved++
		case http.StatusServiceUnavailable:
			m := errorMessage.FindStringSubmatch(r.Body)
			if m == nil || !strings.Contains(m[1], "再选一次照片") || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, `value="39.9"`) {
				t.Errorf("busy: message %v, Retry-After %q; want the form again saying to try again", m, r.Header.Get("Retry-After"))
			}
		default:
			t.Errorf("honest photo: status %d\n%s", r.Status, r.Body)
		}
	}
	now, most := env.App.Shop.PhotoDecodes()
	if saved == 0 || now != 0 || most != sandbox.MaxPhotoDecodes {
		t.Errorf("%d of 8 photos saved; decodes now %d, most at once %d; want some saved and at most %d at once", saved, now, most, sandbox.MaxPhotoDecodes)
	}
	after := db.counts(t)
	if after["sell_listings"]-before["sell_listings"] != saved || after["sell_photos"]-before["sell_photos"] != saved {
		t.Errorf("%d saved, but %d listings and %d photos stored", saved, after["sell_listings"]-before["sell_listings"], after["sell_photos"]-before["sell_photos"])
	}
}

// TestSecurityRequestOutOfTimeChangesNothing: a request answered 503 because it ran out of
// time has changed nothing, and a change that was committed is never answered as a failure.
// A GORM callback on the test database sleeps past the request's deadline at the chosen
// moment: when the listing is about to be written (in its transaction, after its photo).
// On every database: SQLite's pool and PostgreSQL's driver end transactions differently.
func TestSecurityRequestOutOfTimeChangesNothing(t *testing.T) {
	for _, kind := range dbtest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel() // each on its own database and server
			const timeout = 3 * time.Second
			outOfTime(t, apptest.New(t, apptest.Kind(kind), apptest.Args("-request-timeout", timeout.String())), timeout)
		})
	}
}

func outOfTime(t *testing.T, env *apptest.Env, timeout time.Duration) {
	p := sellerClient(t, env)
	var small bytes.Buffer
	if err := jpeg.Encode(&small, image.NewRGBA(image.Rect(0, 0, 64, 48)), nil); err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		late bool // the listing's insert waits past the request's deadline
	)
	db := env.App.Accounts.DB()
	err := db.Callback().Create().Before("gorm:create").Register("test:late_listing", func(tx *gorm.DB) {
		if tx.Statement.Table != "sell_listings" {
			return
		}
		mu.Lock()
		l := late
		mu.Unlock()
		if d, ok := tx.Statement.Context.Deadline(); ok && l {
			time.Sleep(time.Until(d) + 100*time.Millisecond)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	// The practice tasks a listing completes are recorded in its transaction, and nothing
	// but the redirect follows the commit, so a request is either out of time before its
	// commit (503, nothing stored) or answered with what it stored.
	for _, tc := range []struct {
		when   string
		late   bool
		status int
		stored int64 // listings and photos
	}{
		{"in time", false, http.StatusSeeOther, 1},
		{"out of time before commit", true, http.StatusServiceUnavailable, 0},
	} {
		mu.Lock()
		late = tc.late
		mu.Unlock()
		listings, photos := countRows(t, env, "sell_listings", "1 = 1"), countRows(t, env, "sell_photos", "1 = 1")
		start := time.Now()
		r := p.PostFile("/shop/sell/listings", goodListing, "photo", "kiwi.jpg", "image/jpeg", small.Bytes())
		if took := time.Since(start); tc.late && took < timeout {
			t.Errorf("%s: answered after %v, before the deadline: the delay did not happen", tc.when, took)
		}
		if r.Status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.when, r.Status, tc.status)
		}
		if tc.status == http.StatusServiceUnavailable && !strings.Contains(r.Body, "太忙") {
			t.Errorf("%s: the 503 page does not say the server is busy", tc.when)
		}
		l, ph := countRows(t, env, "sell_listings", "1 = 1")-listings, countRows(t, env, "sell_photos", "1 = 1")-photos
		if l != tc.stored || ph != tc.stored {
			t.Errorf("%s: answered %d, and %d listings and %d photos stored; want %d", tc.when, r.Status, l, ph, tc.stored)
		}
	}
	mu.Lock()
	late = false
	mu.Unlock()
}

package web_test

// Product photo uploads: the large body limit, what is stored when a listing is refused,
// the bound on decoding, and requests that run out of time.

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"cunlu/app/account"
	"cunlu/app/apptest"
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

package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"cunlu/app/account"
	"cunlu/app/apptest"
	"cunlu/app/progress"
	"cunlu/app/web"
)

// signIns has one demo sign-in per role.
var signIns = map[account.Role][2]string{
	account.RoleAdmin:       {"admin", "demo-admin-pass"},
	account.RoleCoordinator: {"coordinator", "demo-coord-pass"},
	account.RolePartner:     {"partner", "demo-partner-pass"},
	account.RoleVillager:    {"villager", "demo-villager-pass"},
}

// examples fills route parameters with values that exist in the demo data.
var examples = strings.NewReplacer(
	":id", "1",
	":sid", "1",
	":eid", "1",
	":course/images/*", "paying-safely/images/pay-page-zh.svg",
	":course", "buying-online",
	":lesson", "how-online-shopping-works",
	":code", partnerCertificate,
	":trip", "t-sf-yz-d6231?day="+time.Now().AddDate(0, 0, 2).Format("2006-01-02")+"&class=second",
	"*", "x",
)

// partnerCertificate is a certificate the tests give to the demo partner.
const partnerCertificate = "testcertificatecode0000001"

func concrete(path string) string { return examples.Replace(path) }

// ownedByPartner lists pages that only their owner may see; others get 404.
var ownedByPartner = map[string]bool{"/certificates/:code": true, "/shop/orders/:id": true,
	"/shop/sell/listings/:id": true, "/shop/sell/photos/:id": true, "/shop/bills/:id": true, "/shop/inbox/:id": true,
	"/coord/partners/:id": true}

func givePartnerACertificate(t *testing.T, env *apptest.Env) {
	t.Helper()
	cert := progress.Certificate{Code: partnerCertificate, UserID: mustUserID(t, env, "partner"), Course: "buying-online", HolderName: "李娜", CentreName: "桃园村服务站", IssuedAt: time.Now()}
	if err := env.App.Accounts.DB().Create(&cert).Error; err != nil {
		t.Fatal(err)
	}
	// And an order in the partner's practice shop (order 1).
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	if r := c.Post("/shop/cart", url.Values{"product_id": {"1"}, "qty": {"1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("add to cart: %d\n%s", r.Status, r.Body)
	}
	if r := c.Post("/shop/checkout", url.Values{"key": {"routes-test-checkout-0001"}, "delivery": {"pickup"}, "payment": {"cash"}}); r.Status != http.StatusSeeOther || r.Location != "/shop/orders/1" {
		t.Fatalf("checkout: %d %q\n%s", r.Status, r.Location, r.Body)
	}
	// A shop with listing 1 and photo 1, bill 1, and messages 1… in the partner's inbox.
	c.Post("/shop/sell/shop", url.Values{"name": {"测试小店"}, "centre_id": {"1"}})
	if r := c.PostFile("/shop/sell/listings", url.Values{"title": {"猕猴桃 5斤"}, "price": {"39.9"}, "shipping": {"8"}, "stock": {"5"}}, "photo", "p.jpg", "image/jpeg", photoJPEG(t)); r.Status != http.StatusSeeOther {
		t.Fatalf("listing: %d\n%s", r.Status, r.Body)
	}
	c.Post("/shop/wallet/pin", url.Values{"pin": {"802468"}, "confirm": {"802468"}})
	if r := c.Post("/shop/bills", url.Values{"kind": {"electricity"}, "account": {"1234567897"}, "amount": {"10"}, "pin": {"802468"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("bill: %d\n%s", r.Status, r.Body)
	}
	c.Get("/shop/inbox")
}

// TestRouteTable walks every route the router has. It fails if a route was added without
// an access rule, and checks on the running server that every POST route refuses a request
// without a CSRF token and refuses every role it does not allow.
func TestRouteTable(t *testing.T) {
	env := apptest.New(t)
	declared := map[string]web.Route{}
	for _, r := range env.App.Web.Routes() {
		declared[r.Method+" "+r.Path] = r
	}
	for _, r := range env.App.Web.EchoRoutes() {
		if r.Method == "echo_route_not_found" {
			continue
		}
		method := r.Method
		if method == http.MethodHead {
			method = http.MethodGet // HEAD is the GET without its body (Server.add)
		}
		if _, ok := declared[method+" "+r.Path]; !ok {
			t.Errorf("route %s %s is registered without an access rule (use Server.handle or Server.public)", r.Method, r.Path)
		}
	}
	clients := map[account.Role]*apptest.Client{}
	for role, cred := range signIns {
		c := env.Client(t)
		c.SignIn(cred[0], cred[1])
		clients[role] = c
	}
	posts := 0
	for _, r := range env.App.Web.Routes() {
		if r.Method != http.MethodPost {
			continue
		}
		posts++
		path := concrete(r.Path)
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			// No token, even when signed in with an allowed role: refused before anything happens.
			for role, c := range clients {
				if got := c.PostRaw(path, url.Values{}).Status; got != http.StatusForbidden {
					t.Errorf("%s without _csrf: status %d, want 403", role, got)
				}
			}
			if r.Public {
				return
			}
			// Signed out: sent to sign in.
			if got := env.Client(t).Post(path, url.Values{}); got.Status != http.StatusSeeOther || !strings.HasPrefix(got.Location, "/login") {
				t.Errorf("signed out: status %d to %q, want 303 to /login", got.Status, got.Location)
			}
			if len(r.Roles) == 0 {
				return
			}
			for role, c := range clients {
				if slices.Contains(r.Roles, role) {
					continue
				}
				if got := c.Post(path, url.Values{}).Status; got != http.StatusForbidden {
					t.Errorf("%s (not allowed): status %d, want 403", role, got)
				}
			}
		})
	}
	if posts < 10 {
		t.Fatalf("only %d POST routes found; the route table is not being walked", posts)
	}
}

// TestEveryPageInBothLanguages renders every GET page for a role allowed to see it and for
// every role that is not, in Chinese and English, and fails on any missing catalog message.
func TestEveryPageInBothLanguages(t *testing.T) {
	env := apptest.New(t)
	givePartnerACertificate(t, env)
	pages := 0
	for _, lang := range []string{"zh-CN", "en"} {
		clients := map[account.Role]*apptest.Client{}
		for role, cred := range signIns {
			c := env.Client(t)
			c.SignIn(cred[0], cred[1])
			c.Post("/lang", url.Values{"lang": {lang}})
			clients[role] = c
		}
		anon := env.Client(t)
		anon.Post("/lang", url.Values{"lang": {lang}})
		for _, r := range env.App.Web.Routes() {
			// Not pages: files, and a lesson's recording (lesson_audio_test.go serves one).
			if r.Method != http.MethodGet || r.Path == "/static/*" || r.Path == "/metrics" || r.Path == "/healthz" ||
				r.Path == "/courses/:course/:lesson/audio/:id" {
				continue
			}
			path := concrete(r.Path)
			switch r.Path {
			case "/partner/villagers/:id/pin", "/partner/villagers/:id": // a villager of the demo partner's centre (id 1 is the admin's)
				path = strings.Replace(r.Path, ":id", userID(t, env, "villager"), 1)
			}
			for role, c := range clients {
				allowed := r.Public || len(r.Roles) == 0 || slices.Contains(r.Roles, role)
				res := c.Get(path)
				switch {
				case allowed && ownedByPartner[r.Path] && role != account.RolePartner && res.Status == http.StatusNotFound:
				case allowed && res.Status == http.StatusSeeOther:
					// Signed-in people are sent on from the sign-in pages and from "/" to their home.
				case allowed && res.Status != http.StatusOK:
					t.Errorf("%s %s as %s: status %d, want 200", lang, path, role, res.Status)
				case !allowed && res.Status != http.StatusForbidden:
					t.Errorf("%s %s as %s (not allowed): status %d, want 403", lang, path, role, res.Status)
				}
				checkPage(t, lang, path, res)
				pages++
			}
			if res := anon.Get(path); r.Public {
				checkPage(t, lang, path, res)
			} else if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
				t.Errorf("%s %s signed out: status %d, want 303 to /login", lang, path, res.Status)
			}
		}
	}
	if missing := env.App.Web.MissingTranslations(); len(missing) > 0 {
		t.Errorf("missing translations: %v", missing)
	}
	if pages < 40 {
		t.Fatalf("only %d pages rendered", pages)
	}
}

func checkPage(t *testing.T, lang, path string, res *apptest.Resp) {
	t.Helper()
	if strings.Contains(res.Body, "[[") {
		i := strings.Index(res.Body, "[[")
		t.Errorf("%s %s shows a missing message: %s", lang, path, res.Body[i:min(len(res.Body), i+60)])
	}
	isHTML := strings.HasPrefix(res.Header.Get("Content-Type"), "text/html")
	if res.Status == http.StatusOK && isHTML && !strings.Contains(res.Body, `<html lang="`+lang+`">`) {
		t.Errorf("%s %s: page is not in %s", lang, path, lang)
	}
}

// TestHeadIsGetWithoutBody: HEAD of a page answers like its GET (status, type, validator),
// with no body.
func TestHeadIsGetWithoutBody(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	for _, path := range []string{"/login", "/courses", "/courses/buying-online/how-online-shopping-works", "/healthz"} {
		get := c.Get(path)
		req, _ := http.NewRequest(http.MethodHead, env.URL+path, nil)
		head := c.Do(req)
		if head.Status != get.Status || head.Body != "" || head.Header.Get("Content-Type") != get.Header.Get("Content-Type") ||
			head.Header.Get("ETag") != get.Header.Get("ETag") {
			t.Errorf("HEAD %s: %d, %d bytes, type %q, tag %q; GET: %d, type %q, tag %q", path, head.Status, len(head.Body),
				head.Header.Get("Content-Type"), head.Header.Get("ETag"), get.Status, get.Header.Get("Content-Type"), get.Header.Get("ETag"))
		}
	}
	// Asking about a lesson is not opening it.
	l := env.App.Courses.Catalog().Lesson("paying-safely", "pay-bills")
	if l == nil {
		t.Fatal("no such lesson")
	}
	req, _ := http.NewRequest(http.MethodHead, env.URL+l.URL(), nil)
	if r := c.Do(req); r.Status != http.StatusOK {
		t.Fatalf("HEAD %s: %d", l.URL(), r.Status)
	}
	if n := countRows(t, env, "lesson_progress", "user_id = ? AND course = ? AND lesson = ?", mustUserID(t, env, "partner"), l.Course.Slug, l.Slug); n != 0 {
		t.Error("HEAD of a lesson recorded it as opened")
	}
	c.Get(l.URL())
	if n := countRows(t, env, "lesson_progress", "user_id = ? AND course = ? AND lesson = ?", mustUserID(t, env, "partner"), l.Course.Slug, l.Slug); n != 1 {
		t.Error("GET of a lesson did not record it as opened (the check above proves nothing)")
	}
	req, _ = http.NewRequest(http.MethodHead, env.URL+"/logout", nil)
	if r := c.Do(req); r.Status != http.StatusMethodNotAllowed && r.Status != http.StatusNotFound {
		t.Errorf("HEAD of a POST-only address: %d", r.Status)
	}
	if r := c.Get("/account"); r.Status != http.StatusOK {
		t.Errorf("still signed in after HEAD /logout? %d", r.Status)
	}
}

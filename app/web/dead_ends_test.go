package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cunlu/app/apptest"
)

// getFrom fetches path as a browser does after following a link on the page from.
func getFrom(t *testing.T, env *apptest.Env, c *apptest.Client, path, from string) *apptest.Resp {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, env.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if from != "" {
		req.Header.Set("Referer", from)
	}
	return c.Do(req)
}

// TestErrorPageLeadsBack: an error page says what happened in words, never a code, and
// offers the way back to the page the person came from (on this site only), and their home.
func TestErrorPageLeadsBack(t *testing.T) {
	env := apptest.New(t)
	v := env.Client(t)
	v.SignIn("villager", "demo-villager-pass")
	co := env.Client(t)
	co.SignIn("coordinator", "demo-coord-pass")
	for _, tc := range []struct {
		name     string
		c        *apptest.Client
		from     string
		back     string // the back link, "" for none
		home     string
		heading  string
		notFound []string
	}{
		{"from a page of the site", v, env.URL + "/shop/orders?x=1", `href="/shop/orders?x=1"`, `href="/"`, "没有找到", nil},
		{"from another site", v, "https://evil.example/phish", "", `href="/"`, "没有找到", []string{"evil.example"}},
		{"no referer", v, "", "", `href="/"`, "没有找到", []string{"返回上一页"}},
		{"a coordinator's home", co, env.URL + "/coord", `href="/coord"`, `href="/coord"`, "这里你不能进", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := getFrom(t, env, tc.c, "/shop/orders/99999", tc.from)
			if r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
				t.Fatalf("status %d", r.Status)
			}
			for _, bad := range append([]string{"错误代码", "404", "403", "Error"}, tc.notFound...) {
				if strings.Contains(stripTags(r.Body), bad) {
					t.Errorf("the error page shows %q", bad)
				}
			}
			if !strings.Contains(r.Body, "<h1>"+tc.heading+"</h1>") {
				t.Errorf("no heading %q", tc.heading)
			}
			if tc.back != "" && !strings.Contains(r.Body, tc.back+`>← 返回上一页`) {
				t.Errorf("no back link %s", tc.back)
			}
			if !strings.Contains(r.Body, tc.home) {
				t.Errorf("no home link %s", tc.home)
			}
		})
	}
	// A refused POST leads back to the form's page.
	r := v.Post("/shop/reset", url.Values{})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "这一步没办成") {
		t.Errorf("refused reset: %d", r.Status)
	}
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// stripTags is the text of a page (and its attribute-free markup), for checking what it says.
func stripTags(html string) string {
	if i := strings.Index(html, "<main"); i >= 0 {
		html = html[i:]
	}
	if i := strings.Index(html, "<footer"); i >= 0 {
		html = html[:i]
	}
	return tagRE.ReplaceAllString(html, " ")
}

// TestPickupCodeWrongStaysOnTheOrder: a wrong pickup code shows the order page again, the
// message next to the code field, the code as typed; tapping "pick up" twice does not lead
// to an error page either.
func TestPickupCodeWrongStaysOnTheOrder(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	order := buy(t, c, productID(t, env, "复合肥", 13800), url.Values{"delivery": {"pickup"}, "payment": {"cash"}})
	for i := 0; i < 3; i++ {
		c.Post(order+"/forward", nil)
	}
	code := regexp.MustCompile(`class="code big-code">(\d{6})<`).FindStringSubmatch(c.Get(order).Body)
	if code == nil {
		t.Fatal("no pickup code")
	}
	r := c.Post(order+"/pickup", url.Values{"code": {"12345"}})
	if r.Status != http.StatusBadRequest || strings.Contains(r.Body, "page-error") {
		t.Fatalf("wrong code: %d, error page %v", r.Status, strings.Contains(r.Body, "page-error"))
	}
	field := regexp.MustCompile(`(?s)<input id="code"[^>]*value="12345"[^>]*aria-describedby="code-error"[^>]*>\s*<p class="field-error" id="code-error">取件码不对`)
	if !field.MatchString(r.Body) {
		t.Errorf("the message is not next to the code field with the code kept:\n%s", r.Body)
	}
	if r := c.Post(order+"/pickup", url.Values{"code": {code[1]}}); r.Status != http.StatusSeeOther {
		t.Fatalf("pickup: %d", r.Status)
	}
	r = c.Post(order+"/pickup", url.Values{"code": {code[1]}})
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "page-shop_order") || !strings.Contains(r.Body, "已经取过了") {
		t.Errorf("second pickup: %d, order page %v", r.Status, strings.Contains(r.Body, "page-shop_order"))
	}
}

// TestShopFormsStayOnTheirPage: a refused review, quantity or listing stays on its page with
// the message next to the field; a listing refused after a photo was chosen says next to the
// photo field that it must be chosen again.
func TestShopFormsStayOnTheirPage(t *testing.T) {
	env := apptest.New(t)
	p := sellerClient(t, env)
	bad := url.Values{}
	for k, v := range goodListing {
		bad[k] = v
	}
	bad.Set("price", "abc")
	r := p.PostFile("/shop/sell/listings", bad, "photo", "kiwi.jpg", "image/jpeg", []byte("\xff\xd8\xff not really"))
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "page-sell_listing") {
		t.Fatalf("bad price: %d", r.Status)
	}
	if !regexp.MustCompile(`(?s)<input id="photo"[^>]*>\s*<p class="field-error" id="photo-error">你选的照片还没有保存`).MatchString(r.Body) {
		t.Error("no word next to the photo field that it must be chosen again")
	}
	if !regexp.MustCompile(`(?s)<input id="price"[^>]*value="abc"[^>]*>\s*<p class="field-error" id="price-error">`).MatchString(r.Body) {
		t.Error("the price error is not next to the price field")
	}
	if r := p.PostFile("/shop/sell/listings", bad, "", "", "", nil); strings.Contains(r.Body, "你选的照片还没有保存") {
		t.Error("asks to choose again a photo that was not chosen")
	}

	// A partner's form: registering a villager with a wrong phone number.
	r = p.Post("/partner/villagers", url.Values{"name": {"赵大爷"}, "phone": {"12345"}, "pin": {"246813"}, "centre_id": {fmt.Sprint(centreID(t, env, "桃园村服务站"))}})
	if r.Status != http.StatusBadRequest || !regexp.MustCompile(`(?s)<input id="phone"[^>]*value="12345"[^>]*>\s*<p class="field-error" id="phone-error">手机号不对`).MatchString(r.Body) {
		t.Errorf("a wrong phone number: %d, not said next to the field", r.Status)
	}

	fert := productID(t, env, "复合肥", 13800)
	r = p.Post("/shop/cart", url.Values{"product_id": {fert}, "qty": {"500"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "page-shop_product") ||
		!regexp.MustCompile(`(?s)<input id="qty"[^>]*value="500"[^>]*>\s*<p class="field-error" id="qty-error">`).MatchString(r.Body) {
		t.Errorf("too many in the cart: %d, product page %v", r.Status, strings.Contains(r.Body, "page-shop_product"))
	}
}

// TestLanguageSwitchAfterAFormAnswer: a page that answers a POST (a form shown again) offers
// the language switch back to the form's page, not to the POST's address (which a GET
// cannot open).
func TestLanguageSwitchAfterAFormAnswer(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	order := buy(t, c, productID(t, env, "复合肥", 13800), url.Values{"delivery": {"pickup"}, "payment": {"cash"}})
	req, err := http.NewRequest(http.MethodPost, env.URL+order+"/pickup", strings.NewReader(url.Values{"_csrf": {c.CSRF()}, "code": {"1"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", env.URL+order)
	r := c.Do(req)
	if !strings.Contains(r.Body, `name="next" value="`+order+`"`) {
		t.Errorf("the language switch after a refused pickup does not lead back to %s", order)
	}
}

package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cunlu/app/apptest"
	"cunlu/app/sandbox"
)

// cartQty is the quantity of a product in a learner's cart (0 when it has no line).
func cartQty(t *testing.T, env *apptest.Env, login, product string) int {
	t.Helper()
	var it sandbox.CartItem
	env.App.Accounts.DB().Where("user_id = ? AND product_id = ?", mustUserID(t, env, login), product).Limit(1).Find(&it)
	return it.Qty
}

// villagerShop starts the app with the demo villager signed in, and returns the id of a
// packet of cabbage seeds (¥9.90, can be picked up at a centre).
func villagerShop(t *testing.T) (*apptest.Env, *apptest.Client, string) {
	t.Helper()
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	return env, c, productID(t, env, "白菜种子", 990)
}

// TestCartPicturesAndSteppers: each line shows its product's picture and − / + buttons that
// post the next quantity; + stops at the limit, the stock is respected with the error on the
// cart, and − from 1 removes the line.
func TestCartPicturesAndSteppers(t *testing.T) {
	env, c, seeds := villagerShop(t)
	c.Post("/shop/cart", url.Values{"product_id": {seeds}, "qty": {"2"}})
	var p sandbox.Product
	env.App.Accounts.DB().Take(&p, seeds)

	body := c.Get("/shop/cart").Body
	if !regexp.MustCompile(`<img src="/static/shop/` + regexp.QuoteMeta(strings.TrimSuffix(p.Image, ".svg")) + `[^"]*"`).MatchString(body) {
		t.Errorf("the cart line has no picture of %s", p.Image)
	}
	less := regexp.MustCompile(`name="qty" value="(\d+)">\s*<button type="submit" class="step" aria-label="([^"]+)">−</button>`).FindStringSubmatch(body)
	more := regexp.MustCompile(`name="qty" value="(\d+)">\s*<button type="submit" class="step" aria-label="([^"]+)">\+</button>`).FindStringSubmatch(body)
	if less == nil || more == nil || less[1] != "1" || more[1] != "3" || !strings.Contains(html.UnescapeString(less[2]), "少一件") {
		t.Fatalf("− / + buttons: %q %q", less, more)
	}
	if r := c.Post("/shop/cart/"+seeds, url.Values{"qty": {more[1]}}); r.Status != http.StatusSeeOther || cartQty(t, env, "villager", seeds) != 3 {
		t.Fatalf("+: %d, qty %d", r.Status, cartQty(t, env, "villager", seeds))
	}
	if r := c.Post("/shop/cart/"+seeds, url.Values{"qty": {"2"}}); r.Status != http.StatusSeeOther || cartQty(t, env, "villager", seeds) != 2 {
		t.Fatalf("−: %d", r.Status)
	}
	// At the limit there is no +, and a quantity beyond it is refused on the cart page.
	c.Post("/shop/cart/"+seeds, url.Values{"qty": {"20"}})
	if body := c.Get("/shop/cart").Body; cartQty(t, env, "villager", seeds) != 20 || strings.Contains(body, ">+</button>") {
		t.Errorf("at the limit of %d: qty %d, + still offered %v", sandbox.MaxQty, cartQty(t, env, "villager", seeds), strings.Contains(body, ">+</button>"))
	}
	r := c.Post("/shop/cart/"+seeds, url.Values{"qty": {"21"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `class="cart-line"`) || !strings.Contains(r.Body, "20") || cartQty(t, env, "villager", seeds) != 20 {
		t.Errorf("beyond the limit: %d, the cart not shown with the error, or changed to %d", r.Status, cartQty(t, env, "villager", seeds))
	}
	// Stock: a product with little left refuses more than there is, on the cart.
	env.App.Accounts.DB().Model(&sandbox.Product{}).Where("id = ?", seeds).Update("stock", 4)
	r = c.Post("/shop/cart/"+seeds, url.Values{"qty": {"5"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "库存不够，最多还能买 4 件") || !strings.Contains(r.Body, `class="cart-line"`) || cartQty(t, env, "villager", seeds) != 20 {
		t.Errorf("beyond the stock: %d, qty %d", r.Status, cartQty(t, env, "villager", seeds))
	}
	// − from 1 removes the line.
	env.App.Accounts.DB().Model(&sandbox.Product{}).Where("id = ?", seeds).Update("stock", 500)
	c.Post("/shop/cart/"+seeds, url.Values{"qty": {"1"}})
	if r := c.Post("/shop/cart/"+seeds, url.Values{"qty": {"0"}}); r.Status != http.StatusSeeOther || cartQty(t, env, "villager", seeds) != 0 {
		t.Errorf("− from 1: %d, qty %d", r.Status, cartQty(t, env, "villager", seeds))
	}
}

// TestCartRemoveAndUndo: removing a line says so with an Undo that puts the same quantity
// back; another learner's cart line cannot be touched.
func TestCartRemoveAndUndo(t *testing.T) {
	env, c, seeds := villagerShop(t)
	c.Post("/shop/cart", url.Values{"product_id": {seeds}, "qty": {"3"}})

	// Another learner cannot change or remove it: their own cart has no such line.
	o := env.Client(t)
	o.SignIn("partner", "demo-partner-pass")
	for _, qty := range []string{"0", "1", "5"} {
		if r := o.Post("/shop/cart/"+seeds, url.Values{"qty": {qty}}); r.Status != http.StatusNotFound {
			t.Errorf("another learner's cart line with qty %s: %d, want 404", qty, r.Status)
		}
	}
	if q := cartQty(t, env, "villager", seeds); q != 3 {
		t.Fatalf("another learner changed the cart to %d", q)
	}

	r := c.Post("/shop/cart/"+seeds, url.Values{"qty": {"0"}})
	if r.Status != http.StatusSeeOther || cartQty(t, env, "villager", seeds) != 0 {
		t.Fatalf("remove: %d, qty %d", r.Status, cartQty(t, env, "villager", seeds))
	}
	page := c.Get(r.Location)
	undo := regexp.MustCompile(`(?s)<div class="flash undo" role="status"><span>已移除 白菜种子[^<]*</span>.*?name="product_id" value="` + seeds + `"><input type="hidden" name="qty" value="3"><input type="hidden" name="from" value="undo">\s*<button type="submit" class="btn-secondary">撤销</button>`)
	if !undo.MatchString(page.Body) {
		t.Fatalf("after removing, the cart does not offer to undo (at %s):\n%s", r.Location, page.Body)
	}
	r = c.Post("/shop/cart", url.Values{"product_id": {seeds}, "qty": {"3"}, "from": {"undo"}})
	if r.Status != http.StatusSeeOther || cartQty(t, env, "villager", seeds) != 3 {
		t.Fatalf("undo: %d, qty %d, want 3 again", r.Status, cartQty(t, env, "villager", seeds))
	}
	if body := c.Get("/shop/cart").Body; !strings.Contains(body, "已放回购物车") || strings.Contains(body, "撤销") {
		t.Error("after undo the cart does not say it was put back, or still offers undo")
	}
	// Once the line is back, the old undo address offers nothing (no doubling by a reload),
	// and nonsense in the address shows the plain cart.
	for _, q := range []string{r.Location + "?removed=" + seeds + "&qty=3", "/shop/cart?removed=999999&qty=3", "/shop/cart?removed=" + seeds + "&qty=99", "/shop/cart?removed=x&qty=-1"} {
		if r := c.Get(q); r.Status != http.StatusOK || strings.Contains(r.Body, "撤销") {
			t.Errorf("%s: %d, offers undo %v", q, r.Status, strings.Contains(r.Body, "撤销"))
		}
	}
}

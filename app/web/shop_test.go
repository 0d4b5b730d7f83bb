package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cunlu/app/apptest"
	"cunlu/app/sandbox"
)

// productID finds a catalogue product by part of its Chinese name and its price in cents.
func productID(t *testing.T, env *apptest.Env, name string, cents int64) string {
	t.Helper()
	var p sandbox.Product
	if err := env.App.Accounts.DB().Where("name_zh LIKE ? AND price_cents = ?", "%"+name+"%", cents).Take(&p).Error; err != nil {
		t.Fatalf("find product %s %d: %v", name, cents, err)
	}
	return fmt.Sprint(p.ID)
}

var orderURL = regexp.MustCompile(`^/shop/orders/(\d+)$`)

// buy puts a product in the cart and checks out, returning the order's URL.
func buy(t *testing.T, c *apptest.Client, product string, form url.Values) string {
	t.Helper()
	if r := c.Post("/shop/cart", url.Values{"product_id": {product}, "qty": {"1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("add to cart: %d\n%s", r.Status, r.Body)
	}
	if form.Get("key") == "" {
		form.Set("key", fmt.Sprintf("test-checkout-key-%s-%d", product, len(form)))
	}
	r := c.Post("/shop/checkout", form)
	if r.Status != http.StatusSeeOther || !orderURL.MatchString(r.Location) {
		t.Fatalf("checkout: %d %q\n%s", r.Status, r.Location, r.Body)
	}
	return r.Location
}

func TestShopBuyWithPickupTrackAndCollect(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	env.OpenLessons(t, "villager")
	uid := mustUserID(t, env, "villager")

	if r := c.Get("/shop/search?q=" + url.QueryEscape("复合肥") + "&pickup=1&sort=price"); r.Status != http.StatusOK || !strings.Contains(r.Body, "复合肥") {
		t.Fatalf("search: %d", r.Status)
	}
	fert := productID(t, env, "复合肥", 13800)
	if r := c.Get("/shop/products/" + fert + "/compare"); r.Status != http.StatusOK || strings.Count(r.Body, `name="from" value="compare"`) < 2 {
		t.Fatalf("compare page: %d", r.Status)
	}
	if r := c.Post("/shop/wallet/pin", url.Values{"pin": {"802468"}, "confirm": {"802468"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("set PIN: %d\n%s", r.Status, r.Body)
	}
	order := buy(t, c, fert, url.Values{"delivery": {"pickup"}, "payment": {"wallet"}, "pin": {"802468"}})
	page := c.Get(order)
	if !strings.Contains(page.Body, "已下单") || strings.Contains(page.Body, `action="`+order+`/pickup"`) {
		t.Fatal("a new order should be 'ordered' and not ready for pickup")
	}
	if r := c.Get("/shop/wallet"); !strings.Contains(r.Body, "¥1862.00") {
		t.Error("wallet does not show ¥2000 − ¥138")
	}
	// Fast-forward three times: shipped, county warehouse, arrived at the centre.
	for i := 0; i < 3; i++ {
		if r := c.Post(order+"/forward", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("forward %d: %d", i, r.Status)
		}
	}
	page = c.Get(order)
	code := regexp.MustCompile(`class="code big-code">(\d{6})<`).FindStringSubmatch(page.Body)
	if code == nil {
		t.Fatal("no pickup code on the arrived order")
	}
	if r := c.Post(order+"/pickup", url.Values{"code": {"000000"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "取件码不对") {
		t.Fatalf("wrong pickup code: %d", r.Status)
	}
	if r := c.Post(order+"/pickup", url.Values{"code": {code[1]}}); r.Status != http.StatusSeeOther {
		t.Fatalf("pickup: %d", r.Status)
	}
	if r := c.Post(order+"/review", url.Values{"product_id": {fert}, "stars": {"5"}, "text": {"颗粒干爽，好用"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("review: %d", r.Status)
	}
	for _, task := range []string{"buy-first-order", "buy-fertiliser-pickup", "buy-track-order", "buy-pickup-parcel", "buy-write-review", "pay-set-pin", "pay-wallet-pin"} {
		if n := countRows(t, env, "task_completions", "user_id = ? AND task_id = ?", uid, task); n != 1 {
			t.Errorf("task %s not recorded as done", task)
		}
	}
	for _, task := range []string{"buy-home-delivery", "pay-cash-on-pickup", "buy-return-damaged"} {
		if n := countRows(t, env, "task_completions", "user_id = ? AND task_id = ?", uid, task); n != 0 {
			t.Errorf("task %s recorded without being done", task)
		}
	}
	// The lesson page shows the task as done, with the order as evidence.
	lesson := c.Get("/courses/buying-online/how-online-shopping-works")
	if !strings.Contains(lesson.Body, "已完成") || !strings.Contains(lesson.Body, "订单 CL") {
		t.Error("lesson page does not show the practice task done with its evidence")
	}
	// Practice orders are not real sales: the catalogue's sales count did not move.
	var sales int
	env.App.Accounts.DB().Table("shop_products").Select("sales").Where("id = ?", fert).Scan(&sales)
	if sales != 2310 {
		t.Errorf("catalogue sales changed to %d by a practice order", sales)
	}
}

func TestShopOutcomeCodes(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	env.OpenLessons(t, "partner")
	seeds := productID(t, env, "白菜种子", 990)
	c.Post("/shop/wallet/pin", url.Values{"pin": {"802468"}, "confirm": {"802468"}})
	c.Post("/shop/cart", url.Values{"product_id": {seeds}, "qty": {"1"}})
	checkout := func(key, outcome, pin string) *apptest.Resp {
		return c.Post("/shop/checkout", url.Values{"key": {key}, "delivery": {"pickup"}, "payment": {"wallet"}, "pin": {pin}, "outcome": {outcome}})
	}
	if r := checkout("outcome-test-key-0001", "0001", "802468"); r.Status != http.StatusConflict || !strings.Contains(r.Body, "付款失败") {
		t.Fatalf("0001: %d, want 409 declined", r.Status)
	}
	if n := countRows(t, env, "sandbox_orders", "1 = 1"); n != 0 {
		t.Fatal("a declined payment created an order")
	}
	// Recover: pay cash on pickup instead.
	r := c.Post("/shop/checkout", url.Values{"key": {"outcome-test-key-0001b"}, "delivery": {"pickup"}, "payment": {"cash"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("cash after decline: %d", r.Status)
	}
	uid := mustUserID(t, env, "partner")
	if n := countRows(t, env, "task_completions", "user_id = ? AND task_id = ?", uid, "pay-recover-declined"); n != 1 {
		t.Error("recovering from a declined payment is not recorded")
	}
	// Wrong PIN three times locks payment.
	c.Post("/shop/cart", url.Values{"product_id": {seeds}, "qty": {"1"}})
	for i, want := range []int{http.StatusBadRequest, http.StatusBadRequest, http.StatusTooManyRequests} {
		if r := checkout(fmt.Sprintf("outcome-test-key-pin-%d", i), "", "111222"); r.Status != want {
			t.Fatalf("wrong PIN %d: %d, want %d", i+1, r.Status, want)
		}
	}
	if r := checkout("outcome-test-key-pin-ok", "", "802468"); r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "锁住") {
		t.Fatalf("right PIN while locked: %d", r.Status)
	}
	// 0002: sold out during checkout; 0003 delayed; 0004 damaged.
	r = c.Post("/shop/checkout", url.Values{"key": {"outcome-test-key-0002"}, "delivery": {"pickup"}, "payment": {"cash"}, "outcome": {"0002"}})
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "卖完了") {
		t.Fatalf("0002: %d", r.Status)
	}
	c.Post("/shop/cart/"+seeds, url.Values{"qty": {"0"}})
	kettle := productID(t, env, "白菜种子", 750)
	c.Post("/shop/cart", url.Values{"product_id": {kettle}, "qty": {"1"}})
	r = c.Post("/shop/checkout", url.Values{"key": {"outcome-test-key-0003"}, "delivery": {"pickup"}, "payment": {"cash"}, "outcome": {"0003"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("0003: %d\n%s", r.Status, r.Body)
	}
	c.Post(r.Location+"/forward", nil)
	c.Post(r.Location+"/forward", nil)
	if body := c.Get(r.Location).Body; !strings.Contains(body, "多耽搁一天") {
		t.Error("0003: the delay is not shown")
	}
	if r := c.Post("/shop/checkout", url.Values{"key": {"outcome-test-key-9999"}, "delivery": {"pickup"}, "payment": {"cash"}, "outcome": {"9999"}}); r.Status != http.StatusBadRequest {
		t.Errorf("unknown outcome code: %d", r.Status)
	}
}

func TestShopReturnDamagedAndRefund(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner02", "demo-partner-pass")
	env.OpenLessons(t, "partner02")
	c.Post("/shop/wallet/pin", url.Values{"pin": {"802468"}, "confirm": {"802468"}})
	p := productID(t, env, "复合肥", 13800)
	order := buy(t, c, p, url.Values{"delivery": {"pickup"}, "payment": {"wallet"}, "pin": {"802468"}, "outcome": {"0004"}})
	if r := c.Post(order+"/return", url.Values{"reason": {"damaged"}}); r.Status != http.StatusConflict {
		t.Fatalf("return before receiving: %d, want 409", r.Status)
	}
	for i := 0; i < 3; i++ {
		c.Post(order+"/forward", nil)
	}
	body := c.Get(order).Body
	if !strings.Contains(body, "箱子压坏了") {
		t.Fatal("the damaged parcel is not announced at pickup")
	}
	code := regexp.MustCompile(`class="code big-code">(\d{6})<`).FindStringSubmatch(body)[1]
	c.Post(order+"/pickup", url.Values{"code": {code}})
	if r := c.Post(order+"/return", url.Values{"reason": {"broken-by-me"}}); r.Status != http.StatusBadRequest {
		t.Errorf("unknown reason: %d", r.Status)
	}
	if r := c.Post(order+"/return", url.Values{"reason": {"damaged"}, "note": {"袋子破了"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("return: %d", r.Status)
	}
	if !strings.Contains(c.Get("/shop/wallet").Body, "¥1862.00") {
		t.Error("refund paid before the seller handled it")
	}
	c.Post(order+"/forward", nil)
	if !strings.Contains(c.Get("/shop/wallet").Body, "¥2000.00") {
		t.Error("refund not back in the wallet after fast-forward")
	}
	if n := countRows(t, env, "task_completions", "user_id = ? AND task_id = ?", mustUserID(t, env, "partner02"), "buy-return-damaged"); n != 1 {
		t.Error("buy-return-damaged not recorded")
	}
}

func TestShopIsolationAndBadInput(t *testing.T) {
	env := apptest.New(t)
	a := env.Client(t)
	a.SignIn("partner03", "demo-partner-pass")
	env.OpenLessons(t, "partner03")
	seeds := productID(t, env, "白菜种子", 990)
	order := buy(t, a, seeds, url.Values{"delivery": {"pickup"}, "payment": {"cash"}})
	eventsOfA := countRows(t, env, "sandbox_events", "user_id = ?", mustUserID(t, env, "partner03"))
	b := env.Client(t)
	b.SignIn("partner04", "demo-partner-pass")
	env.OpenLessons(t, "partner04")
	for _, r := range []*apptest.Resp{
		b.Get(order),
		b.Post(order+"/forward", nil),
		b.Post(order+"/pickup", url.Values{"code": {"123456"}}),
		b.Post(order+"/return", url.Values{"reason": {"damaged"}}),
		b.Post(order+"/review", url.Values{"product_id": {seeds}, "stars": {"1"}, "text": {"差评差评"}}),
	} {
		if r.Status != http.StatusNotFound {
			t.Errorf("another learner's order: %d, want 404", r.Status)
		}
	}
	if strings.Contains(b.Get("/shop/orders").Body, `href="`+order+`"`) {
		t.Error("B's order list shows A's order")
	}
	if n := countRows(t, env, "sandbox_events", "user_id = ?", mustUserID(t, env, "partner03")); n != eventsOfA {
		t.Errorf("B's attempts changed A's sandbox (%d events, %d before)", n, eventsOfA)
	}
	for name, form := range map[string]url.Values{
		"zero":     {"product_id": {seeds}, "qty": {"0"}},
		"negative": {"product_id": {seeds}, "qty": {"-3"}},
		"absurd":   {"product_id": {seeds}, "qty": {"99999999999"}},
		"text":     {"product_id": {seeds}, "qty": {"lots"}},
		"too many": {"product_id": {seeds}, "qty": {"21"}},
	} {
		if r := b.Post("/shop/cart", form); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "数量") {
			t.Errorf("%s quantity: %d, want 400 with a message", name, r.Status)
		}
	}
	if r := b.Post("/shop/cart", url.Values{"product_id": {"999999"}, "qty": {"1"}}); r.Status != http.StatusNotFound {
		t.Errorf("unknown product: %d", r.Status)
	}
	if n := countRows(t, env, "sandbox_cart_items", "user_id = ?", mustUserID(t, env, "partner04")); n != 0 {
		t.Fatalf("bad input put %d lines in the cart", n)
	}
	for _, q := range []string{"sort=price;DROP TABLE users", "min=abc", "min=50&max=10", "category=weapons", "rating=99"} {
		if r := b.Get("/shop/search?" + q); r.Status != http.StatusBadRequest {
			t.Errorf("search %q: %d, want 400", q, r.Status)
		}
	}
	// Reset needs the confirmation, and gives the starting state back.
	if r := a.Post("/shop/reset", nil); r.Status != http.StatusBadRequest {
		t.Errorf("reset without confirmation: %d", r.Status)
	}
	if r := a.Post("/shop/reset", url.Values{"confirm": {"yes"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("reset: %d", r.Status)
	}
	if n := countRows(t, env, "sandbox_orders", "user_id = ?", mustUserID(t, env, "partner03")); n != 0 {
		t.Error("orders survived the reset")
	}
}

func TestAssistedSession(t *testing.T) {
	env := apptest.New(t)
	p := env.Client(t)
	p.SignIn("partner", "demo-partner-pass") // 桃园村服务站
	env.OpenLessons(t, "partner")
	own := mustUserID(t, env, "villager") // 王秀英, same centre
	env.OpenLessons(t, "villager")
	other := mustUserID(t, env, "13800000002") // 李桂兰, 石桥村服务站
	if r := p.Post("/shop/assist", url.Values{"villager_id": {fmt.Sprint(other)}}); r.Status != http.StatusNotFound {
		t.Fatalf("assisting a villager of another centre: %d, want 404", r.Status)
	}
	if r := p.Post("/shop/assist", url.Values{"villager_id": {fmt.Sprint(own)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("start assist: %d", r.Status)
	}
	if body := p.Get("/shop").Body; !strings.Contains(body, "王秀英") {
		t.Fatal("assisted shop does not say whom it is for")
	}
	seeds := productID(t, env, "白菜种子", 990)
	buy(t, p, seeds, url.Values{"delivery": {"pickup"}, "payment": {"cash"}})
	if n := countRows(t, env, "sandbox_orders", "user_id = ? AND assisted_by_id = ?", own, mustUserID(t, env, "partner")); n != 1 {
		t.Fatal("the order was not placed in the villager's sandbox, marked as assisted")
	}
	if n := countRows(t, env, "task_completions", "user_id = ? AND task_id = ?", mustUserID(t, env, "partner"), "assist-villager-order"); n != 1 {
		t.Error("the partner's assist task is not recorded")
	}
	if n := countRows(t, env, "task_completions", "user_id = ? AND task_id = ?", own, "buy-first-order"); n != 1 {
		t.Error("the villager's own task is not recorded")
	}
	p.Post("/shop/assist/end", nil)
	if body := p.Get("/shop/orders").Body; strings.Contains(body, "CL") {
		t.Error("after ending, the partner's own shop shows the villager's order")
	}
	v := env.Client(t)
	v.SignIn("villager", "demo-villager-pass")
	env.OpenLessons(t, "villager")
	if body := v.Get("/shop/orders").Body; !strings.Contains(body, "CL") {
		t.Error("the villager does not see the order placed with them")
	}
	if r := v.Post("/shop/assist", url.Values{"villager_id": {fmt.Sprint(own)}}); r.Status != http.StatusForbidden {
		t.Errorf("a villager opening an assisted session: %d", r.Status)
	}
}

// The shop lists the practice tasks of the lessons the learner has opened, and says that
// only what follows a lesson's opening counts.
func TestShopListsTheTasksOfOpenedLessons(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	if l == nil || len(l.Tasks) != 1 {
		t.Fatal("fixture: how-online-shopping-works has no single task")
	}
	title := "下第一单：选服务站自提" // task.buy-first-order.title
	if body := c.Get("/shop").Body; strings.Contains(body, title) || !strings.Contains(body, "打开一课，它的练习任务就会出现在这里") {
		t.Fatal("the shop lists a task before its lesson was opened, or does not say how tasks appear")
	}
	c.Get(l.URL())
	if body := c.Get("/shop").Body; !strings.Contains(body, title) || !strings.Contains(body, "只算打开这一课以后") {
		t.Error("the opened lesson's task is not listed in the shop with the rule")
	}
}

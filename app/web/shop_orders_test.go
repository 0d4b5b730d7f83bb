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

var timelineStep = regexp.MustCompile(`(?s)<li class="(reached|future|)"><strong>([^<]*)</strong>(.*?)</li>`)

// steps reads an order page's tracking timeline: each step's name, whether it is reached,
// whether it shows a time and whether it is marked as the next.
type step struct {
	name          string
	reached, time bool
	next          bool
}

func timeline(body string) []step {
	var out []step
	for _, m := range timelineStep.FindAllStringSubmatch(body, -1) {
		out = append(out, step{name: m[2], reached: m[1] == "reached", time: strings.Contains(m[3], `class="muted small"`), next: strings.Contains(m[3], "next-step")})
	}
	return out
}

// TestOrderTimelineShowsTimesOnlyForStepsReached: on the practice clock only the steps
// reached carry a time; the one after is greyed and marked "next", later ones greyed.
func TestOrderTimelineShowsTimesOnlyForStepsReached(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	order := buy(t, c, productID(t, env, "白菜种子", 990), url.Values{"delivery": {"pickup"}, "payment": {"cash"}})
	for reached := 1; reached <= 4; reached++ {
		steps := timeline(c.Get(order).Body)
		if len(steps) != 5 {
			t.Fatalf("the pickup order's timeline has %d steps: %+v", len(steps), steps)
		}
		for i, s := range steps {
			want := step{name: s.name, reached: i < reached, time: i < reached, next: i == reached}
			if s != want {
				t.Errorf("with %d steps reached, step %d %q: reached %v time %v next %v; want %v %v %v", reached, i, s.name, s.reached, s.time, s.next, want.reached, want.time, want.next)
			}
		}
		if reached < 4 {
			c.Post(order+"/forward", nil)
		}
	}
	// The last step, picked up, gets its time once the parcel is collected.
	code := regexp.MustCompile(`class="code big-code">(\d{6})<`).FindStringSubmatch(c.Get(order).Body)
	if code == nil {
		t.Fatal("no pickup code")
	}
	c.Post(order+"/pickup", url.Values{"code": {code[1]}})
	for i, s := range timeline(c.Get(order).Body) {
		if !s.reached || !s.time || s.next {
			t.Errorf("after pickup, step %d %q: %+v", i, s.name, s)
		}
	}
}

// TestOrdersListShowsItemsAndCount: the list shows each order's goods by name and picture
// and how many things it holds ("2 件商品", "1 item"); the order page's heading is a word,
// not a measure word without its number.
func TestOrdersListShowsItemsAndCount(t *testing.T) {
	_, c, seeds := villagerShop(t)
	c.Post("/shop/cart", url.Values{"product_id": {seeds}, "qty": {"1"}})
	order := buy(t, c, seeds, url.Values{"delivery": {"pickup"}, "payment": {"cash"}}) // 2 packets
	list := c.Get("/shop/orders").Body
	row := regexp.MustCompile(`(?s)<a class="order-line" href="` + order + `">.*?</a>`).FindString(list)
	if !strings.Contains(row, "白菜种子") || !strings.Contains(row, `<img src="/static/shop/seeds`) || !strings.Contains(row, "2 件商品") {
		t.Errorf("the order's row lacks the goods' name, picture or count:\n%s", row)
	}
	if page := c.Get(order).Body; strings.Contains(page, ">件商品<") || !strings.Contains(page, "<h2>商品清单</h2>") {
		t.Error("the order page's heading is a bare measure word")
	}
	c.Post("/lang", url.Values{"lang": {"en"}, "next": {"/shop/orders"}})
	buy(t, c, seeds, url.Values{"delivery": {"pickup"}, "payment": {"cash"}, "key": {"second-order-key-001"}})
	list = c.Get("/shop/orders").Body
	if !strings.Contains(list, "2 items") || !strings.Contains(list, "1 item<") || strings.Contains(list, "件") {
		t.Error("in English the counts are not \"2 items\" and \"1 item\"")
	}
}

// TestReviewStarsAreRadioButtons: the review form offers five radio buttons named "1 星" …
// "5 星" (no drop-down); no star chosen is refused next to the stars with the text kept.
func TestReviewStarsAreRadioButtons(t *testing.T) {
	env, c, seeds := villagerShop(t)
	c.Post("/shop/wallet/pin", url.Values{"pin": {"802468"}, "confirm": {"802468"}})
	order := buy(t, c, seeds, url.Values{"delivery": {"home"}, "address": {"桃园村二组 12 号"}, "payment": {"wallet"}, "pin": {"802468"}})
	for i := 0; i < 3; i++ {
		c.Post(order+"/forward", nil)
	}
	page := c.Get(order).Body
	if strings.Contains(page, `<select id="stars`) {
		t.Error("the stars are still a drop-down")
	}
	for n := 1; n <= 5; n++ {
		radio := regexp.MustCompile(`<input class="star-input" type="radio" id="star-` + seeds + `-(\d)" name="stars" value="(\d)" required><label class="star" for="star-` + seeds + `-(\d)"><span aria-hidden="true">★</span><span class="visually-hidden">(\d) 星</span></label>`)
		all := radio.FindAllStringSubmatch(page, -1)
		if len(all) != 5 || all[n-1][1] != fmt.Sprint(n) || all[n-1][2] != fmt.Sprint(n) || all[n-1][3] != fmt.Sprint(n) || all[n-1][4] != fmt.Sprint(n) {
			t.Fatalf("star %d: want five radio buttons 1 星 … 5 星 in order, got %q", n, all)
		}
	}
	r := c.Post(order+"/review", url.Values{"product_id": {seeds}, "text": {"出苗整齐"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "请选 1 到 5 颗星") || !strings.Contains(r.Body, `value="出苗整齐"`) {
		t.Errorf("no star chosen: %d, want the form again with the message and the text kept", r.Status)
	}
	r = c.Post(order+"/review", url.Values{"product_id": {seeds}, "stars": {"9"}, "text": {"出苗整齐"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "请选 1 到 5 颗星") {
		t.Errorf("9 stars: %d", r.Status)
	}
	// What was chosen before an error is chosen again.
	r = c.Post(order+"/review", url.Values{"product_id": {seeds}, "stars": {"4"}, "text": {""}})
	if r.Status != http.StatusBadRequest || !regexp.MustCompile(`id="star-`+seeds+`-4" name="stars" value="4" required checked`).MatchString(r.Body) {
		t.Errorf("an empty review with 4 stars: %d, the 4 is not kept", r.Status)
	}
	if r := c.Post(order+"/review", url.Values{"product_id": {seeds}, "stars": {"4"}, "text": {"出苗整齐"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("review with 4 stars: %d", r.Status)
	}
	if n := countRows(t, env, "sandbox_reviews", "stars = 4 AND text = ?", "出苗整齐"); n != 1 {
		t.Errorf("%d reviews with 4 stars saved", n)
	}
}

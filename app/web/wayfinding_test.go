package web_test

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"cunlu/app/apptest"
	"cunlu/app/db/dbtest"
)

// tabBar reads the bottom tab bar of a page: each tab as "href label", and the current
// tab's href ("" when none is current). ok is false when the page has no tab bar.
func tabBar(t *testing.T, body string) (tabs []string, current string, ok bool) {
	t.Helper()
	start := strings.Index(body, `<nav class="tabbar"`)
	if start < 0 {
		return nil, "", false
	}
	bar := body[start:]
	bar = bar[:strings.Index(bar, "</nav>")]
	for _, m := range regexp.MustCompile(`<a href="([^"]+)"( aria-current="page")?><svg[^>]*>.*?</svg><span>([^<]+)</span></a>`).FindAllStringSubmatch(bar, -1) {
		tabs = append(tabs, m[1]+" "+m[3])
		if m[2] != "" {
			if current != "" {
				t.Errorf("two tabs are current: %s and %s", current, m[1])
			}
			current = m[1]
		}
	}
	return tabs, current, true
}

func TestTabBar(t *testing.T) {
	env := apptest.New(t)
	villager := []string{"/ 学习", "/shop 练习", "/shop/inbox 消息", "/account 我的"}
	partner := []string{"/ 学习", "/shop 练习", "/shop/inbox 消息", "/partner/villagers 村民", "/account 我的"}
	coord := []string{"/coord 概览", "/coord/alerts 提醒", "/coord/matrix 进度表", "/classes 培训班", "/account 我的"}
	cases := []struct {
		login, password string
		tabs            []string
		pages           map[string]string // page → the tab that must be current
	}{
		{"villager", "demo-villager-pass", villager, map[string]string{
			"/": "/", "/courses": "/", "/courses/buying-online": "/", "/shop": "/shop", "/shop/cart": "/shop",
			"/shop/inbox": "/shop/inbox", "/account": "/account"}},
		{"partner", "demo-partner-pass", partner, map[string]string{
			"/": "/", "/shop/sell": "/shop", "/shop/inbox": "/shop/inbox", "/partner/villagers": "/partner/villagers",
			"/partner/villagers/new": "/partner/villagers", "/account": "/account"}},
		{"coordinator", "demo-coord-pass", coord, map[string]string{
			"/coord": "/coord", "/coord/alerts": "/coord/alerts", "/coord/matrix": "/coord/matrix",
			"/coord/questions": "/coord", "/account": "/account"}},
	}
	for _, tc := range cases {
		t.Run(tc.login, func(t *testing.T) {
			c := env.Client(t)
			c.SignIn(tc.login, tc.password)
			for page, want := range tc.pages {
				r := c.Get(page)
				tabs, current, ok := tabBar(t, r.Body)
				if !ok {
					t.Fatalf("%s (%d) has no tab bar", page, r.Status)
				}
				if strings.Join(tabs, " | ") != strings.Join(tc.tabs, " | ") {
					t.Errorf("%s: tabs %q, want %q", page, tabs, tc.tabs)
				}
				if current != want {
					t.Errorf("%s: current tab %q, want %q", page, current, want)
				}
				if !strings.Contains(r.Body, `class="page-`) || !strings.Contains(r.Body, ` has-tabs"`) {
					t.Errorf("%s: the body has no room kept for the tab bar", page)
				}
				// The top menu keeps only what the tab bar does not hold.
				top := r.Body[strings.Index(r.Body, `<header class="top">`):strings.Index(r.Body, "</header>")]
				for _, href := range []string{`href="/courses"`, `href="/account"`, `href="/partner/villagers"`, `href="/coord"`} {
					if strings.Contains(top, href) {
						t.Errorf("%s: the top menu still has %s", page, href)
					}
				}
			}
		})
	}
	t.Run("english labels", func(t *testing.T) {
		c := env.Client(t)
		c.SignIn("partner", "demo-partner-pass")
		c.Post("/lang", url.Values{"lang": {"en"}, "next": {"/"}})
		tabs, _, _ := tabBar(t, c.Get("/").Body)
		want := []string{"/ Learn", "/shop Practice", "/shop/inbox Messages", "/partner/villagers Villagers", "/account Me"}
		if strings.Join(tabs, " | ") != strings.Join(want, " | ") {
			t.Errorf("tabs %q, want %q", tabs, want)
		}
	})
	t.Run("admin keeps the top menu", func(t *testing.T) {
		c := env.Client(t)
		c.SignIn("admin", "demo-admin-pass")
		body := c.Get("/admin").Body
		if _, _, ok := tabBar(t, body); ok {
			t.Error("the admin's pages have a tab bar")
		}
		if !strings.Contains(body, `href="/admin/accounts"`) {
			t.Error("the admin's top menu lost its links")
		}
	})
	t.Run("signed out", func(t *testing.T) {
		if _, _, ok := tabBar(t, env.Client(t).Get("/login").Body); ok {
			t.Error("the sign-in page has a tab bar")
		}
	})
	t.Run("account page signs out and switches person", func(t *testing.T) {
		c := env.Client(t)
		c.SignIn("villager", "demo-villager-pass")
		body := c.Get("/account").Body
		for _, want := range []string{`action="/logout"`, `action="/switch-person"`, `action="/lang"`} {
			if !strings.Contains(body[strings.Index(body, "<main"):strings.Index(body, "</main>")], want) {
				t.Errorf("the account page has no %s", want)
			}
		}
	})
}

func TestShopHomeTiles(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	body := c.Get("/shop").Body
	tiles := body[strings.Index(body, `<ul class="shop-tiles">`):]
	tiles = tiles[:strings.Index(tiles, "</ul>")]
	var got []string
	for _, m := range regexp.MustCompile(`<li><a href="([^"]+)"><svg`).FindAllStringSubmatch(tiles, -1) {
		got = append(got, m[1])
	}
	want := []string{"/shop/search", "/shop/cart", "/shop/orders", "/shop/wallet", "/shop/sell", "/shop/bills", "/shop/travel", "/shop/inbox"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("shop home tiles %q, want %q", got, want)
	}
	if strings.Contains(body, `class="shopbar"`) {
		t.Error("the shop home still has the bar of small links")
	}
	// An inner page keeps a small way back to the shop home and the cart, and no more.
	inner := c.Get("/shop/orders").Body
	bar := inner[strings.Index(inner, `<nav class="shopbar"`):]
	bar = bar[:strings.Index(bar, "</nav>")]
	if !strings.Contains(bar, `href="/shop"`) || !strings.Contains(bar, `href="/shop/cart"`) || strings.Contains(bar, `href="/shop/bills"`) {
		t.Errorf("inner shop bar: %s", bar)
	}
}

func TestAssistedBannerOnEveryPage(t *testing.T) {
	env := apptest.New(t)
	p := env.Client(t)
	p.SignIn("partner", "demo-partner-pass")
	own := userID(t, env, "villager") // 王秀英, same centre
	banner := `action="/shop/assist/end"`
	if strings.Contains(p.Get("/courses").Body, banner) {
		t.Fatal("a banner with no assisted session")
	}
	if r := p.Post("/shop/assist", url.Values{"villager_id": {own}}); r.Status != 303 {
		t.Fatalf("start assist: %d", r.Status)
	}
	for _, page := range []string{"/courses", "/partner/villagers", "/account", "/shop", "/shop/orders"} {
		body := p.Get(page).Body
		if n := strings.Count(body, banner); n != 1 || !strings.Contains(body, "你正在陪 王秀英 练习") {
			t.Errorf("%s: %d assisted-session banners naming 王秀英, want 1", page, n)
		}
	}
	p.Post("/shop/assist/end", nil)
	if strings.Contains(p.Get("/courses").Body, banner) {
		t.Error("the banner stays after the session ended")
	}
}

func TestTaskCardStartsPracticeAndComesBack(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	lesson := "/courses/buying-online/how-online-shopping-works"
	start := "/shop/search?lesson=" + url.QueryEscape(lesson) + "&amp;task=buy-first-order"
	card := regexp.MustCompile(`<a class="task-card" href="([^"]+)"><strong>下第一单`)
	m := card.FindStringSubmatch(c.Get(lesson).Body)
	if m == nil || m[1] != start {
		t.Fatalf("the lesson's task card links to %q, want %q", m, start)
	}
	back := `<a class="btn-secondary" href="` + lesson + `">回到课程</a>`
	if body := c.Get(strings.ReplaceAll(start, "&amp;", "&")).Body; !strings.Contains(body, back) {
		t.Fatalf("the task's shop page has no way back to the lesson")
	}
	// The way back follows the learner through the shop, until the task is done.
	if !strings.Contains(c.Get("/shop/cart").Body, back) {
		t.Error("the cart lost the way back to the lesson")
	}
	if !strings.Contains(c.Get("/shop/travel?from=x&to=y").Body, back) {
		t.Error("the travel search's own from= dropped the way back to the lesson")
	}
	order := buy(t, c, productID(t, env, "白菜种子", 990), url.Values{"delivery": {"pickup"}, "payment": {"cash"}})
	done := c.Get(order).Body
	if !strings.Contains(done, `<a class="btn" href="`+lesson+`">回到课程</a>`) || !strings.Contains(done, "练习任务完成了") {
		t.Error("after the task is done the shop does not say so with the way back")
	}
	if !regexp.MustCompile(`<a class="task-card done" href="[^"]+"><strong>下第一单[^<]*</strong>\s*<span class="tag ok">已完成</span>`).MatchString(c.Get(lesson).Body) {
		t.Error("the lesson does not show the task as done")
	}
	// The shop's own list of open tasks (those of lessons opened) starts each task too.
	c.Get("/courses/paying-safely/payment-pin")
	if !strings.Contains(c.Get("/shop").Body, `<a class="task-card" href="/shop/wallet"><strong>`) {
		t.Error("the shop's open tasks do not link to their practice (pay-set-pin → wallet)")
	}
}

func TestPracticeReturnIsSameSiteOnly(t *testing.T) {
	env := apptest.New(t)
	for _, from := range []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/courses/a\x01b", "/logout"} {
		c := env.Client(t)
		c.SignIn("villager", "demo-villager-pass")
		body := c.Get("/shop/search?task=buy-first-order&lesson=" + url.QueryEscape(from)).Body
		if strings.Contains(body, "practice-back") || strings.Contains(body, `href="`+from) {
			t.Errorf("from %q: the shop offers a way back", from)
		}
		if c.Cookie("practice") != nil || strings.Contains(c.Get("/shop/cart").Body, "practice-back") {
			t.Errorf("from %q was kept", from)
		}
	}
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	if body := c.Get("/shop/search?task=no-such-task&lesson=/courses").Body; strings.Contains(body, "practice-back") {
		t.Error("an unknown task is taken")
	}
}

// TestEveryTaskCardOpensItsPage follows every task card of every lesson a partner sees:
// each opens a page (no task links to a page that does not exist), and the shop ones
// offer the way back.
func TestEveryTaskCardOpensItsPage(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	lessons := map[string]bool{}
	for _, m := range regexp.MustCompile(`href="(/courses/[a-z0-9-]+)"`).FindAllStringSubmatch(c.Get("/courses").Body, -1) {
		for _, l := range regexp.MustCompile(`href="(`+m[1]+`/[a-z0-9-]+)"`).FindAllStringSubmatch(c.Get(m[1]).Body, -1) {
			lessons[l[1]] = true
		}
	}
	tasks := map[string]bool{}
	card := regexp.MustCompile(`<a class="task-card[^"]*" href="([^"]+)">`)
	for l := range lessons {
		for _, m := range card.FindAllStringSubmatch(c.Get(l).Body, -1) {
			href := strings.ReplaceAll(m[1], "&amp;", "&")
			u, _ := url.Parse(href)
			if u.Query().Get("lesson") != l {
				t.Errorf("%s: task card %s does not carry the lesson", l, href)
			}
			tasks[u.Query().Get("task")] = true
			r := c.Get(href)
			if r.Status != 200 {
				t.Errorf("%s: task card %s answers %d", l, href, r.Status)
			}
			if strings.HasPrefix(u.Path, "/shop/") && !strings.Contains(r.Body, `href="`+l+`">回到课程</a>`) {
				t.Errorf("%s: %s has no way back to the lesson", l, href)
			}
		}
	}
	if len(tasks) < 20 {
		t.Errorf("only %d tasks found on the lessons' cards", len(tasks))
	}
}

func TestPartnerHomeButtons(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	body := c.Get("/").Body
	actions := regexp.MustCompile(`(?s)<ul class="big-actions">(.*?)</ul>`).FindStringSubmatch(body)
	if actions == nil {
		t.Fatal("the partner's home has no big buttons")
	}
	var got []string
	for _, m := range regexp.MustCompile(`<a href="([^"]+)"><svg[^>]*>.*?</svg><span>([^<]+)</span></a>`).FindAllStringSubmatch(actions[1], -1) {
		got = append(got, m[1]+" "+m[2])
	}
	want := []string{"/shop/assist 陪村民练习", "/shop/sell 我的网店", "/partner/villagers/new 登记村民"}
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Errorf("partner home buttons %q, want %q", got, want)
	}
	v := env.Client(t)
	v.SignIn("villager", "demo-villager-pass")
	if strings.Contains(v.Get("/").Body, `class="big-actions"`) {
		t.Error("a villager's home has the partner's buttons")
	}
}

// TestPartnerVillagerPage runs on every database: the quiz a villager keeps missing is
// counted in SQL.
func TestPartnerVillagerPage(t *testing.T) {
	for _, kind := range dbtest.Kinds() {
		t.Run(kind, func(t *testing.T) { partnerVillagerPage(t, apptest.New(t, apptest.Kind(kind))) })
	}
}

func partnerVillagerPage(t *testing.T, env *apptest.Env) {
	own := userID(t, env, "villager")          // 王秀英, the partner's centre
	other := mustUserID(t, env, "13800000002") // 李桂兰, another centre
	partner := mustUserID(t, env, "partner")

	// What the villager did: failed one quiz twice, did a practice task.
	v := env.Client(t)
	v.SignIn("villager", "demo-villager-pass")
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	for range 2 {
		v.Post(l.URL()+"/quiz", answers(l, quizKey(t, v, l), true))
	}
	if n := countRows(t, env, "quiz_attempts", "user_id = ? AND passed = ?", own, false); n != 2 {
		t.Fatalf("%d failed attempts, want 2", n)
	}
	buy(t, v, productID(t, env, "白菜种子", 990), url.Values{"delivery": {"pickup"}, "payment": {"cash"}})

	p := env.Client(t)
	p.SignIn("partner", "demo-partner-pass")
	if r := p.Post("/partner/assists", url.Values{"villager_id": {own}, "kind": {"bill"}, "note": {"帮交了三月电费"}}); r.Status != 303 {
		t.Fatalf("record help: %d", r.Status)
	}
	if !strings.Contains(p.Get("/partner/villagers").Body, `<a class="row-link" href="/partner/villagers/`+own+`"><strong>王秀英</strong>`) {
		t.Error("the villager's row does not open their page")
	}
	r := p.Get("/partner/villagers/" + own)
	if r.Status != 200 {
		t.Fatalf("villager page: %d", r.Status)
	}
	section := func(id string) string {
		m := regexp.MustCompile(`(?s)<section class="card" id="` + id + `">(.*?)</section>`).FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("the villager page has no %s section", id)
		}
		return m[1]
	}
	if s := section("missed"); !strings.Contains(s, "网上购物是怎么回事") || !strings.Contains(s, "没通过 2 次") {
		t.Errorf("the quiz they keep missing: %s", s)
	}
	if s := section("lessons"); !strings.Contains(s, "网上购物是怎么回事") || !strings.Contains(s, "做了 2 次测验") {
		t.Errorf("lessons: %s", s)
	}
	if s := section("tasks"); !strings.Contains(s, "✓ 下第一单") || !strings.Contains(s, "还没做的练习") {
		t.Errorf("tasks: %s", s)
	}
	if s := section("help"); !strings.Contains(s, "帮交了三月电费") {
		t.Errorf("help given: %s", s)
	}
	if !strings.Contains(r.Body, `name="villager_id" value="`+own+`"`) {
		t.Error("no button to practise with this villager")
	}

	// Another centre's villager is not found, nor any other account; a villager the partner
	// registered, since moved to another centre, is still theirs.
	for _, id := range []string{strconv.Itoa(int(other)), strconv.Itoa(int(partner)), userID(t, env, "admin")} {
		if r := p.Get("/partner/villagers/" + id); r.Status != 404 || strings.Contains(r.Body, "李桂兰") {
			t.Errorf("villager page of account %s: %d, want 404", id, r.Status)
		}
	}
	if err := env.App.Accounts.DB().Table("users").Where("id = ?", other).Update("registered_by_id", partner).Error; err != nil {
		t.Fatal(err)
	}
	if r := p.Get("/partner/villagers/" + strconv.Itoa(int(other))); r.Status != 200 || !strings.Contains(r.Body, "李桂兰") {
		t.Errorf("the villager the partner registered: %d", r.Status)
	}
	if r := v.Get("/partner/villagers/" + own); r.Status != 403 {
		t.Errorf("a villager opening the partner's page: %d, want 403", r.Status)
	}
}

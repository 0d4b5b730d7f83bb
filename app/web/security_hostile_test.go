package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"cunlu/app/account"
	"cunlu/app/apptest"
	"cunlu/app/db/dbtest"
	"cunlu/app/sandbox"
)

// errorMessage is the text of a page's error element: the form's message, or the error
// page's.
var errorMessage = regexp.MustCompile(`<p class="error" role="alert"[^>]*>([^<]+)</p>`)

type hostileCase struct {
	name   string
	who    string // admin, coordinator, partner, villager or anon
	path   string
	form   url.Values
	status int
	want   string   // part of the translated message ("" for any)
	writes []string // tables a refusal writes to on purpose (see the case)
}

// TestSecurityHostileInputs posts bad numbers, absurd money and quantities, unknown choices,
// overlong text, control characters, NUL bytes, invalid UTF-8, missing fields and other
// people's ids to the POST routes. Each must be refused with its 4xx status and a message in
// Chinese saying what is wrong, and no table may gain or lose a row: nothing is half saved.
func TestSecurityHostileInputs(t *testing.T) {
	for _, kind := range dbtest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel() // each on its own database and server
			hostileInputs(t, apptest.New(t, apptest.Kind(kind)))
		})
	}
}

func hostileInputs(t *testing.T, env *apptest.Env) {
	givePartnerACertificate(t, env)
	clients := roleClients(t, env)
	clients["anon"] = env.Client(t)
	p := clients[account.RolePartner]
	dbh := env.App.Accounts.DB()
	partner := mustUserID(t, env, "partner")

	// The partner's order 1, received; a sale and a buyer's question; a line in the cart.
	for i := 0; i < 3; i++ {
		p.Post("/shop/orders/1/forward", nil)
	}
	code := regexp.MustCompile(`class="code big-code">(\d{6})<`).FindStringSubmatch(p.Get("/shop/orders/1").Body)
	if code == nil {
		t.Fatal("order 1 has no pickup code")
	}
	if r := p.Post("/shop/orders/1/pickup", url.Values{"code": {code[1]}}); r.Status != http.StatusSeeOther {
		t.Fatalf("pickup: %d", r.Status)
	}
	var sale sandbox.SellOrder
	var msg sandbox.SellMessage
	for i := 0; i < 8 && (dbh.Where("user_id = ?", partner).Limit(1).Find(&sale).RowsAffected == 0 ||
		dbh.Where("user_id = ?", partner).Limit(1).Find(&msg).RowsAffected == 0); i++ {
		p.Post("/shop/sell/wait", nil)
	}
	if sale.ID == 0 || msg.ID == 0 {
		t.Fatal("no sale or no buyer's question after waiting")
	}
	var item sandbox.OrderItem
	dbh.Where("order_id = ?", 1).Take(&item)
	seeds := productID(t, env, "白菜种子", 990)
	p.Post("/shop/cart", url.Values{"product_id": {seeds}, "qty": {"1"}})
	var inbox sandbox.ScamMessage
	dbh.Where("user_id = ? AND action = ''", partner).Order("id").Take(&inbox)
	var scam sandbox.Product
	dbh.Where("scam_id <> ''").Take(&scam)
	var bus *sandbox.Trip
	for _, tr := range env.App.Shop.Timetable.Trips {
		if tr.Kind == "bus" && tr.FromSt.CityZh == "示范县" {
			bus = tr
			break
		}
	}
	day := bookingDay(t, p, 3)
	seat := regexp.MustCompile(`<option value="(\d+)"`).FindStringSubmatch(p.Get("/shop/travel/trips/" + bus.ID + "?day=" + day + "&class=" + bus.Classes[0].Class).Body)
	if seat == nil {
		t.Fatal("no free seat")
	}
	// The lesson whose quiz is sent: opened first, as a learner would (opening a lesson
	// records that it was started; a refused quiz shows the lesson again).
	l := env.App.Courses.Catalog().Lesson("buying-online", "how-online-shopping-works")
	p.Get(l.URL())

	county, township, village := regionID(t, env, "示范县"), regionID(t, env, "青山镇"), regionID(t, env, "桃园村")
	own, other := fmt.Sprint(centreID(t, env, "桃园村服务站")), fmt.Sprint(centreID(t, env, "石桥村服务站"))
	ownVillager, otherVillager := userID(t, env, "villager"), userID(t, env, "13800000002")
	adminID := userID(t, env, "admin")
	ids := func(n uint) string { return fmt.Sprint(n) }
	long := func(s string, n int) string { return strings.Repeat(s, n) }
	due := time.Now().AddDate(0, 0, 30).Format("2006-01-02")

	// with returns a copy of base with some fields changed.
	with := func(base url.Values, kv ...string) url.Values {
		f := url.Values{}
		for k, v := range base {
			f[k] = append([]string(nil), v...)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	region := url.Values{"name": {"新村"}, "level": {"village"}, "parent_id": {ids(township)}}
	centre := url.Values{"name": {"新服务站"}, "address": {"村口"}, "region_id": {ids(village)}}
	acct := url.Values{"login": {"new-partner"}, "name": {"新合伙人"}, "phone": {"13912349999"}, "role": {"partner"}, "centre_id": {own}, "password": {"a-long-new-pass-7"}}
	villager := url.Values{"name": {"赵大爷"}, "phone": {"13911113333"}, "pin": {"246813"}, "centre_id": {own}}
	assist := url.Values{"villager_id": {ownVillager}, "kind": {"bill"}, "note": {"交电费"}}
	checkout := url.Values{"key": {"hostile-checkout-key-01"}, "delivery": {"pickup"}, "payment": {"cash"}}
	bill := url.Values{"kind": {"electricity"}, "account": {"1234567897"}, "amount": {"10"}, "pin": {"802468"}}
	ticket := url.Values{"trip": {bus.ID}, "day": {day}, "class": {bus.Classes[0].Class}, "seat": {seat[1]}, "passenger": {"张奶奶"}, "id_number": {idNumber("19450307")}, "pin": {"802468"}}
	shop := url.Values{"name": {"新小店"}, "description": {"自家种的"}, "centre_id": {own}}
	listing := url.Values{"title": {"猕猴桃 5斤"}, "description": {"红心"}, "price": {"39.9"}, "shipping": {"8"}, "stock": {"5"}}
	review := url.Values{"product_id": {ids(item.ProductID)}, "stars": {"5"}, "text": {"很好用"}}
	quiz := answers(l, "hostile-quiz-key-000001", false)
	assign := url.Values{"course": {"buying-online"}, "target": {"region:" + ids(county)}, "due": {due}}
	enrolText := "姓名,手机号,服务站\r\n新合伙人,13912340009,桃园村服务站\r\n"
	saleURL, msgURL := fmt.Sprintf("/shop/sell/orders/%d", sale.ID), fmt.Sprintf("/shop/sell/messages/%d", msg.ID)
	inboxURL := fmt.Sprintf("/shop/inbox/%d", inbox.ID)

	cases := []hostileCase{
		// Admin: places.
		{"region without a name", "admin", "/admin/regions", with(region, "name", ""), 400, "必须填", nil},
		{"region name too long", "admin", "/admin/regions", with(region, "name", long("村", 101)), 400, "太长", nil},
		{"region name with NUL", "admin", "/admin/regions", with(region, "name", "新\x00村"), 400, "不能用的字符", nil},
		{"region name with an escape sequence", "admin", "/admin/regions", with(region, "name", "新村\x1b[31m"), 400, "不能用的字符", nil},
		{"region name not UTF-8", "admin", "/admin/regions", with(region, "name", "新\xff村"), 400, "不能用的字符", nil},
		{"unknown level", "admin", "/admin/regions", with(region, "level", "planet"), 400, "", nil},
		{"township without a county", "admin", "/admin/regions", with(region, "level", "township", "parent_id", ""), 400, "", nil},
		{"village under a county", "admin", "/admin/regions", with(region, "parent_id", ids(county)), 400, "对不上", nil},
		{"negative parent", "admin", "/admin/regions", with(region, "parent_id", "-1"), 400, "", nil},
		{"renaming a region to nothing", "admin", "/admin/regions/" + ids(county), url.Values{"name": {"  "}}, 400, "必须填", nil},
		{"centre in a township", "admin", "/admin/centres", with(centre, "region_id", ids(township)), 400, "村", nil},
		{"centre in region abc", "admin", "/admin/centres", with(centre, "region_id", "abc"), 400, "", nil},
		{"centre address too long", "admin", "/admin/centres", with(centre, "address", long("路", 256)), 400, "太长", nil},
		{"centre address with control characters", "admin", "/admin/centres", with(centre, "address", "村口\r\n\a"), 400, "不能用的字符", nil},
		// Admin: accounts.
		{"unknown role", "admin", "/admin/accounts", with(acct, "role", "superuser"), 400, "身份", nil},
		{"partner at no centre", "admin", "/admin/accounts", with(acct, "centre_id", "99999"), 400, "服务站", nil},
		{"coordinator without a region", "admin", "/admin/accounts", with(acct, "role", "coordinator", "region_id", ""), 400, "地区", nil},
		{"SQL in the login", "admin", "/admin/accounts", with(acct, "login", "robert'); DROP TABLE users;--"), 400, "用户名", nil},
		{"phone too short", "admin", "/admin/accounts", with(acct, "phone", "12345"), 400, "手机号不对", nil},
		{"phone already registered", "admin", "/admin/accounts", with(acct, "phone", "13800000002"), 400, "登记过", nil},
		{"login taken", "admin", "/admin/accounts", with(acct, "login", "partner", "phone", ""), 400, "有人用了", nil},
		{"password too short", "admin", "/admin/accounts", with(acct, "password", "abc"), 400, "太短", nil},
		{"villager with a weak PIN", "admin", "/admin/accounts", with(acct, "role", "villager", "login", "", "password", "", "pin", "123456"), 400, "太容易猜", nil},
		{"name with NUL", "admin", "/admin/accounts", with(acct, "name", "新\x00人"), 400, "不能用的字符", nil},
		{"editing a phone to letters", "admin", "/admin/accounts/" + userID(t, env, "partner02"), url.Values{"login": {"partner02"}, "name": {"王磊"}, "phone": {"abc"}, "centre_id": {other}}, 400, "手机号不对", nil},
		{"active is neither 0 nor 1", "admin", "/admin/accounts/" + ownVillager + "/active", url.Values{"active": {"maybe"}}, 400, "", nil},
		{"deactivating oneself", "admin", "/admin/accounts/" + adminID + "/active", url.Values{"active": {"0"}}, 409, "不能停用你自己", nil},
		{"ending sessions of nobody", "admin", "/admin/accounts/99999999/sessions/end", url.Values{}, 404, "找不到", nil},
		// Partner: villagers and the assist log.
		{"villager without a name", "partner", "/partner/villagers", with(villager, "name", ""), 400, "必须填", nil},
		{"villager phone +86 999", "partner", "/partner/villagers", with(villager, "phone", "+86 999"), 400, "手机号不对", nil},
		{"PIN with a letter", "partner", "/partner/villagers", with(villager, "pin", "12a456"), 400, "6位数字", nil},
		{"villager at another centre", "partner", "/partner/villagers", with(villager, "centre_id", other), 403, "自己服务站", nil},
		{"villager name with a bell", "partner", "/partner/villagers", with(villager, "name", "赵\a大爷"), 400, "不能用的字符", nil},
		{"unknown assist kind", "partner", "/partner/assists", with(assist, "kind", "gossip"), 400, "", nil},
		{"assist note too long", "partner", "/partner/assists", with(assist, "note", long("字", 201)), 400, "", nil},
		{"assist note with NUL", "partner", "/partner/assists", with(assist, "note", "交\x00电费"), 400, "不能用的字符", nil},
		{"assist for another centre's villager", "partner", "/partner/assists", with(assist, "villager_id", otherVillager), 404, "找不到", nil},
		// Partner: the practice shop.
		{"negative quantity", "partner", "/shop/cart", url.Values{"product_id": {seeds}, "qty": {"-5"}}, 400, "数量", nil},
		{"quantity 1e9", "partner", "/shop/cart", url.Values{"product_id": {seeds}, "qty": {"1e9"}}, 400, "数量", nil},
		{"quantity over the limit", "partner", "/shop/cart", url.Values{"product_id": {seeds}, "qty": {"21"}}, 400, "数量", nil},
		{"unknown product", "partner", "/shop/cart", url.Values{"product_id": {"99999999"}, "qty": {"1"}}, 404, "找不到", nil},
		{"product id is SQL", "partner", "/shop/cart", url.Values{"product_id": {"1 OR 1=1"}, "qty": {"1"}}, 404, "找不到", nil},
		{"cart quantity abc", "partner", "/shop/cart/" + seeds, url.Values{"qty": {"abc"}}, 400, "数量", nil},
		{"delivery by drone", "partner", "/shop/checkout", with(checkout, "delivery", "drone"), 400, "", nil},
		{"payment in bitcoin", "partner", "/shop/checkout", with(checkout, "payment", "bitcoin"), 400, "", nil},
		{"home delivery without an address", "partner", "/shop/checkout", with(checkout, "delivery", "home"), 400, "", nil},
		{"address with NUL", "partner", "/shop/checkout", with(checkout, "delivery", "home", "address", "村口\x00三号"), 400, "", nil},
		// Wrong PINs are counted towards the lock, and the learner's mistake is recorded.
		{"wrong payment PIN", "partner", "/shop/checkout", with(checkout, "payment", "wallet", "pin", "000000"), 400, "", []string{"sandbox_events"}},
		{"checkout key too short", "partner", "/shop/checkout", with(checkout, "key", "short"), 400, "", nil},
		{"checkout key with NUL", "partner", "/shop/checkout", with(checkout, "key", "hostile-checkout\x00key"), 400, "", nil},
		{"unknown outcome code", "partner", "/shop/checkout", with(checkout, "outcome", "9999"), 400, "", nil},
		{"pickup at no centre", "partner", "/shop/checkout", with(checkout, "centre_id", "99999"), 400, "", nil},
		{"payment PIN of four digits", "partner", "/shop/wallet/pin", url.Values{"current": {"802468"}, "pin": {"1234"}, "confirm": {"1234"}}, 400, "6位数字", nil},
		{"payment PINs differ", "partner", "/shop/wallet/pin", url.Values{"current": {"802468"}, "pin": {"246813"}, "confirm": {"246814"}}, 400, "", nil},
		{"reset without yes", "partner", "/shop/reset", url.Values{"confirm": {"no"}}, 400, "", nil},
		{"gas bill", "partner", "/shop/bills", with(bill, "kind", "gas"), 400, "", nil},
		// Noticing a wrong account number is a practice task: the mistake is recorded.
		{"wrong electricity account", "partner", "/shop/bills", with(bill, "account", "1234567890"), 400, "户号不对", []string{"sandbox_events"}},
		{"negative bill", "partner", "/shop/bills", with(bill, "amount", "-10"), 400, "金额不对", nil},
		{"absurd bill", "partner", "/shop/bills", with(bill, "amount", "99999999999"), 400, "金额不对", nil},
		{"bill with a tenth of a fen", "partner", "/shop/bills", with(bill, "amount", "1.234"), 400, "金额不对", nil},
		{"bill of 1e3 yuan", "partner", "/shop/bills", with(bill, "amount", "1e3"), 400, "金额不对", nil},
		{"water account abc", "partner", "/shop/bills/lookup", url.Values{"kind": {"water"}, "account": {"abc"}}, 400, "户号不对", nil},
		{"unknown trip", "partner", "/shop/travel/tickets", with(ticket, "trip", "t-nowhere"), 404, "找不到", nil},
		{"bad ID number", "partner", "/shop/travel/tickets", with(ticket, "id_number", "110101194503071234"), 400, "", nil},
		{"no passenger", "partner", "/shop/travel/tickets", with(ticket, "passenger", ""), 400, "", nil},
		{"seat 999", "partner", "/shop/travel/tickets", with(ticket, "seat", "999"), 400, "", nil},
		{"travel in 2000", "partner", "/shop/travel/tickets", with(ticket, "day", "2000-01-01"), 400, "", nil},
		{"passenger with NUL", "partner", "/shop/travel/tickets", with(ticket, "passenger", "张\x00三"), 400, "不能用的字符", nil},
		{"shop without a name", "partner", "/shop/sell/shop", with(shop, "name", ""), 400, "", nil},
		{"shop name too long", "partner", "/shop/sell/shop", with(shop, "name", long("店", 31)), 400, "", nil},
		{"shop at no centre", "partner", "/shop/sell/shop", with(shop, "centre_id", "99999"), 400, "", nil},
		{"shop description with NUL", "partner", "/shop/sell/shop", with(shop, "description", "好\x00店"), 400, "不能用的字符", nil},
		{"listing price -1", "partner", "/shop/sell/listings", with(listing, "price", "-1"), 400, "", nil},
		{"listing price abc", "partner", "/shop/sell/listings", with(listing, "price", "abc"), 400, "", nil},
		{"listing stock -5", "partner", "/shop/sell/listings", with(listing, "stock", "-5"), 400, "", nil},
		{"listing without a title", "partner", "/shop/sell/listings", with(listing, "title", ""), 400, "", nil},
		{"listing title with NUL", "partner", "/shop/sell/listings", with(listing, "title", "猕猴\x00桃"), 400, "不能用的字符", nil},
		{"listing shipping 1e9", "partner", "/shop/sell/listings", with(listing, "shipping", "1000000000"), 400, "", nil},
		{"sale action teleport", "partner", saleURL, url.Values{"action": {"teleport"}}, 400, "", nil},
		{"empty reply", "partner", msgURL, url.Values{"reply": {""}}, 400, "", nil},
		{"reply too long", "partner", msgURL, url.Values{"reply": {long("好", 301)}}, 400, "", nil},
		{"reply with NUL", "partner", msgURL, url.Values{"reply": {"好\x00的"}}, 400, "不能用的字符", nil},
		{"return because", "partner", "/shop/orders/1/return", url.Values{"reason": {"because"}}, 400, "", nil},
		{"return note with NUL", "partner", "/shop/orders/1/return", url.Values{"reason": {"damaged"}, "note": {"坏\x00了"}}, 400, "不能用的字符", nil},
		{"return note too long", "partner", "/shop/orders/1/return", url.Values{"reason": {"damaged"}, "note": {long("坏", 301)}}, 400, "太长", nil},
		{"six stars", "partner", "/shop/orders/1/review", with(review, "stars", "6"), 400, "", nil},
		{"no stars", "partner", "/shop/orders/1/review", with(review, "stars", "0"), 400, "", nil},
		{"review with NUL", "partner", "/shop/orders/1/review", with(review, "text", "好\x00用"), 400, "不能用的字符", nil},
		{"review too long", "partner", "/shop/orders/1/review", with(review, "text", long("好", 501)), 400, "太长", nil},
		{"review of a product not in the order", "partner", "/shop/orders/1/review", with(review, "product_id", "99999"), 404, "找不到", nil},
		{"inbox action explode", "partner", inboxURL, url.Values{"action": {"explode"}}, 400, "", nil},
		{"report with no reason", "partner", inboxURL, url.Values{"action": {"reported"}, "reason": {"nonsense"}}, 400, "", nil},
		{"scam listing action nothing", "partner", fmt.Sprintf("/shop/products/%d/scam", scam.ID), url.Values{"action": {"nothing"}}, 400, "", nil},
		{"assisting another centre's villager", "partner", "/shop/assist", url.Values{"villager_id": {otherVillager}}, 404, "找不到", nil},
		{"wrong current password", "partner", "/account/password", url.Values{"current": {"wrong-pass"}, "password": {"new-long-pass-42"}, "confirm": {"new-long-pass-42"}}, 400, "现在的密码不对", nil},
		{"new password too short", "partner", "/account/password", url.Values{"current": {"demo-partner-pass"}, "password": {"abc"}, "confirm": {"abc"}}, 400, "太短", nil},
		{"new passwords differ", "partner", "/account/password", url.Values{"current": {"demo-partner-pass"}, "password": {"new-long-pass-42"}, "confirm": {"new-long-pass-43"}}, 400, "不一样", nil},
		{"language xx", "partner", "/lang", url.Values{"lang": {"xx"}}, 400, "", nil},
		{"quiz with no answers", "partner", l.URL() + "/quiz", url.Values{"key": {"hostile-quiz-key-000001"}}, 400, "每一题", nil},
		{"quiz key with NUL", "partner", l.URL() + "/quiz", with(quiz, "key", "hostile-quiz\x00key-0001"), 400, "", nil},
		{"quiz answer z", "partner", l.URL() + "/quiz", with(quiz, "q1", "z"), 400, "", nil},
		{"quiz for someone else", "partner", l.URL() + "/quiz", with(quiz, "learner", ownVillager), 409, "另一个人", nil},
		// Coordinator.
		{"assignment of no course", "coordinator", "/coord/assignments", with(assign, "course", "nope"), 400, "", nil},
		{"assignment due in 2000", "coordinator", "/coord/assignments", with(assign, "due", "2000-01-01"), 400, "", nil},
		{"assignment due tomorrow-ish", "coordinator", "/coord/assignments", with(assign, "due", "tomorrow"), 400, "", nil},
		{"assignment to region 99999", "coordinator", "/coord/assignments", with(assign, "target", "region:99999"), 400, "", nil},
		{"assignment to the admin", "coordinator", "/coord/assignments", with(assign, "target", "partner:"+adminID), 400, "", nil},
		{"empty enrolment", "coordinator", "/coord/enrol/check", url.Values{"text": {""}}, 400, "", nil},
		{"enrolment without headers", "coordinator", "/coord/enrol/check", url.Values{"text": {"just some words"}}, 400, "", nil},
		{"enrolment with a bad row", "coordinator", "/coord/enrol", url.Values{"text": {enrolText + ",13912340008,月亮村服务站\r\n"}}, 400, "", nil},
		{"enrolment with NUL", "coordinator", "/coord/enrol", url.Values{"text": {"姓名,手机号,服务站\r\n新\x00人,13912340007,桃园村服务站\r\n"}}, 400, "", nil},
		// Signed out.
		{"login of 200 letters", "anon", "/login", url.Values{"login": {long("a", 200)}, "password": {"x"}}, 401, "用户名或密码不对", nil},
		{"login with NUL", "anon", "/login", url.Values{"login": {"partner\x00"}, "password": {"demo-partner-pass"}}, 401, "用户名或密码不对", nil},
		{"PIN sign-in with phone abc", "anon", "/login/pin", url.Values{"phone": {"abc"}, "pin": {"1"}}, 401, "", nil},
		{"PIN sign-in with NUL", "anon", "/login/pin", url.Values{"phone": {"1380000000\x00"}, "pin": {"135790"}}, 401, "", nil},
		{"2 MB form", "partner", "/partner/villagers", with(villager, "name", long("长", 700_000)), 413, "太大", nil},
	}
	// Invisible characters (direction controls such as U+202E, zero-width spaces, a
	// byte-order mark, a Hangul filler) in every name, title and text that others read:
	// refused with a field error, also in English, with what was typed shown again.
	const invisible = "看不见的特殊字符"
	spoofed := []hostileCase{
		{"region name with a right-to-left override", "admin", "/admin/regions", with(region, "name", "新\u202e村"), 400, invisible, nil},
		{"region renamed with a zero-width space", "admin", "/admin/regions/" + ids(county), url.Values{"name": {"示范\u200b县"}}, 400, invisible, nil},
		{"centre name with a right-to-left isolate", "admin", "/admin/centres", with(centre, "name", "新\u2067服务站"), 400, invisible, nil},
		{"centre address with a right-to-left mark", "admin", "/admin/centres", with(centre, "address", "村口\u200f三号"), 400, invisible, nil},
		{"centre renamed with a byte-order mark", "admin", "/admin/centres/" + own, with(centre, "name", "桃园村\ufeff服务站"), 400, invisible, nil},
		{"account name with a right-to-left override", "admin", "/admin/accounts", with(acct, "name", "新合\u202e伙人"), 400, invisible, nil},
		{"login with a right-to-left override", "admin", "/admin/accounts", with(acct, "login", "new\u202epartner"), 400, "用户名", nil},
		{"account renamed with a Hangul filler", "admin", "/admin/accounts/" + userID(t, env, "partner02"), url.Values{"login": {"partner02"}, "name": {"王\u3164磊"}, "centre_id": {other}}, 400, invisible, nil},
		{"villager name with an Arabic letter mark", "partner", "/partner/villagers", with(villager, "name", "赵大\u061c爷"), 400, invisible, nil},
		{"assist note with a right-to-left override", "partner", "/partner/assists", with(assist, "note", "交电费 \u202e01 元"), 400, invisible, nil},
		{"address with a left-to-right embedding", "partner", "/shop/checkout", with(checkout, "delivery", "home", "payment", "wallet", "pin", "802468", "address", "北川村\u202a三组 12 号"), 400, invisible, nil},
		{"passenger with a word joiner", "partner", "/shop/travel/tickets", with(ticket, "passenger", "张\u2060奶奶"), 400, invisible, nil},
		{"shop name with a right-to-left override", "partner", "/shop/sell/shop", with(shop, "name", "新\u202e小店"), 400, invisible, nil},
		{"shop description with a pop directional isolate", "partner", "/shop/sell/shop", with(shop, "description", "自家种的\u2069"), 400, invisible, nil},
		{"listing title with a right-to-left override", "partner", "/shop/sell/listings", with(listing, "title", "猕猴桃 \u202e斤5"), 400, invisible, nil},
		{"listing description with a right-to-left isolate", "partner", "/shop/sell/listings", with(listing, "description", "红心 \u2067电话 138"), 400, invisible, nil},
		{"listing retitled with a zero-width joiner", "partner", fmt.Sprintf("/shop/sell/listings/%d", sale.ListingID), with(listing, "title", "猕猴\u200d桃 5斤"), 400, invisible, nil},
		{"reply with a right-to-left override", "partner", msgURL, url.Values{"reply": {"明天\u202e发货"}}, 400, invisible, nil},
		{"return note with a right-to-left mark", "partner", "/shop/orders/1/return", url.Values{"reason": {"damaged"}, "note": {"袋子\u200f破了"}}, 400, invisible, nil},
		{"review with a right-to-left override", "partner", "/shop/orders/1/review", with(review, "text", "很好\u202e用"), 400, invisible, nil},
		{"enrolment name with a right-to-left override", "coordinator", "/coord/enrol", url.Values{"text": {"姓名,手机号,服务站\r\n新\u202e合伙人,13912340006,桃园村服务站\r\n"}}, 400, "一位都没有登记", nil},
	}
	cases = append(cases, spoofed...)
	db := newDBState(t, env)
	roles := map[string]account.Role{"admin": account.RoleAdmin, "coordinator": account.RoleCoordinator, "partner": account.RolePartner, "villager": account.RoleVillager}
	clientOf := func(tc hostileCase) *apptest.Client {
		if r, ok := roles[tc.who]; ok {
			return clients[r]
		}
		return clients["anon"]
	}
	post := func(c *apptest.Client, tc hostileCase) *apptest.Resp {
		path := tc.path
		if strings.HasPrefix(path, "/coord/enrol") {
			path += "?region=" + ids(county)
		}
		if strings.HasPrefix(path, "/shop/sell/listings") || strings.HasPrefix(path, "/coord/enrol") {
			return c.PostFile(path, tc.form, "", "", "", nil) // multipart, as the page sends it
		}
		return c.Post(path, tc.form)
	}
	for _, tc := range cases {
		before := db.counts(t)
		r := post(clientOf(tc), tc)
		after := db.counts(t)
		if r.Status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, r.Status, tc.status)
		}
		m := errorMessage.FindStringSubmatch(r.Body)
		switch {
		case m == nil:
			t.Errorf("%s: no error message on the page", tc.name)
		case strings.Contains(m[1], "[[") || !strings.ContainsFunc(m[1], func(r rune) bool { return unicode.Is(unicode.Han, r) }):
			t.Errorf("%s: message %q is not translated into Chinese", tc.name, m[1])
		case tc.want != "" && !strings.Contains(m[1], tc.want):
			t.Errorf("%s: message %q lacks %q", tc.name, m[1], tc.want)
		}
		// Failed sign-ins are counted on purpose (login_throttles), as are some mistakes.
		if d := countChanges(before, after, append([]string{"login_throttles"}, tc.writes...)...); d != "" {
			t.Errorf("%s: refused, but the database changed: %s", tc.name, d)
		}
	}
	if len(cases) < 50 {
		t.Fatalf("only %d hostile inputs", len(cases))
	}
	t.Logf("%d hostile inputs", len(cases))

	for _, tc := range spoofed {
		c := clientOf(tc)
		c.Post("/lang", url.Values{"lang": {"en"}})
		before := db.counts(t)
		r := post(c, tc)
		if d := countChanges(before, db.counts(t)); d != "" {
			t.Errorf("%s, in English: refused, but the database changed: %s", tc.name, d)
		}
		want := "invisible characters"
		if tc.want == "用户名" {
			want = "A user name has"
		}
		if r.Status != tc.status || !strings.Contains(r.Body, want) {
			t.Errorf("%s, in English: status %d, want %d and %q", tc.name, r.Status, tc.status, want)
		}
		for _, v := range tc.form {
			if strings.ContainsFunc(v[0], invisibleRune) && !strings.Contains(r.Body, html.EscapeString(v[0])) {
				t.Errorf("%s: the form does not show again what was typed, %+q", tc.name, v[0])
			}
		}
		c.Post("/lang", url.Values{"lang": {"zh-CN"}})
	}
	noInvisibleStored(t, env)
}

func invisibleRune(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point)
}

// noInvisibleStored fails the test when a name or a text that people type holds an
// invisible character anywhere in the database.
func noInvisibleStored(t *testing.T, env *apptest.Env) {
	t.Helper()
	columns := map[string][]string{"users": {"login", "name"}, "regions": {"name"}, "centres": {"name", "address"},
		"sell_shops": {"name", "description"}, "sell_listings": {"title", "description"}, "sell_messages": {"reply"},
		"sandbox_aftersales": {"note"}, "sandbox_reviews": {"text"}, "assist_logs": {"note"}, "travel_tickets": {"passenger"},
		"sandbox_orders": {"address"}}
	for table, cols := range columns {
		for _, col := range cols {
			var vs []string
			if err := env.App.Accounts.DB().Table(table).Pluck(col, &vs).Error; err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				if strings.ContainsFunc(v, invisibleRune) {
					t.Errorf("%s.%s holds an invisible character: %+q", table, col, v)
				}
			}
		}
	}
}

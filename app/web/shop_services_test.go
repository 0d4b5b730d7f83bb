package web_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"cunlu/app/apptest"
	"cunlu/app/sandbox"
)

func photoJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1200, 900))
	for y := 0; y < 900; y++ {
		for x := 0; x < 1200; x++ {
			img.Set(x, y, color.RGBA{uint8(60 + x%120), uint8(140 + y%90), 40, 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
	return b.Bytes()
}

func hasTask(t *testing.T, env *apptest.Env, login, task string) bool {
	t.Helper()
	return countRows(t, env, "task_completions", "user_id = ? AND task_id = ?", mustUserID(t, env, login), task) == 1
}

func TestSellingJourney(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	env.OpenLessons(t, "partner")
	centre := fmt.Sprint(centreID(t, env, "桃园村服务站"))

	if r := c.Post("/shop/sell/listings", url.Values{"title": {"猕猴桃"}}); r.Status != http.StatusConflict && r.Status != http.StatusBadRequest {
		t.Errorf("listing before opening a shop: %d", r.Status)
	}
	if r := c.Post("/shop/sell/shop", url.Values{"name": {"李叔的猕猴桃"}, "description": {"自家果园，现摘现发"}, "centre_id": {centre}}); r.Status != http.StatusSeeOther {
		t.Fatalf("open shop: %d\n%s", r.Status, r.Body)
	}
	fields := url.Values{"title": {"<script>alert(1)</script> 猕猴桃 5斤装"}, "description": {"红心猕猴桃，一箱5斤，约20个，坏果包赔。"}, "price": {"39.9"}, "shipping": {"8"}, "stock": {"20"}}
	// Not an image: refused with a message, nothing saved.
	r := c.PostFile("/shop/sell/listings", fields, "photo", "kiwi.jpg", "image/jpeg", []byte("<html><body>not a photo</body></html>"))
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "图片") {
		t.Fatalf("HTML as a photo: %d, want 400 with a message", r.Status)
	}
	if n := countRows(t, env, "sell_listings", "1 = 1"); n != 0 {
		t.Fatal("a refused upload created a listing")
	}
	r = c.PostFile("/shop/sell/listings", fields, "photo", "kiwi.jpg", "image/jpeg", photoJPEG(t))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("list with photo: %d\n%s", r.Status, r.Body)
	}
	listing := r.Location
	page := c.Get(listing)
	if strings.Contains(page.Body, "<script>alert(1)</script>") || !strings.Contains(page.Body, "&lt;script&gt;") {
		t.Error("the listing title is not shown escaped")
	}
	var photoBytes int
	env.App.Accounts.DB().Table("sell_photos").Select("LENGTH(data)").Scan(&photoBytes)
	if photoBytes == 0 || photoBytes > 150*1024 {
		t.Errorf("stored photo is %d bytes", photoBytes)
	}
	for _, task := range []string{"sell-open-shop", "sell-list-product"} {
		if !hasTask(t, env, "partner", task) {
			t.Errorf("%s not recorded", task)
		}
	}
	// Buyers come when time passes.
	if r := c.Post("/shop/sell/wait", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("wait: %d", r.Status)
	}
	var sale sandbox.SellOrder
	if err := env.App.Accounts.DB().Where("user_id = ?", mustUserID(t, env, "partner")).Order("id").First(&sale).Error; err != nil {
		t.Fatal("a good listing got no order after waiting")
	}
	so := fmt.Sprintf("/shop/sell/orders/%d", sale.ID)
	c.Post(so, url.Values{"action": {"accept"}})
	c.Post(so, url.Values{"action": {"pack"}})
	if r := c.Post(so, url.Values{"action": {"ship"}, "tracking": {"no!"}}); r.Status != http.StatusBadRequest ||
		!regexp.MustCompile(fmt.Sprintf(`<input id="tracking-%d"[^>]*value="no!"[^>]*>\s*<p class="field-error" id="tracking-%d-error">`, sale.ID, sale.ID)).MatchString(r.Body) {
		t.Errorf("bad tracking number: %d, want 400 with the message next to that sale's field, as typed", r.Status)
	}
	if r := c.Post(so, url.Values{"action": {"accept"}}); r.Status != http.StatusConflict || !strings.Contains(r.Body, "page-sell_orders") {
		t.Errorf("a step the sale is past: %d, want 409 on the sales page", r.Status)
	}
	if r := c.Post(so, url.Values{"action": {"ship"}, "tracking": {"SF1234567890"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("ship: %d\n%s", r.Status, r.Body)
	}
	if r := c.Post(so, url.Values{"action": {"accept"}}); r.Status != http.StatusConflict {
		t.Errorf("accepting a shipped order: %d, want 409", r.Status)
	}
	var msg sandbox.SellMessage
	if err := env.App.Accounts.DB().Where("user_id = ?", mustUserID(t, env, "partner")).First(&msg).Error; err == nil {
		if r := c.Post(fmt.Sprintf("/shop/sell/messages/%d", msg.ID), url.Values{"reply": {"您好，明天一早就发货，坏果包赔。"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("reply: %d", r.Status)
		}
		if !hasTask(t, env, "partner", "sell-answer-message") {
			t.Error("sell-answer-message not recorded")
		}
	}
	for i := 0; i < 6; i++ {
		c.Post("/shop/sell/wait", nil)
	}
	if !hasTask(t, env, "partner", "sell-ship-order") {
		t.Error("sell-ship-order not recorded")
	}
	// Ship everything that came in; a buyer then asks to return a parcel, and is refunded.
	var open []sandbox.SellOrder
	env.App.Accounts.DB().Where("status IN ?", []string{sandbox.SellNew, sandbox.SellAccepted, sandbox.SellPacked}).Find(&open)
	for _, o := range open {
		p := fmt.Sprintf("/shop/sell/orders/%d", o.ID)
		for _, step := range []url.Values{{"action": {"accept"}}, {"action": {"pack"}}, {"action": {"ship"}, "tracking": {fmt.Sprintf("SF00000000%02d", o.ID)}}} {
			c.Post(p, step)
		}
	}
	for i := 0; i < 3; i++ {
		c.Post("/shop/sell/wait", nil)
	}
	var ret sandbox.SellOrder
	if err := env.App.Accounts.DB().Where("status = ?", sandbox.SellReturn).First(&ret).Error; err != nil {
		t.Fatal("no buyer asked for a return")
	}
	if r := c.Post(fmt.Sprintf("/shop/sell/orders/%d", ret.ID), url.Values{"action": {"refund"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("refund the return: %d", r.Status)
	}
	if !hasTask(t, env, "partner", "sell-handle-return") {
		t.Error("sell-handle-return not recorded")
	}
	st := c.Get("/shop/sell/statement")
	if st.Status != http.StatusOK {
		t.Fatalf("statement: %d", st.Status)
	}
	var completed int64
	env.App.Accounts.DB().Table("sell_orders").Where("status = ?", sandbox.SellCompleted).Count(&completed)
	if completed > 0 && !hasTask(t, env, "partner", "sell-read-statement") {
		t.Error("reading the statement after a sale is not recorded")
	}
	if completed == 0 {
		t.Error("no sale completed after waiting six times")
	}
	// Photos and listings are private to the sandbox.
	other := env.Client(t)
	other.SignIn("partner02", "demo-partner-pass")
	env.OpenLessons(t, "partner02")
	if r := other.Get(listing); r.Status != http.StatusNotFound {
		t.Errorf("another learner opening the listing: %d", r.Status)
	}
	var photoID uint
	env.App.Accounts.DB().Table("sell_photos").Select("id").Scan(&photoID)
	if r := other.Get(fmt.Sprintf("/shop/sell/photos/%d", photoID)); r.Status != http.StatusNotFound {
		t.Errorf("another learner fetching the photo: %d", r.Status)
	}
	if r := c.Get(fmt.Sprintf("/shop/sell/photos/%d", photoID)); r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("owner fetching the photo: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
}

func TestBillsCatchWrongAccountsThenPay(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	env.OpenLessons(t, "partner")
	c.Post("/shop/wallet/pin", url.Values{"pin": {"802468"}, "confirm": {"802468"}})
	if r := c.Post("/shop/bills", url.Values{"kind": {"electricity"}, "account": {"1234567890"}, "amount": {"86.40"}, "pin": {"802468"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "户号") {
		t.Fatalf("wrong account number: %d, want 400 naming the account number", r.Status)
	}
	if n := countRows(t, env, "bill_payments", "1 = 1"); n != 0 {
		t.Fatal("a wrong account number was paid")
	}
	if r := c.Post("/shop/bills/lookup", url.Values{"kind": {"electricity"}, "account": {"1234567897"}}); r.Status != http.StatusOK || !strings.Contains(r.Body, "*") {
		t.Fatalf("look-up: %d", r.Status)
	}
	r := c.Post("/shop/bills", url.Values{"kind": {"electricity"}, "account": {"1234567897"}, "amount": {"86.40"}, "pin": {"802468"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("pay: %d\n%s", r.Status, r.Body)
	}
	if rc := c.Get(r.Location); !strings.Contains(rc.Body, "1234567897") || !strings.Contains(rc.Body, "86.40") {
		t.Error("receipt lacks the account or amount")
	}
	if r := c.Post("/shop/bills", url.Values{"kind": {"phone"}, "account": {"13912345678"}, "confirm": {"13912345679"}, "amount": {"50"}, "pin": {"802468"}}); r.Status != http.StatusBadRequest {
		t.Errorf("phone numbers that differ: %d", r.Status)
	}
	c.Post("/shop/bills", url.Values{"kind": {"phone"}, "account": {"13912345678"}, "confirm": {"139 1234 5678"}, "amount": {"50"}, "pin": {"802468"}})
	for _, task := range []string{"bill-pay-electricity", "bill-wrong-account", "bill-topup-phone"} {
		if !hasTask(t, env, "partner", task) {
			t.Errorf("%s not recorded", task)
		}
	}
	if hasTask(t, env, "partner", "bill-pay-water") {
		t.Error("bill-pay-water recorded without paying water")
	}
	if body := c.Get("/shop/wallet").Body; !strings.Contains(body, "¥1863.60") {
		t.Error("wallet does not show ¥2000 − ¥86.40 − ¥50")
	}
}

// idNumber makes a valid resident ID number for someone born on the given date.
func idNumber(born string) string {
	first := "110101" + born + "123"
	return first + string(sandbox.IDCheckChar(first))
}

func TestTravelBookMaskAndRefund(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	env.OpenLessons(t, "partner")
	c.Post("/shop/wallet/pin", url.Values{"pin": {"802468"}, "confirm": {"802468"}})
	tt := env.App.Shop.Timetable
	var bus *sandbox.Trip
	for _, tr := range tt.Trips {
		if tr.Kind == "bus" && tr.FromSt.CityZh == "示范县" {
			bus = tr
			break
		}
	}
	day := time.Now().AddDate(0, 0, 3).Format("2006-01-02")
	search := c.Get("/shop/travel?from=" + url.QueryEscape("示范县") + "&to=" + url.QueryEscape(bus.ToSt.CityZh) + "&day=" + day)
	if search.Status != http.StatusOK || !strings.Contains(search.Body, "/shop/travel/trips/"+bus.ID) {
		t.Fatalf("search: %d", search.Status)
	}
	trip := c.Get("/shop/travel/trips/" + bus.ID + "?day=" + day + "&class=" + bus.Classes[0].Class)
	seat := regexp.MustCompile(`<option value="(\d+)"`).FindStringSubmatch(trip.Body)
	if trip.Status != http.StatusOK || seat == nil {
		t.Fatalf("trip page: %d, seats %v", trip.Status, seat)
	}
	form := url.Values{"trip": {bus.ID}, "day": {day}, "class": {bus.Classes[0].Class}, "seat": {seat[1]}, "passenger": {"张奶奶"}, "pin": {"802468"}}
	for _, bad := range []string{"110101194503071234", "12345", "11010120991231123X"} {
		form.Set("id_number", bad)
		if r := c.Post("/shop/travel/tickets", form); r.Status != http.StatusBadRequest {
			t.Errorf("ID number %s: %d, want 400", bad, r.Status)
		}
	}
	id := idNumber("19450307")
	form.Set("id_number", id)
	if r := c.Post("/shop/travel/tickets", form); r.Status != http.StatusSeeOther {
		t.Fatalf("book: %d\n%s", r.Status, r.Body)
	}
	tickets := c.Get("/shop/travel/tickets")
	if strings.Contains(tickets.Body, id) || !strings.Contains(tickets.Body, id[:4]+"**********"+id[14:]) {
		t.Fatal("the ticket shows the full ID number, or not the masked one")
	}
	var stored string
	env.App.Accounts.DB().Table("travel_tickets").Select("passenger_id").Scan(&stored)
	if stored == id {
		t.Fatal("the full ID number is stored")
	}
	if r := c.Post("/shop/travel/tickets", form); r.Status != http.StatusBadRequest {
		t.Errorf("booking the same seat twice: %d", r.Status)
	}
	var ticketID uint
	env.App.Accounts.DB().Table("travel_tickets").Select("id").Scan(&ticketID)
	if r := c.Post(fmt.Sprintf("/shop/travel/tickets/%d/refund", ticketID), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("refund: %d", r.Status)
	}
	if r := c.Post(fmt.Sprintf("/shop/travel/tickets/%d/refund", ticketID), nil); r.Status != http.StatusConflict || !strings.Contains(r.Body, "page-travel_tickets") {
		t.Errorf("refunding twice: %d, want 409 on the tickets page (not an error page)", r.Status)
	}
	for _, task := range []string{"travel-book-bus", "travel-refund-ticket"} {
		if !hasTask(t, env, "partner", task) {
			t.Errorf("%s not recorded", task)
		}
	}
	other := env.Client(t)
	other.SignIn("partner02", "demo-partner-pass")
	env.OpenLessons(t, "partner02")
	if r := other.Post(fmt.Sprintf("/shop/travel/tickets/%d/refund", ticketID), nil); r.Status != http.StatusNotFound {
		t.Errorf("refunding someone else's ticket: %d", r.Status)
	}
}

func TestScamInboxAndListings(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("villager", "demo-villager-pass")
	env.OpenLessons(t, "villager")
	inbox := c.Get("/shop/inbox")
	ids := regexp.MustCompile(`href="/shop/inbox/(\d+)"`).FindAllStringSubmatch(inbox.Body, -1)
	if inbox.Status != http.StatusOK || len(ids) < 3 {
		t.Fatalf("inbox: %d with %d messages", inbox.Status, len(ids))
	}
	sc := env.App.Shop.Scenarios
	var msgs []sandbox.ScamMessage
	env.App.Accounts.DB().Where("user_id = ?", mustUserID(t, env, "villager")).Order("id").Find(&msgs)
	var fell, reported bool
	for _, m := range msgs {
		scn := sc.Get(m.Scenario)
		path := fmt.Sprintf("/shop/inbox/%d", m.ID)
		switch {
		case scn.Scam && !fell:
			r := c.Post(path, url.Values{"action": {"fell"}})
			page := c.Get(path)
			if r.Status != http.StatusSeeOther || !strings.Contains(page.Body, scn.Signs("zh-CN")[0]) || !strings.Contains(page.Body, scn.Fall("zh-CN")[:12]) {
				t.Fatalf("falling for %s does not show what would have happened and the signs", scn.ID)
			}
			fell = true
		case scn.Scam && !reported:
			if r := c.Post(path, url.Values{"action": {"reported"}, "reason": {"nonsense"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `<p class="field-error" id="reason-error">`) {
				t.Errorf("unknown reason: %d, want 400 with the message next to the reason", r.Status)
			}
			c.Post(path, url.Values{"action": {"reported"}, "reason": {"impersonation"}})
			if !hasTask(t, env, "villager", scn.Task) {
				t.Errorf("reporting %s did not complete %s", scn.ID, scn.Task)
			}
			reported = true
		}
	}
	if !fell || !reported {
		t.Fatalf("the first messages had too few scams: %v", msgs)
	}
	// A too-cheap phone listing in the shop can be reported from its page.
	var p sandbox.Product
	if err := env.App.Accounts.DB().Where("scam_id <> ''").First(&p).Error; err != nil {
		t.Fatal("no scam listing in the catalogue")
	}
	if body := c.Get("/shop/search?q=" + url.QueryEscape("手机")).Body; !strings.Contains(body, fmt.Sprintf("/shop/products/%d", p.ID)) {
		t.Error("the scam listing does not show up among phones")
	}
	if r := c.Post(fmt.Sprintf("/shop/products/%d/scam", p.ID), url.Values{"action": {"reported"}, "reason": {"price"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("report listing: %d", r.Status)
	}
	if !hasTask(t, env, "villager", "scam-report-cheap-phone") {
		t.Error("reporting the cheap phone not recorded")
	}
	if r := c.Post("/shop/products/1/scam", url.Values{"action": {"reported"}, "reason": {"price"}}); r.Status != http.StatusNotFound {
		t.Errorf("reporting an honest product as a scam listing: %d", r.Status)
	}
	other := env.Client(t)
	other.SignIn("partner", "demo-partner-pass")
	env.OpenLessons(t, "partner")
	if r := other.Get(fmt.Sprintf("/shop/inbox/%d", msgs[0].ID)); r.Status != http.StatusNotFound {
		t.Errorf("another learner's message: %d", r.Status)
	}
}

func TestAssistLog(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	env.OpenLessons(t, "partner")
	own := fmt.Sprint(mustUserID(t, env, "villager"))
	other := fmt.Sprint(mustUserID(t, env, "13800000002"))
	if r := c.Post("/partner/assists", url.Values{"villager_id": {other}, "kind": {"bill"}}); r.Status != http.StatusNotFound {
		t.Fatalf("logging help for another centre's villager: %d", r.Status)
	}
	if r := c.Post("/partner/assists", url.Values{"villager_id": {own}, "kind": {"gossip"}}); r.Status != http.StatusBadRequest {
		t.Errorf("unknown kind: %d", r.Status)
	}
	if r := c.Post("/partner/assists", url.Values{"villager_id": {own}, "kind": {"bill"}, "note": {"交了电费 ¥86.40"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("log: %d", r.Status)
	}
	if body := c.Get("/partner/villagers").Body; !strings.Contains(body, "交了电费") {
		t.Error("the log entry is not listed")
	}
	if n := countRows(t, env, "assist_logs", "1 = 1"); n != 1 {
		t.Fatalf("%d log rows, want 1", n)
	}
	if !hasTask(t, env, "partner", "assist-log-help") {
		t.Error("assist-log-help not recorded")
	}
}

func TestWaterBillTrainTicketAndIsolation(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	env.OpenLessons(t, "partner")
	c.Post("/shop/wallet/pin", url.Values{"pin": {"802468"}, "confirm": {"802468"}})
	// Water accounts are 8 digits starting with 2, with a check digit: 20000006 is one.
	r := c.Post("/shop/bills", url.Values{"kind": {"water"}, "account": {"20000006"}, "amount": {"23.50"}, "pin": {"802468"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("water bill: %d\n%s", r.Status, r.Body)
	}
	receipt := r.Location
	var train *sandbox.Trip
	for _, tr := range env.App.Shop.Timetable.Trips {
		if tr.Kind == "train" && tr.Class("second") != nil {
			train = tr
			break
		}
	}
	day := time.Now().AddDate(0, 0, 5).Format("2006-01-02")
	page := c.Get("/shop/travel/trips/" + train.ID + "?day=" + day + "&class=second")
	seat := regexp.MustCompile(`<option value="(\d+)"`).FindStringSubmatch(page.Body)
	if seat == nil {
		t.Fatalf("no free seat on %s", train.ID)
	}
	r = c.Post("/shop/travel/tickets", url.Values{"trip": {train.ID}, "day": {day}, "class": {"second"}, "seat": {seat[1]},
		"passenger": {"李叔"}, "id_number": {idNumber("19580211")}, "pin": {"802468"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("train ticket: %d\n%s", r.Status, r.Body)
	}
	for _, task := range []string{"bill-pay-water", "travel-book-train"} {
		if !hasTask(t, env, "partner", task) {
			t.Errorf("%s not recorded", task)
		}
	}
	// Another learner sees none of it.
	o := env.Client(t)
	o.SignIn("partner02", "demo-partner-pass")
	env.OpenLessons(t, "partner02")
	if r := o.Get(receipt); r.Status != http.StatusNotFound {
		t.Errorf("another learner's receipt: %d", r.Status)
	}
	if body := o.Get("/shop/bills").Body; strings.Contains(body, "20000006") {
		t.Error("another learner's bill history shows the payment")
	}
	if body := o.Get("/shop/travel/tickets").Body; strings.Contains(body, "李叔") {
		t.Error("another learner's tickets show the booking")
	}
	if body := o.Get("/shop/sell").Body; strings.Contains(body, "测试") {
		t.Error("unexpected shop content")
	}
}

// The listing form takes an optional cost and postage: bad ones are refused next to the
// field with what was typed kept, good ones are saved and shown again, and a price that
// covers them and the fee completes the pricing lesson's task.
func TestListingCostAndPostage(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	env.OpenLessons(t, "partner")
	centre := fmt.Sprint(centreID(t, env, "桃园村服务站"))
	if r := c.Post("/shop/sell/shop", url.Values{"name": {"李叔的猕猴桃"}, "centre_id": {centre}}); r.Status != http.StatusSeeOther {
		t.Fatalf("open shop: %d\n%s", r.Status, r.Body)
	}
	fields := url.Values{"title": {"猕猴桃 5斤装"}, "description": {"红心猕猴桃，一箱5斤。"}, "price": {"39"}, "shipping": {"0"}, "stock": {"20"},
		"cost": {"二十五"}, "postage": {"8"}}
	r := c.Post("/shop/sell/listings", fields)
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "成本不对") || !strings.Contains(r.Body, `value="二十五"`) ||
		!regexp.MustCompile(`id="cost"[^>]*aria-invalid="true"`).MatchString(r.Body) {
		t.Fatalf("a cost in words: %d, want 400 with the message by the field and the text kept", r.Status)
	}
	if n := countRows(t, env, "sell_listings", "1 = 1"); n != 0 {
		t.Fatal("a refused cost saved a listing")
	}
	fields.Set("cost", "25")
	if r = c.PostFile("/shop/sell/listings", fields, "photo", "kiwi.jpg", "image/jpeg", photoJPEG(t)); r.Status != http.StatusSeeOther {
		t.Fatalf("list with cost and postage: %d\n%s", r.Status, r.Body)
	}
	if page := c.Get(r.Location).Body; !strings.Contains(page, `name="cost" value="25"`) || !strings.Contains(page, `name="postage" value="8"`) {
		t.Error("the listing's cost and postage are not shown again")
	}
	if !hasTask(t, env, "partner", "sell-price-covers-costs") {
		t.Error("a price that covers cost, postage and fee did not complete the pricing task")
	}
}

package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"cunlu/app/account"
	"cunlu/app/apptest"
	"cunlu/app/sandbox"
)

// Script payloads, as long as each field allows: xss fits every 50-character name, xssShort
// a shop's name (30), xssTiny a passenger's name (20).
const (
	xss        = `<img src=x onerror=alert(1)><script>alert(1)`
	xssFull    = `<script>alert(1)</script><img src=x onerror=alert(1)>`
	xssShort   = `<script>alert(1)</script>`
	xssTiny    = `<script>alert(1)`
	escapedXSS = `&lt;script&gt;alert(1)`
)

// rawXSS are what must never reach a page unescaped: a script tag and an image with a handler.
var rawXSS = []string{"<script>alert(1)", "<img src=x onerror"}

// checkNoXSS fails when an answer could run the payload: an HTML page (or anything a browser
// might sniff as one) holding it unescaped. CSV exports hold the names as typed, which is
// right for a spreadsheet: they must be downloads that no browser renders.
func checkNoXSS(t *testing.T, what string, r *apptest.Resp) {
	t.Helper()
	ct := r.Header.Get("Content-Type")
	switch {
	case strings.HasPrefix(ct, "text/csv"):
		if !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: CSV is not a download that browsers never sniff (%q, %q)", what, r.Header.Get("Content-Disposition"), r.Header.Get("X-Content-Type-Options"))
		}
		for _, line := range strings.Split(r.Body, "\n") {
			if strings.HasPrefix(line, "=") || strings.Contains(line, ",=") {
				t.Errorf("%s: a CSV cell starts with = and would be run as a formula: %q", what, line)
			}
		}
	case strings.HasPrefix(ct, "image/"):
	default:
		for _, raw := range rawXSS {
			if i := strings.Index(r.Body, raw); i >= 0 {
				t.Errorf("%s (%s): unescaped %q: …%s…", what, ct, raw, r.Body[max(0, i-80):min(len(r.Body), i+60)])
			}
		}
	}
}

// TestSecurityStoredXSS puts script into every field a person can type and that is shown
// again — names of places and people (by an admin, by a partner registering a villager, by a
// coordinator's list), a shop and its listing, a reply to a buyer, a review, a return note,
// an assist-log note, a passenger, a delivery address — then opens every page of every role
// that shows them, and the CSV exports. Nothing runs: each page shows the escaped text.
func TestSecurityStoredXSS(t *testing.T) {
	env := apptest.New(t)
	dbh := env.App.Accounts.DB()
	clients := roleClients(t, env)
	a, coord := clients[account.RoleAdmin], clients[account.RoleCoordinator]
	mustPost := func(c *apptest.Client, path string, form url.Values) *apptest.Resp {
		t.Helper()
		r := c.Post(path, form)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("POST %s: %d, want 303 (the payload must be stored)\n%s", path, r.Status, r.Body)
		}
		return r
	}

	// Admin: a village, its centre and a partner there, every name a payload.
	township := regionID(t, env, "青山镇")
	mustPost(a, "/admin/regions", url.Values{"name": {xss}, "level": {"village"}, "parent_id": {fmt.Sprint(township)}})
	village := regionID(t, env, xss)
	mustPost(a, "/admin/centres", url.Values{"name": {xss}, "address": {xssFull}, "region_id": {fmt.Sprint(village)}})
	centre := centreID(t, env, xss)
	mustPost(a, "/admin/accounts", url.Values{"login": {"xss-partner"}, "name": {xss}, "phone": {"13912345001"}, "role": {"partner"},
		"centre_id": {fmt.Sprint(centre)}, "password": {"xss-partner-pass-7"}})
	partnerID := mustUserID(t, env, "xss-partner")
	p := env.Client(t)
	p.SignIn("xss-partner", "xss-partner-pass-7")
	p.ChooseOwnPassword("xss-partner-pass-7", "xss-partner-own-7")

	// The partner registers a villager and logs help given.
	// Registering answers with the hand-over slip itself (it shows the PIN once), not a redirect.
	slip := p.Post("/partner/villagers", url.Values{"name": {xss}, "phone": {"13912345002"}, "pin": {"246813"}, "centre_id": {fmt.Sprint(centre)}})
	if slip.Status != http.StatusOK {
		t.Fatalf("register a villager: %d, want 200 (the hand-over slip)", slip.Status)
	}
	checkNoXSS(t, "the hand-over slip", slip)
	villagerID := mustUserID(t, env, "13912345002")
	mustPost(p, "/partner/assists", url.Values{"villager_id": {fmt.Sprint(villagerID)}, "kind": {"bill"}, "note": {xssFull}})

	// A shop, a listing, buyers and a reply.
	mustPost(p, "/shop/sell/shop", url.Values{"name": {xssShort}, "description": {xssFull}, "centre_id": {fmt.Sprint(centre)}})
	r := p.PostFile("/shop/sell/listings", url.Values{"title": {xssFull + " 5斤"}, "description": {xssFull}, "price": {"39.9"}, "shipping": {"8"}, "stock": {"20"}},
		"photo", "p.jpg", "image/jpeg", photoJPEG(t))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("listing: %d\n%s", r.Status, r.Body)
	}
	listing := r.Location
	var msg sandbox.SellMessage
	for i := 0; i < 8 && dbh.Where("user_id = ?", partnerID).Limit(1).Find(&msg).RowsAffected == 0; i++ {
		p.Post("/shop/sell/wait", nil)
	}
	if msg.ID == 0 {
		t.Fatal("no buyer's message after waiting")
	}
	mustPost(p, fmt.Sprintf("/shop/sell/messages/%d", msg.ID), url.Values{"reply": {xssFull}})

	// Buying: home delivery to a payload address; received, reviewed and returned.
	mustPost(p, "/shop/wallet/pin", url.Values{"pin": {"802468"}, "confirm": {"802468"}})
	seeds := productID(t, env, "白菜种子", 990)
	mustPost(p, "/shop/cart", url.Values{"product_id": {seeds}, "qty": {"1"}})
	r = mustPost(p, "/shop/checkout", url.Values{"key": {"xss-checkout-key-000001"}, "delivery": {"home"}, "address": {xssFull}, "payment": {"wallet"}, "pin": {"802468"}})
	order := r.Location
	for i := 0; i < 4; i++ {
		p.Post(order+"/forward", nil)
	}
	if code := regexp.MustCompile(`class="code big-code">(\d{6})<`).FindStringSubmatch(p.Get(order).Body); code != nil {
		p.Post(order+"/pickup", url.Values{"code": {code[1]}})
	}
	mustPost(p, order+"/review", url.Values{"product_id": {seeds}, "stars": {"4"}, "text": {xssFull}})
	mustPost(p, order+"/return", url.Values{"reason": {"not_needed"}, "note": {xssFull}})

	// A bus ticket for a passenger whose name is a payload.
	var bus *sandbox.Trip
	for _, tr := range env.App.Shop.Timetable.Trips {
		if tr.Kind == "bus" && tr.FromSt.CityZh == "示范县" {
			bus = tr
			break
		}
	}
	day := bookingDay(t, p, 3)
	trip := p.Get("/shop/travel/trips/" + bus.ID + "?day=" + day + "&class=" + bus.Classes[0].Class)
	seat := regexp.MustCompile(`<option value="(\d+)"`).FindStringSubmatch(trip.Body)
	if seat == nil {
		t.Fatalf("no seat on %s", bus.ID)
	}
	mustPost(p, "/shop/travel/tickets", url.Values{"trip": {bus.ID}, "day": {day}, "class": {bus.Classes[0].Class}, "seat": {seat[1]},
		"passenger": {xssTiny}, "id_number": {idNumber("19450307")}, "pin": {"802468"}})

	// A coordinator enrols a partner from a list whose name is a payload (the dry run shows
	// it, the result shows it, then every coordinator page).
	list := "姓名,手机号,服务站\r\n\"" + xss + "\",13912345003,桃园村服务站\r\n"
	county := regionID(t, env, "示范县")
	checked := enrolCheck(coord, county, list)
	if checked.Status != http.StatusOK || !strings.Contains(checked.Body, escapedXSS) {
		t.Fatalf("enrolment dry run: %d, payload not shown escaped", checked.Status)
	}
	checkNoXSS(t, "enrolment dry run", checked)
	done := enrolConfirm(t, coord, county, checked)
	if done.Status != http.StatusOK || !strings.Contains(done.Body, escapedXSS) {
		t.Fatalf("enrolment: %d, payload not shown escaped", done.Status)
	}
	checkNoXSS(t, "enrolment result", done)
	// Enrolled a month ago and never signed in: the alerts list them.
	if err := dbh.Model(&account.User{}).Where("phone = ?", "13912345003").Update("created_at", time.Now().AddDate(0, 0, -30)).Error; err != nil {
		t.Fatal(err)
	}
	mustPost(coord, "/coord/assignments", url.Values{"course": {"buying-online"}, "target": {fmt.Sprintf("centre:%d", centre)}, "due": {time.Now().AddDate(0, 0, 9).Format("2006-01-02")}})

	v := env.Client(t)
	if r := v.Post("/login/pin", url.Values{"phone": {"13912345002"}, "pin": {"246813"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("villager sign-in: %d", r.Status)
	}

	// Every page of every role that shows the payloads: each must show it escaped, and none
	// may hold it raw.
	shows := map[string]*apptest.Client{
		"/admin/regions": a, fmt.Sprintf("/admin/regions/%d", village): a, "/admin/centres": a, fmt.Sprintf("/admin/centres/%d", centre): a,
		"/admin/accounts": a, fmt.Sprintf("/admin/accounts/%d", partnerID): a, fmt.Sprintf("/admin/accounts/%d", villagerID): a,
		"/admin/accounts?q=" + url.QueryEscape("<script>"): a,
		fmt.Sprintf("/coord?region=%d", township):          coord, fmt.Sprintf("/coord?region=%d", village): coord, "/coord/matrix": coord,
		fmt.Sprintf("/coord/partners/%d", partnerID): coord, fmt.Sprintf("/coord/assignments?region=%d", village): coord,
		"/coord/alerts": coord, fmt.Sprintf("/coord/enrol?region=%d", village): coord,
		"/": p, "/account": p, "/partner/villagers": p, "/shop/assist": p, "/shop/sell": p, listing: p, "/shop/sell/messages": p,
		"/shop/sell/orders": p, order: p, "/shop/products/" + seeds: p, "/shop/travel/tickets": p, "/shop/checkout": p,
	}
	mustPost(p, "/shop/cart", url.Values{"product_id": {seeds}, "qty": {"1"}}) // the checkout lists the centres
	for path, c := range shows {
		res := c.Get(path)
		if res.Status != http.StatusOK {
			t.Errorf("GET %s: %d", path, res.Status)
			continue
		}
		checkNoXSS(t, path, res)
		if !strings.Contains(res.Body, escapedXSS) {
			t.Errorf("GET %s does not show the stored payload (escaped)", path)
		}
	}
	// The villager's own pages show their name and centre.
	for _, path := range []string{"/", "/account"} {
		res := v.Get(path)
		checkNoXSS(t, "villager "+path, res)
		if !strings.Contains(res.Body, escapedXSS) {
			t.Errorf("villager's %s does not show their name (escaped)", path)
		}
	}
	// And every other GET page of every role, in case it shows them too.
	for _, rt := range env.App.Web.Routes() {
		if rt.Method != http.MethodGet || isInfra(rt.Path) {
			continue
		}
		for name, c := range map[string]*apptest.Client{"admin": a, "coordinator": coord, "partner": p, "villager": v} {
			checkNoXSS(t, name+" "+rt.Path, c.Get(concrete(rt.Path)))
		}
	}
	// Exports hold names as typed (a spreadsheet is not a page) and are downloads.
	for _, table := range []string{"overview", "matrix", "alerts", "questions", "assignments"} {
		res := coord.Get("/coord/export.csv?table=" + table)
		if res.Status != http.StatusOK {
			t.Errorf("export %s: %d", table, res.Status)
		}
		checkNoXSS(t, "export "+table, res)
	}
	if body := coord.Get("/coord/export.csv?table=matrix").Body; !strings.Contains(body, xss) {
		t.Error("the matrix export lacks the partner's name as typed")
	}
}

// TestSecurityCSVFormulas: a name typed as a spreadsheet formula is exported as text.
func TestSecurityCSVFormulas(t *testing.T) {
	env := apptest.New(t)
	a := env.Client(t)
	a.SignIn("admin", "demo-admin-pass")
	formula := `=HYPERLINK("http://evil.example","点我")`
	if r := a.Post("/admin/accounts", url.Values{"login": {"formula-partner"}, "name": {formula}, "role": {"partner"},
		"centre_id": {fmt.Sprint(centreID(t, env, "桃园村服务站"))}, "password": {"formula-pass-77"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", r.Status, r.Body)
	}
	c := env.Client(t)
	c.SignIn("coordinator", "demo-coord-pass")
	rows := readCSV(t, c.Get("/coord/export.csv?table=matrix").Body)
	found := false
	for _, row := range rows {
		if strings.Contains(row[0], "HYPERLINK") {
			found = true
			if row[0] != "'"+formula {
				t.Errorf("formula exported as %q, want it prefixed with '", row[0])
			}
		}
	}
	if !found {
		t.Fatal("the partner is not in the export")
	}
}

// TestSecurityReflectedXSS puts the payload into every query parameter and path parameter
// of every GET route, and into every field of every POST route (forms shown again with what
// was typed, when refused), as a role allowed there; no answer holds it unescaped.
func TestSecurityReflectedXSS(t *testing.T) {
	env := apptest.New(t)
	givePartnerACertificate(t, env)
	clients := roleClients(t, env)
	anon := env.Client(t)
	requests := 0
	for _, r := range env.App.Web.Routes() {
		if isInfra(r.Path) && r.Path != "/static/*" || r.Path == "/logout" || r.Path == "/switch-person" {
			continue
		}
		inputs := routeInputs[r.Method+" "+r.Path]
		c := clientFor(r, clients, anon)
		for _, payload := range []string{xssFull, `"><script>alert(1)</script>`, `javascript:alert(1)//<script>alert(1)`} {
			path, in := map[string]string{}, url.Values{}
			for _, n := range pathParams(r.Path) {
				path[n] = payload
			}
			for _, n := range inputs {
				in.Set(n, payload)
			}
			checkNoXSS(t, r.Method+" "+r.Path+" (all parameters)", send(c, r, path, in))
			requests++
			// Each input alone too, the others left out, since a form refused early shows
			// less than one refused late.
			for _, n := range inputs {
				checkNoXSS(t, r.Method+" "+r.Path+" ("+n+")", send(c, r, nil, url.Values{n: {payload}}))
				requests++
			}
		}
	}
	// The search page shows what was searched for, in the box and in the heading.
	res := clients[account.RolePartner].Get("/shop/search?q=" + url.QueryEscape(xssShort))
	if res.Status != http.StatusOK || !strings.Contains(res.Body, escapedXSS) {
		t.Errorf("search: %d, the query is not shown back escaped", res.Status)
	}
	// A sign-in that fails shows the login typed, escaped.
	res = anon.Post("/login", url.Values{"login": {xssShort}, "password": {"x"}})
	if res.Status != http.StatusUnauthorized || !strings.Contains(res.Body, escapedXSS) {
		t.Errorf("failed sign-in: %d, the login is not shown back escaped", res.Status)
	}
	if requests < 300 {
		t.Fatalf("only %d requests", requests)
	}
}

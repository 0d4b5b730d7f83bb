package web_test

// The security suite: every route walked signed out, with SQL metacharacters and invalid
// UTF-8 in every parameter a handler reads, oversized bodies, mass assignment, guessed and
// foreign ids and open redirects. It builds on what other tests already prove:
//
//   - TestRouteTable: every POST route refuses a request without a CSRF token and every role
//     it does not allow; TestCSRF: a wrong token and a cross-site request with the token.
//   - TestEveryPageInBothLanguages: every GET page for every role, allowed or not.
//   - Foreign ids already covered: orders (TestShopIsolationAndBadInput), listings and photos
//     (TestSellingJourney), ticket refunds (TestTravelBookMaskAndRefund), bill receipts
//     (TestWaterBillTrainTicketAndIsolation), inbox messages (TestScamInboxAndListings),
//     quiz attempts and a user_id slipped into the quiz form (TestLearnersSeeOnlyTheirOwnProgress),
//     certificates (TestCertificateIssueAndVerification), coordinator regions, partner pages,
//     exports and assignments (TestCoordinatorScopeThroughPagesExportsAndIDs), villagers of
//     another centre (TestAssistLog, TestAssistedSession, TestPartnerRegistersVillagersOnlyAtOwnCentre).
//   - Course Markdown: raw HTML dropped and javascript: links refused in app/course
//     (load_test.go, lint_test.go, and the fuzz test's checkSafeHTML).
//
// Stored and reflected XSS are in security_xss_test.go, the table of hostile inputs in
// security_hostile_test.go, account safety in security_account_test.go, product photo uploads
// (body limits, decoding, requests out of time) in security_upload_test.go.

import (
	"bytes"
	"cmp"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"cunlu/app/account"
	"cunlu/app/apptest"
	"cunlu/app/db/dbtest"
	"cunlu/app/sandbox"
	"cunlu/app/web"
)

// routeInputs lists, for every route, the query (GET) or form (POST) fields its handler
// reads, from the handlers in app/web/*.go. A name starting with "?" is read from the query
// string of a POST (the coordinator's ?region=). Path parameters come from the route itself.
// A route missing here fails TestSecurityHostileValuesInEveryParameter: add its inputs.
var routeInputs = map[string][]string{
	"GET /static/*":                          nil,
	"GET /healthz":                           nil,
	"GET /metrics":                           nil,
	"GET /sw.js":                             nil,
	"GET /manifest.webmanifest":              nil,
	"GET /login":                             {"next"},
	"POST /login":                            {"login", "password", "next"},
	"GET /login/pin":                         {"next"},
	"POST /login/pin":                        {"phone", "pin", "next"},
	"POST /lang":                             {"lang", "next"},
	"POST /logout":                           nil,
	"POST /switch-person":                    nil,
	"GET /":                                  nil,
	"GET /account":                           nil,
	"POST /account/password":                 {"current", "password", "confirm"},
	"GET /courses":                           nil,
	"GET /courses/:course":                   nil,
	"GET /courses/:course/offline.json":      nil,
	"GET /offline":                           nil,
	"GET /courses/:course/:lesson":           {"attempt"},
	"POST /courses/:course/:lesson/quiz":     {"key", "learner", "q1"},
	"GET /courses/:course/images/*":          nil,
	"GET /certificates/:code":                nil,
	"GET /verify/:code":                      nil,
	"GET /shop":                              nil,
	"GET /shop/search":                       {"q", "category", "sort", "pickup", "page", "min", "max", "rating"},
	"GET /shop/help":                         nil,
	"GET /shop/products/:id":                 nil,
	"GET /shop/products/:id/compare":         nil,
	"GET /shop/cart":                         {"removed", "qty"},
	"POST /shop/cart":                        {"product_id", "qty", "from"},
	"POST /shop/cart/:id":                    {"qty"},
	"GET /shop/checkout":                     nil,
	"POST /shop/checkout":                    {"key", "delivery", "centre_id", "address", "payment", "pin", "outcome"},
	"GET /shop/orders":                       nil,
	"GET /shop/orders/:id":                   nil,
	"POST /shop/orders/:id/forward":          nil,
	"POST /shop/orders/:id/pickup":           {"code"},
	"POST /shop/orders/:id/return":           {"reason", "note"},
	"POST /shop/orders/:id/review":           {"product_id", "stars", "text"},
	"GET /shop/wallet":                       {"back"},
	"POST /shop/wallet/pin":                  {"current", "pin", "confirm", "back"},
	"POST /shop/reset":                       {"confirm"},
	"POST /shop/products/:id/scam":           {"action", "reason"},
	"GET /shop/sell":                         nil,
	"POST /shop/sell/shop":                   {"name", "description", "centre_id"},
	"GET /shop/sell/listings/new":            nil,
	"POST /shop/sell/listings":               {"title", "description", "price", "shipping", "stock"},
	"GET /shop/sell/listings/:id":            nil,
	"POST /shop/sell/listings/:id":           {"title", "description", "price", "shipping", "stock"},
	"POST /shop/sell/listings/:id/pause":     {"paused"},
	"GET /shop/sell/photos/:id":              nil,
	"POST /shop/sell/wait":                   nil,
	"GET /shop/sell/orders":                  nil,
	"POST /shop/sell/orders/:id":             {"action", "tracking"},
	"GET /shop/sell/messages":                nil,
	"POST /shop/sell/messages/:id":           {"reply"},
	"GET /shop/sell/statement":               nil,
	"GET /shop/bills":                        {"kind"},
	"POST /shop/bills/lookup":                {"kind", "account"},
	"POST /shop/bills":                       {"kind", "account", "confirm", "amount", "pin"},
	"GET /shop/bills/:id":                    nil,
	"GET /shop/travel":                       {"from", "to", "day"},
	"GET /shop/travel/trips/:trip":           {"day", "class"},
	"POST /shop/travel/tickets":              {"trip", "day", "class", "seat", "passenger", "id_number", "pin"},
	"GET /shop/travel/tickets":               nil,
	"POST /shop/travel/tickets/:id/refund":   nil,
	"GET /shop/inbox":                        nil,
	"GET /shop/inbox/:id":                    {"reason"},
	"POST /shop/inbox/:id":                   {"action", "reason"},
	"GET /shop/assist":                       nil,
	"POST /shop/assist":                      {"villager_id"},
	"POST /shop/assist/end":                  nil,
	"GET /classes":                           nil,
	"GET /classes/new":                       nil,
	"POST /classes":                          {"title", "audience", "plan", "target_hours", "trainer", "trainer_profile", "region"},
	"GET /classes/pack":                      nil,
	"GET /classes/pack.zip":                  {"region", "from", "to", "seed", "sample"},
	"GET /classes/:id":                       {"centre"},
	"GET /classes/:id/log":                   nil,
	"POST /classes/:id/sessions":             {"date", "start", "end", "kind", "place", "trainer"},
	"POST /classes/:id/enrol":                {"learner"},
	"POST /classes/:id/unenrol":              {"learner", "reason"},
	"GET /classes/:id/sessions/:sid":         nil,
	"POST /classes/:id/sessions/:sid/hand":   {"learner", "in", "out", "reason"},
	"GET /followups":                         nil,
	"POST /followups":                        {"learner", "month", "shop", "shop_address", "sales_band", "work", "online"},
	"GET /attend":                            nil,
	"GET /hours":                             nil,
	"POST /courses/:course/:lesson/study":    nil,
	"GET /attend/:sid":                       {"c"},
	"POST /attend/:sid":                      {"code", "action"},
	"GET /partner/villagers":                 nil,
	"GET /partner/villagers/new":             nil,
	"GET /partner/villagers/:id":             nil,
	"POST /partner/villagers":                {"name", "phone", "pin", "centre_id"},
	"GET /partner/villagers/:id/pin":         nil,
	"POST /partner/villagers/:id/pin":        {"pin"},
	"POST /partner/assists":                  {"villager_id", "kind", "note"},
	"POST /partner/reminders/:id/dismiss":    nil,
	"GET /coord":                             {"region", "lite"},
	"GET /coord/matrix":                      {"region", "page", "lite"},
	"GET /coord/alerts":                      {"region", "lite"},
	"GET /coord/questions":                   {"region", "course"},
	"GET /coord/partners/:id":                {"region"},
	"GET /coord/assignments":                 {"region"},
	"POST /coord/assignments":                {"?region", "course", "target", "due"},
	"POST /coord/reminders":                  {"?region", "learner_id"},
	"GET /coord/export.csv":                  {"table", "region", "course"},
	"GET /coord/enrol":                       {"region"},
	"GET /coord/enrol/template.csv":          nil,
	"GET /coord/enrol/check":                 {"region"},
	"POST /coord/enrol/check":                {"?region", "text"},
	"POST /coord/enrol":                      {"?region", "text"},
	"GET /admin":                             nil,
	"GET /admin/regions":                     nil,
	"POST /admin/regions":                    {"name", "level", "parent_id"},
	"GET /admin/regions/:id":                 nil,
	"POST /admin/regions/:id":                {"name"},
	"GET /admin/centres":                     nil,
	"POST /admin/centres":                    {"name", "address", "region_id"},
	"GET /admin/centres/:id":                 nil,
	"POST /admin/centres/:id":                {"name", "address", "region_id"},
	"GET /admin/accounts":                    {"role", "q", "page"},
	"GET /admin/accounts/new":                {"role"},
	"POST /admin/accounts":                   {"login", "name", "phone", "role", "region_id", "centre_id", "password", "pin"},
	"GET /admin/accounts/:id":                nil,
	"POST /admin/accounts/:id":               {"login", "name", "phone", "role", "region_id", "centre_id", "password", "pin"},
	"POST /admin/accounts/:id/active":        {"active"},
	"POST /admin/accounts/:id/sessions/end":  nil,
	"POST /classes/:id/exams":                {"title", "opens", "closes", "minutes", "questions", "lessons", "tasks", "attempts", "proctor", "pass"},
	"GET /classes/:id/exams/:eid":            nil,
	"POST /classes/:id/exams/:eid/candidate": {"learner", "action", "reason"},
	"GET /exams":                             nil,
	"GET /exams/:eid":                        nil,
	"POST /exams/:eid/start":                 {"proctor"},
	"POST /exams/:eid/submit":                {"attempt", "a0"},
}

// hostileValues are put into every parameter: SQL metacharacters (quotes, comments, LIKE
// wildcards, the escape character), invalid UTF-8 and a NUL byte (PostgreSQL refuses both
// in text).
var hostileValues = []string{`' OR 1=1 --`, `"; DROP TABLE users; --`, `%`, `_`, `\`, "\xff\xfe", "名\xc3(", "好\x00评"}

// pathDefaults fills path parameters with values that exist in the demo data (see examples).
var pathDefaults = map[string]string{
	"id": "1", "course": "buying-online", "lesson": "how-online-shopping-works", "code": partnerCertificate,
	"trip": "t-sf-yz-d6231", "sid": "1", "eid": "1", "*": "x",
}

// pathParams lists the names of a route's path parameters (":id" → "id", "*" → "*").
func pathParams(route string) []string {
	var out []string
	for _, seg := range strings.Split(route, "/") {
		switch {
		case strings.HasPrefix(seg, ":"):
			out = append(out, seg[1:])
		case seg == "*":
			out = append(out, "*")
		}
	}
	return out
}

// fillPath puts values (escaped) into a route's path parameters, defaults where none is given.
func fillPath(route string, values map[string]string) string {
	segs := strings.Split(route, "/")
	for i, seg := range segs {
		name := ""
		switch {
		case strings.HasPrefix(seg, ":"):
			name = seg[1:]
		case seg == "*":
			name = "*"
		default:
			continue
		}
		v, ok := values[name]
		if !ok {
			v = pathDefaults[name]
			if route == "/courses/:course/images/*" && name == "*" {
				v = "pay-page-zh.svg"
			}
			segs[i] = v
			continue
		}
		segs[i] = url.PathEscape(v)
	}
	return strings.Join(segs, "/")
}

// roleClients signs in one demo account of each role.
func roleClients(t *testing.T, env *apptest.Env) map[account.Role]*apptest.Client {
	t.Helper()
	out := map[account.Role]*apptest.Client{}
	for role, cred := range signIns {
		c := env.Client(t)
		c.SignIn(cred[0], cred[1])
		out[role] = c
	}
	return out
}

// clientFor returns a client allowed on the route: signed out for public routes, the
// partner for any signed-in person, else a role the route allows.
func clientFor(r web.Route, clients map[account.Role]*apptest.Client, anon *apptest.Client) *apptest.Client {
	switch {
	case r.Public:
		return anon
	case len(r.Roles) == 0 || slices.Contains(r.Roles, account.RolePartner):
		return clients[account.RolePartner]
	}
	return clients[r.Roles[0]]
}

// dbState counts the rows of every table, in one query.
type dbState struct {
	env    *apptest.Env
	tables []string
	query  string
}

func newDBState(t *testing.T, env *apptest.Env) *dbState {
	t.Helper()
	tables, err := env.App.Accounts.DB().Migrator().GetTables()
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(tables)
	if len(tables) < 10 {
		t.Fatalf("only %d tables: %v", len(tables), tables)
	}
	parts := make([]string, len(tables))
	for i, tb := range tables {
		parts[i] = fmt.Sprintf(`(SELECT COUNT(*) FROM "%s")`, tb)
	}
	return &dbState{env: env, tables: tables, query: "SELECT " + strings.Join(parts, ", ")}
}

func (s *dbState) counts(t *testing.T) map[string]int64 {
	t.Helper()
	rows, err := s.env.App.Accounts.DB().Raw(s.query).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	vals := make([]int64, len(s.tables))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if !rows.Next() {
		t.Fatal("no row counting the tables")
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	out := make(map[string]int64, len(vals))
	for i, tb := range s.tables {
		out[tb] = vals[i]
	}
	return out
}

// countChanges describes how the row counts differ, ignoring some tables; "" when equal.
// login_throttles is ignored by callers where failed sign-ins are counted on purpose.
func countChanges(before, after map[string]int64, ignore ...string) string {
	var out []string
	for tb, n := range after {
		if before[tb] != n && !slices.Contains(ignore, tb) {
			out = append(out, fmt.Sprintf("%s %d→%d", tb, before[tb], n))
		}
	}
	for tb := range before {
		if _, ok := after[tb]; !ok {
			out = append(out, tb+" gone")
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// invalidUTF8Cells lists the text cells of the database that are not valid UTF-8, which
// PostgreSQL would have refused (and a page would show as garbage).
func invalidUTF8Cells(t *testing.T, s *dbState) []string {
	t.Helper()
	var out []string
	for _, tb := range s.tables {
		rows, err := s.env.App.Accounts.DB().Raw(fmt.Sprintf(`SELECT * FROM "%s"`, tb)).Rows()
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.ColumnTypes()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				t.Fatal(err)
			}
			for i, v := range vals {
				typ := strings.ToUpper(cols[i].DatabaseTypeName())
				if strings.Contains(typ, "BLOB") || strings.Contains(typ, "BYTEA") {
					continue
				}
				var text string
				switch v := v.(type) {
				case string:
					text = v
				case []byte:
					text = string(v)
				default:
					continue
				}
				if !utf8.ValidString(text) {
					out = append(out, fmt.Sprintf("%s.%s = %q", tb, cols[i].Name(), text))
				}
			}
		}
		rows.Close()
	}
	return out
}

// send makes one request to route r with the given path parameters and inputs.
func send(c *apptest.Client, r web.Route, path map[string]string, inputs url.Values) *apptest.Resp {
	target := fillPath(r.Path, path)
	query, form := url.Values{}, url.Values{}
	for k, vs := range inputs {
		if r.Method == http.MethodGet || strings.HasPrefix(k, "?") {
			query[strings.TrimPrefix(k, "?")] = vs
		} else {
			form[k] = vs
		}
	}
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	if r.Method == http.MethodGet {
		return c.Get(target)
	}
	return c.Post(target, form)
}

// isInfra reports whether a route is infrastructure rather than a page: static files,
// liveness, metrics, the service worker and the manifest.
func isInfra(path string) bool {
	return path == "/metrics" || path == "/healthz" || path == "/static/*" || path == "/sw.js" || path == "/manifest.webmanifest"
}

// TestSecurityEveryRouteSignedOut walks every route, GET and POST, without signing in, with
// a valid CSRF token so that only the sign-in check stands in the way: private routes send
// to sign in and change nothing; public ones answer without a server error and without
// starting a session.
func TestSecurityEveryRouteSignedOut(t *testing.T) {
	env := apptest.New(t)
	givePartnerACertificate(t, env)
	db := newDBState(t, env)
	before := db.counts(t)
	anon := env.Client(t)
	walked := 0
	for _, r := range env.App.Web.Routes() {
		res := send(anon, r, nil, nil)
		walked++
		where := r.Method + " " + r.Path
		if res.Status >= 500 {
			t.Errorf("%s signed out: status %d", where, res.Status)
		}
		if findCookie(res.Cookies, "cunlu_session") != nil && findCookie(res.Cookies, "cunlu_session").Value != "" {
			t.Errorf("%s signed out: a session was started", where)
		}
		if r.Public {
			if r.Method == http.MethodGet && !isInfra(r.Path) && res.Status != http.StatusOK && res.Status != http.StatusNotFound {
				t.Errorf("%s signed out (public): status %d, want 200 or 404", where, res.Status)
			}
			continue
		}
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Location, "/login") {
			t.Errorf("%s signed out: status %d to %q, want 303 to /login", where, res.Status, res.Location)
		}
		if strings.Contains(res.Body, "李娜") || strings.Contains(res.Body, "1380000") {
			t.Errorf("%s signed out: the answer shows personal data", where)
		}
	}
	// Public POSTs without a sign-in: /login and /login/pin count a failure (on purpose),
	// /lang only sets a cookie. Nothing else is written.
	if d := countChanges(before, db.counts(t), "login_throttles"); d != "" {
		t.Errorf("signed-out requests changed the database: %s", d)
	}
	if walked < 100 {
		t.Fatalf("only %d routes walked", walked)
	}
}

// TestSecurityHostileValuesInEveryParameter puts SQL metacharacters, invalid UTF-8 and NUL into
// every path parameter and every query or form field each handler reads, one at a time and
// all at once, as a role allowed on the route. No answer may be a server error; a refused
// request (4xx) and any GET leave every table's row count as it was; afterwards every table
// is still there, no account was added, and no text in the database is invalid UTF-8.
func TestSecurityHostileValuesInEveryParameter(t *testing.T) {
	// On every database: what one accepts (invalid UTF-8, say) another may refuse.
	for _, kind := range dbtest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel() // each on its own database and server
			hostileValuesWalk(t, apptest.New(t, apptest.Kind(kind)))
		})
	}
}

func hostileValuesWalk(t *testing.T, env *apptest.Env) {
	givePartnerACertificate(t, env)
	clients := roleClients(t, env)
	anon := env.Client(t)
	routes := env.App.Web.Routes()
	// Pages create some rows the first time they are visited (a wallet, the inbox's first
	// messages, practice tasks read from the sandbox): visit them all once first.
	for _, r := range routes {
		if r.Method == http.MethodGet && !isInfra(r.Path) {
			clientFor(r, clients, anon).Get(concrete(r.Path))
		}
	}
	db := newDBState(t, env)
	users := countRows(t, env, "users", "1 = 1")
	requests, params := 0, 0
	for _, r := range routes {
		where := r.Method + " " + r.Path
		inputs, ok := routeInputs[where]
		if !ok {
			t.Errorf("%s is not in routeInputs: list the parameters its handler reads", where)
		}
		names := append(pathParams(r.Path), inputs...)
		if len(names) == 0 || isInfra(r.Path) && r.Path != "/static/*" {
			continue
		}
		params += len(names)
		c := clientFor(r, clients, anon)
		try := func(value string, only string) {
			path, in := map[string]string{}, url.Values{}
			for _, n := range names {
				if only != "" && n != only {
					continue
				}
				if slices.Contains(inputs, n) {
					in.Set(n, value)
				} else {
					path[n] = value
				}
			}
			before := db.counts(t)
			res := send(c, r, path, in)
			requests++
			after := db.counts(t)
			what := fmt.Sprintf("%s with %q in %s", where, value, cmp.Or(only, "every parameter"))
			if res.Status >= 500 {
				t.Errorf("%s: status %d", what, res.Status)
				return
			}
			if i := strings.Index(res.Body, "[["); i >= 0 {
				t.Errorf("%s: the page shows a missing message: %s", what, res.Body[i:min(len(res.Body), i+60)])
			}
			if d := countChanges(before, after, "login_throttles"); d != "" && (res.Status >= 400 || r.Method == http.MethodGet) {
				t.Errorf("%s: status %d but the database changed: %s", what, res.Status, d)
			}
		}
		for _, v := range hostileValues {
			for _, n := range names {
				try(v, n)
			}
			if len(names) > 1 {
				try(v, "")
			}
		}
	}
	if got := countRows(t, env, "users", "1 = 1"); got != users {
		t.Errorf("accounts: %d before, %d after", users, got)
	}
	tables, err := env.App.Accounts.DB().Migrator().GetTables()
	if err != nil || len(tables) != len(db.tables) {
		t.Errorf("tables after the walk: %v (%v), want %d", tables, err, len(db.tables))
	}
	if missing := env.App.Web.MissingTranslations(); len(missing) > 0 {
		t.Errorf("pages asked for messages the catalogs lack: %v", missing)
	}
	if bad := invalidUTF8Cells(t, db); len(bad) > 0 {
		t.Errorf("invalid UTF-8 stored: %v", bad)
	}
	t.Logf("%d parameters of %d routes, %d requests", params, len(routes), requests)
	if params < 150 || requests < 1000 {
		t.Fatalf("only %d parameters, %d requests: the walk is not reaching the routes", params, requests)
	}
}

var (
	productLink = regexp.MustCompile(`href="/shop/products/(\d+)"`)
	accountLink = regexp.MustCompile(`href="/admin/accounts/\d+"`)
)

// TestSecurityLikeWildcardsAreLiteral: a typed % or _ is searched for as itself, not as
// "anything", in the shop's search and the admin's account search.
func TestSecurityLikeWildcardsAreLiteral(t *testing.T) {
	env := apptest.New(t)
	clients := roleClients(t, env)
	p, a := clients[account.RolePartner], clients[account.RoleAdmin]
	var products []sandbox.Product
	if err := env.App.Accounts.DB().Find(&products).Error; err != nil {
		t.Fatal(err)
	}
	contains := func(id, q string) bool {
		for _, pr := range products {
			if fmt.Sprint(pr.ID) == id {
				return strings.Contains(strings.ToLower(pr.NameZh+pr.NameEn+pr.DescZh+pr.DescEn), q)
			}
		}
		return false
	}
	if n := len(productLink.FindAllString(p.Get("/shop/search?q="+url.QueryEscape("肥")).Body, -1)); n == 0 {
		t.Fatal("control search for 肥 finds nothing")
	}
	// Some products say "15%": those, and only those, are found for "%".
	for _, q := range []string{"%", "_", "%%", `\`, "%肥%", "_肥"} {
		r := p.Get("/shop/search?q=" + url.QueryEscape(q))
		if r.Status != http.StatusOK {
			t.Errorf("shop search %q: status %d", q, r.Status)
		}
		for _, m := range productLink.FindAllStringSubmatch(r.Body, -1) {
			if !contains(m[1], q) {
				t.Errorf("shop search %q found product %s, whose text does not contain it", q, m[1])
			}
		}
	}
	if n := len(accountLink.FindAllString(a.Get("/admin/accounts?q="+url.QueryEscape("李娜")).Body, -1)); n == 0 {
		t.Fatal("control: searching accounts for 李娜 finds nothing")
	}
	for _, q := range []string{"%", "_", "___", "%李%"} {
		r := a.Get("/admin/accounts?q=" + url.QueryEscape(q))
		if n := len(accountLink.FindAllString(r.Body, -1)); r.Status != http.StatusOK || n != 0 || !strings.Contains(r.Body, "找到 0 个账户") {
			t.Errorf("account search %q: status %d, %d accounts listed; want none", q, r.Status, n)
		}
	}
}

// TestSecurityOversizedBodies: a 2 MB form is refused with 413 and a translated message on
// the ordinary routes, signed in or not; a 12 MB upload on the listing route too; nothing
// is written.
func TestSecurityOversizedBodies(t *testing.T) {
	env := apptest.New(t)
	clients := roleClients(t, env)
	anon := env.Client(t)
	db := newDBState(t, env)
	before := db.counts(t)
	big := strings.Repeat("长", 700_000) // 2.1 MB of UTF-8
	for _, tc := range []struct {
		c    *apptest.Client
		path string
		form url.Values
	}{
		{anon, "/login/pin", url.Values{"phone": {big}, "pin": {"135790"}}},
		{anon, "/lang", url.Values{"lang": {"en"}, "next": {"/" + big}}},
		{clients[account.RolePartner], "/partner/villagers", url.Values{"name": {big}, "phone": {"13912345678"}, "pin": {"246813"}, "centre_id": {"1"}}},
		{clients[account.RolePartner], "/partner/assists", url.Values{"villager_id": {"1"}, "kind": {"bill"}, "note": {big}}},
		{clients[account.RolePartner], "/shop/cart", url.Values{"product_id": {"1"}, "qty": {"1"}, "padding": {big}}},
		{clients[account.RolePartner], "/shop/sell/shop", url.Values{"name": {"小店"}, "description": {big}}},
		{clients[account.RoleVillager], "/account/password", url.Values{"current": {"demo-villager-pass"}, "password": {big}, "confirm": {big}}},
		{clients[account.RoleCoordinator], "/coord/enrol/check", url.Values{"text": {"姓名,手机号,服务站\r\n" + big}}},
		{clients[account.RoleAdmin], "/admin/regions", url.Values{"name": {big}, "level": {"county"}}},
		{clients[account.RoleAdmin], "/admin/accounts", url.Values{"login": {"big-one"}, "name": {big}, "role": {"admin"}, "password": {"a-long-password-9"}}},
	} {
		r := tc.c.Post(tc.path, tc.form)
		if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Body, "提交的内容太大了") {
			t.Errorf("2 MB form to %s: status %d, want 413 with the message", tc.path, r.Status)
		}
	}
	// A chunked body (no Content-Length) is cut off the same way.
	p := clients[account.RolePartner]
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/partner/villagers", struct{ *strings.Reader }{strings.NewReader(
		url.Values{"_csrf": {p.CSRF()}, "name": {big}, "phone": {"13912345678"}, "pin": {"246813"}, "centre_id": {"1"}}.Encode())})
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if req.ContentLength > 0 {
		t.Fatal("the request was meant to be chunked")
	}
	if r := p.Do(req); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MB chunked form: status %d, want 413", r.Status)
	}
	// Uploads: a 12 MB photo is refused by the server's limit; a 10 MB one that fits the
	// limit is refused by the photo check, with its own message.
	p.Post("/shop/sell/shop", url.Values{"name": {"测试小店"}, "centre_id": {"1"}})
	before = db.counts(t)
	fields := url.Values{"title": {"猕猴桃"}, "price": {"39.9"}, "shipping": {"0"}, "stock": {"5"}}
	huge := bytes.Repeat([]byte{0xff}, 12<<20)
	if r := p.PostFile("/shop/sell/listings", fields, "photo", "big.jpg", "image/jpeg", huge); r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Body, "提交的内容太大了") {
		t.Errorf("12 MB upload: status %d, want 413 with the message", r.Status)
	}
	if r := p.PostFile("/shop/sell/listings/1", fields, "photo", "big.jpg", "image/jpeg", huge); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("12 MB upload to an existing listing's route: status %d, want 413", r.Status)
	}
	tenMB := append(append([]byte{}, photoJPEG(t)...), bytes.Repeat([]byte{0}, 10<<20)...)
	if r := p.PostFile("/shop/sell/listings", fields, "photo", "big.jpg", "image/jpeg", tenMB); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, `class="error"`) {
		t.Errorf("10 MB photo: status %d, want 400 with a message", r.Status)
	}
	c := clients[account.RoleCoordinator]
	if r := c.PostFile("/coord/enrol/check", nil, "csv", "big.csv", "text/csv", bytes.Repeat([]byte("张三,13800000000,桃园村服务站\n"), 60_000)); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MB CSV upload: status %d, want 413", r.Status)
	}
	// A 2 MB query string is refused before any handler runs.
	if r := p.Get("/shop/search?q=" + strings.Repeat("a", 2<<20)); r.Status < 400 || r.Status >= 500 {
		t.Errorf("2 MB query string: status %d, want 4xx", r.Status)
	}
	if d := countChanges(before, db.counts(t)); d != "" {
		t.Errorf("oversized requests changed the database: %s", d)
	}
}

// TestSecurityMassAssignment: fields a form does not have (an owner, a price, a role, a
// status) are ignored; the stored rows are what the form allows.
func TestSecurityMassAssignment(t *testing.T) {
	env := apptest.New(t)
	clients := roleClients(t, env)
	p, a := clients[account.RolePartner], clients[account.RoleAdmin]
	dbh := env.App.Accounts.DB()
	partner, victim := mustUserID(t, env, "partner"), mustUserID(t, env, "partner02")
	adminID := mustUserID(t, env, "admin")
	seeds := productID(t, env, "白菜种子", 990)

	// The cart: no price, owner or total from the form.
	r := p.Post("/shop/cart", url.Values{"product_id": {seeds}, "qty": {"2"}, "price_cents": {"1"}, "user_id": {fmt.Sprint(victim)},
		"owner": {fmt.Sprint(victim)}, "unit_price": {"0.01"}, "total_cents": {"1"}, "centre_id": {"4"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add to cart: %d\n%s", r.Status, r.Body)
	}
	if n := countRows(t, env, "sandbox_cart_items", "user_id = ?", victim); n != 0 {
		t.Errorf("user_id in the cart form put %d lines in another learner's cart", n)
	}
	if n := countRows(t, env, "sandbox_cart_items", "user_id = ?", partner); n != 1 {
		t.Fatalf("partner's cart has %d lines, want 1", n)
	}
	r = p.Post("/shop/checkout", url.Values{"key": {"mass-assignment-checkout-1"}, "delivery": {"pickup"}, "payment": {"cash"},
		"total_cents": {"1"}, "status": {"completed"}, "user_id": {fmt.Sprint(victim)}, "paid": {"1"}, "price_cents": {"1"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("checkout: %d\n%s", r.Status, r.Body)
	}
	var ord sandbox.Order
	if err := dbh.Where("user_id = ?", partner).Order("id DESC").Take(&ord).Error; err != nil {
		t.Fatal(err)
	}
	if ord.GoodsCents != 2*990 {
		t.Errorf("order goods total %d, want %d: a price or total from the form was used", ord.GoodsCents, 2*990)
	}
	if n := countRows(t, env, "sandbox_orders", "user_id = ?", victim); n != 0 {
		t.Error("the order went to the user_id in the form")
	}

	// A villager registered by a partner is a villager of the partner's centre, whatever
	// the form says about role, login, activity or who registered them.
	r = p.Post("/partner/villagers", url.Values{"name": {"赵大爷"}, "phone": {"13911110001"}, "pin": {"246813"}, "centre_id": {"1"},
		"role": {"admin"}, "login": {"root"}, "active": {"1"}, "region_id": {"1"}, "registered_by_id": {fmt.Sprint(adminID)}, "password_hash": {"x"}})
	if r.Status != http.StatusOK {
		t.Fatalf("register villager: %d\n%s", r.Status, r.Body)
	}
	var v account.User
	if err := dbh.Where("phone = ?", "13911110001").Take(&v).Error; err != nil {
		t.Fatal(err)
	}
	if v.Role != account.RoleVillager || v.Login != "13911110001" || v.RegionID != nil || v.RegisteredByID == nil || *v.RegisteredByID != partner || v.PasswordHash != "" {
		t.Errorf("registered villager: role %s, login %s, region %v, registered by %v, password hash %q", v.Role, v.Login, v.RegionID, v.RegisteredByID, v.PasswordHash)
	}

	// An admin editing an account cannot change its role through the form.
	id := userID(t, env, "partner02")
	r = a.Post("/admin/accounts/"+id, url.Values{"login": {"partner02"}, "name": {"王磊"}, "phone": {""}, "role": {"admin"}, "centre_id": {"2"},
		"region_id": {"1"}, "active": {"0"}, "id": {fmt.Sprint(adminID)}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("edit account: %d\n%s", r.Status, r.Body)
	}
	var edited account.User
	dbh.Take(&edited, victim)
	if edited.Role != account.RolePartner || !edited.Active || edited.RegionID != nil {
		t.Errorf("after the edit: role %s, active %v, region %v; want partner, active, none", edited.Role, edited.Active, edited.RegionID)
	}
	var adm account.User
	dbh.Take(&adm, adminID)
	if adm.Name == "王磊" || adm.Login != "admin" {
		t.Error("an id in the form redirected the edit to another account")
	}

	// A listing belongs to the seller who posted it, with no sales or rating from the form.
	p.Post("/shop/sell/shop", url.Values{"name": {"测试小店"}, "centre_id": {"1"}, "user_id": {fmt.Sprint(victim)}, "rating": {"50"}})
	if n := countRows(t, env, "sell_shops", "user_id = ?", victim); n != 0 {
		t.Error("user_id in the shop form opened a shop for another learner")
	}
	r = p.PostFile("/shop/sell/listings", url.Values{"title": {"猕猴桃 5斤"}, "price": {"39.9"}, "shipping": {"8"}, "stock": {"5"},
		"user_id": {fmt.Sprint(victim)}, "sales": {"9999"}, "status": {"approved"}, "photo_id": {"1"}, "paused": {"1"}}, "", "", "", nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("listing: %d\n%s", r.Status, r.Body)
	}
	var l sandbox.Listing
	if err := dbh.Order("id DESC").Take(&l).Error; err != nil {
		t.Fatal(err)
	}
	if l.UserID != partner || l.PhotoID != nil || l.Paused || l.PriceCents != 3990 {
		t.Errorf("listing stored as user %d, photo %v, paused %v, price %d; want the seller's own, no photo, not paused, 3990", l.UserID, l.PhotoID, l.Paused, l.PriceCents)
	}
	if n := countRows(t, env, "sell_listings", "user_id = ?", victim); n != 0 {
		t.Error("user_id in the listing form listed for another learner")
	}

	// A coordinator's assignment is theirs, inside their region, whatever the form says.
	c := clients[account.RoleCoordinator]
	due := time.Now().AddDate(0, 0, 20).Format("2006-01-02")
	r = c.Post("/coord/assignments", url.Values{"course": {"buying-online"}, "target": {"region:1"}, "due": {due}, "created_by_id": {fmt.Sprint(adminID)}, "region_id": {"2"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("assign: %d\n%s", r.Status, r.Body)
	}
	var createdBy uint
	dbh.Table("assignments").Select("created_by_id").Order("id DESC").Limit(1).Scan(&createdBy)
	if createdBy != mustUserID(t, env, "coordinator") {
		t.Errorf("assignment created by %d, want the coordinator", createdBy)
	}
}

// TestSecurityForeignAndGuessedIDs: every route with an :id refuses ids that are not
// numbers or do not exist with 404, for every role allowed on it; and the objects of one
// learner's practice shop that other tests do not cover (sale orders, buyers' messages,
// listing pause and edit, cart lines, inbox actions) are 404 to another learner, who changes
// nothing by trying.
func TestSecurityForeignAndGuessedIDs(t *testing.T) {
	env := apptest.New(t)
	givePartnerACertificate(t, env)
	clients := roleClients(t, env)
	owner := clients[account.RolePartner]
	guessed := []string{"0", "-1", "99999999", "4294967296", "1.5", "0x1", "1e3", "%2e%2e", "1%20OR%201=1"}
	// A form that would be accepted for an object the actor owns, so only the id is wrong.
	forms := map[string]url.Values{
		"/shop/orders/:id/pickup":       {"code": {"123456"}},
		"/shop/orders/:id/return":       {"reason": {"damaged"}, "note": {"坏了"}},
		"/shop/orders/:id/review":       {"product_id": {"1"}, "stars": {"5"}, "text": {"很好"}},
		"/shop/products/:id/scam":       {"action": {"reported"}, "reason": {"price"}},
		"/shop/inbox/:id":               {"action": {"reported"}, "reason": {"impersonation"}},
		"/shop/sell/orders/:id":         {"action": {"accept"}},
		"/shop/sell/messages/:id":       {"reply": {"您好，今天发货。"}},
		"/shop/sell/listings/:id/pause": {"paused": {"1"}},
		"/shop/cart/:id":                {"qty": {"1"}},
		"/admin/accounts/:id/active":    {"active": {"1"}},
		"/admin/regions/:id":            {"name": {"新名字"}},
		"/admin/centres/:id":            {"name": {"新名字"}, "region_id": {"4"}},
		"/admin/accounts/:id":           {"login": {"new-login"}, "name": {"新名字"}},
		"/partner/villagers/:id/pin":    {"pin": {"246813"}},
	}
	for _, r := range env.App.Web.Routes() {
		if !strings.Contains(r.Path, ":id") {
			continue
		}
		for role, c := range clients {
			if !r.Public && len(r.Roles) > 0 && !slices.Contains(r.Roles, role) {
				continue
			}
			for _, id := range guessed {
				path := strings.Replace(r.Path, ":id", id, 1)
				var res *apptest.Resp
				if r.Method == http.MethodGet {
					res = c.Get(path)
				} else {
					res = c.Post(path, forms[r.Path])
				}
				if res.Status != http.StatusNotFound {
					t.Errorf("%s %s as %s: status %d, want 404", r.Method, path, role, res.Status)
				}
			}
		}
	}

	// The owner's sale order and buyers' messages: a listing, then buyers.
	dbh := env.App.Accounts.DB()
	ownerID := mustUserID(t, env, "partner")
	for i := 0; i < 3 && countRows(t, env, "sell_orders", "user_id = ?", ownerID) == 0; i++ {
		owner.Post("/shop/sell/wait", nil)
	}
	var sale sandbox.SellOrder
	if err := dbh.Where("user_id = ?", ownerID).First(&sale).Error; err != nil {
		t.Fatal("no sale after waiting")
	}
	var msg sandbox.SellMessage
	if err := dbh.Where("user_id = ?", ownerID).First(&msg).Error; err != nil {
		t.Fatal("no buyer's message after waiting")
	}
	var listing sandbox.Listing
	dbh.Where("user_id = ?", ownerID).First(&listing)
	// Cart lines are addressed by product: /shop/cart/:id only ever touches the signed-in
	// learner's own cart, so the owner's line for a product is out of another's reach.
	owner.Post("/shop/cart", url.Values{"product_id": {"1"}, "qty": {"1"}})
	var line sandbox.CartItem
	if err := dbh.Where("user_id = ?", ownerID).First(&line).Error; err != nil {
		t.Fatal("no cart line")
	}
	var inbox sandbox.ScamMessage
	if err := dbh.Where("user_id = ?", ownerID).First(&inbox).Error; err != nil {
		t.Fatal("no inbox message")
	}
	other := env.Client(t)
	other.SignIn("partner02", "demo-partner-pass")
	other.Post("/shop/sell/shop", url.Values{"name": {"别人的店"}, "centre_id": {"2"}})
	db := newDBState(t, env)
	before := db.counts(t)
	snapshot := func() string {
		var s sandbox.SellOrder
		var m sandbox.SellMessage
		var l sandbox.Listing
		var ci sandbox.CartItem
		var sm sandbox.ScamMessage
		dbh.Take(&s, sale.ID)
		dbh.Take(&m, msg.ID)
		dbh.Take(&l, listing.ID)
		dbh.Where("user_id = ? AND product_id = ?", ownerID, line.ProductID).Take(&ci)
		dbh.Take(&sm, inbox.ID)
		return fmt.Sprintf("%s|%v|%s|%v|%d|%d|%s", s.Status, m.RepliedAt, l.Title, l.Paused, l.Stock, ci.Qty, sm.Action)
	}
	was := snapshot()
	for _, tc := range []struct {
		path string
		form url.Values
		file bool
	}{
		{fmt.Sprintf("/shop/sell/orders/%d", sale.ID), url.Values{"action": {"accept"}}, false},
		{fmt.Sprintf("/shop/sell/orders/%d", sale.ID), url.Values{"action": {"refuse"}}, false},
		{fmt.Sprintf("/shop/sell/messages/%d", msg.ID), url.Values{"reply": {"我替你回答了"}}, false},
		{fmt.Sprintf("/shop/sell/listings/%d/pause", listing.ID), url.Values{"paused": {"1"}}, false},
		{fmt.Sprintf("/shop/sell/listings/%d", listing.ID), url.Values{"title": {"改了你的标题"}, "price": {"1"}, "shipping": {"0"}, "stock": {"1"}}, true},
		{fmt.Sprintf("/shop/cart/%d", line.ProductID), url.Values{"qty": {"9"}}, false},
		{fmt.Sprintf("/shop/cart/%d", line.ProductID), url.Values{"qty": {"0"}}, false},
		{fmt.Sprintf("/shop/inbox/%d", inbox.ID), url.Values{"action": {"fell"}}, false},
	} {
		var r *apptest.Resp
		if tc.file {
			r = other.PostFile(tc.path, tc.form, "", "", "", nil)
		} else {
			r = other.Post(tc.path, tc.form)
		}
		if r.Status != http.StatusNotFound {
			t.Errorf("another learner's %s: status %d, want 404", tc.path, r.Status)
		}
	}
	for _, path := range []string{fmt.Sprintf("/shop/sell/listings/%d", listing.ID), fmt.Sprintf("/shop/inbox/%d", inbox.ID)} {
		if r := other.Get(path); r.Status != http.StatusNotFound {
			t.Errorf("another learner's GET %s: %d, want 404", path, r.Status)
		}
	}
	for _, path := range []string{"/shop/sell/orders", "/shop/sell/messages", "/shop/cart"} {
		if body := other.Get(path).Body; strings.Contains(body, fmt.Sprintf("/shop/sell/orders/%d\"", sale.ID)) ||
			strings.Contains(body, fmt.Sprintf("/shop/sell/messages/%d\"", msg.ID)) || strings.Contains(body, fmt.Sprintf("/shop/cart/%d\"", line.ProductID)) {
			t.Errorf("another learner's %s lists the owner's objects", path)
		}
	}
	if now := snapshot(); now != was {
		t.Errorf("another learner's attempts changed the owner's objects: %s → %s", was, now)
	}
	if d := countChanges(before, db.counts(t)); d != "" {
		t.Errorf("refused attempts changed the database: %s", d)
	}
	// A coordinator's partner page is for partners only: a villager's, a coordinator's or
	// an admin's id in the region is 404 too.
	c := clients[account.RoleCoordinator]
	for _, login := range []string{"villager", "coordinator", "admin"} {
		if r := c.Get("/coord/partners/" + userID(t, env, login)); r.Status != http.StatusNotFound {
			t.Errorf("coordinator's partner page for %s: %d, want 404", login, r.Status)
		}
	}
}

// TestSecurityOpenRedirects extends TestSignInRedirectsBackButNeverOffSite to the PIN
// sign-in, the language switch and the next= shown back in the sign-in form.
func TestSecurityOpenRedirects(t *testing.T) {
	env := apptest.New(t)
	evil := []string{"//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "http:evil.example",
		"/%2F/evil.example", "\\\\evil.example", " //evil.example", "/\t/evil.example", "//evil.example%2F@cunlu", "HTTPS://evil.example"}
	for _, next := range evil {
		c := env.Client(t)
		r := c.Post("/login/pin", url.Values{"phone": {"13800000002"}, "pin": {"135790"}, "next": {next}})
		if r.Status != http.StatusSeeOther || !safeLocation(r.Location) {
			t.Errorf("PIN sign-in with next=%q: %d to %q", next, r.Status, r.Location)
		}
		r = c.Post("/lang", url.Values{"lang": {"en"}, "next": {next}})
		if r.Status != http.StatusSeeOther || !safeLocation(r.Location) {
			t.Errorf("/lang with next=%q: %d to %q", next, r.Status, r.Location)
		}
		for _, page := range []string{"/login", "/login/pin"} {
			body := env.Client(t).Get(page + "?next=" + url.QueryEscape(next)).Body
			for _, m := range nextField.FindAllStringSubmatch(body, -1) {
				if v := html.UnescapeString(m[1]); !safeLocation(v) {
					t.Errorf("%s?next=%q puts %q into a form's next", page, next, v)
				}
			}
		}
		r = env.Client(t).Post("/login", url.Values{"login": {"partner"}, "password": {"demo-partner-pass"}, "next": {next}})
		if r.Status != http.StatusSeeOther || !safeLocation(r.Location) {
			t.Errorf("sign-in with next=%q: %d to %q", next, r.Status, r.Location)
		}
	}
	// The good case still works, so the checks above could fail.
	c := env.Client(t)
	if r := c.Post("/lang", url.Values{"lang": {"en"}, "next": {"/courses?x=1"}}); r.Location != "/courses?x=1" {
		t.Errorf("/lang with a local next: %q", r.Location)
	}
	if r := c.Post("/login/pin", url.Values{"phone": {"13800000002"}, "pin": {"135790"}, "next": {"/courses"}}); r.Location != "/courses" {
		t.Errorf("PIN sign-in with a local next: %q", r.Location)
	}
}

var nextField = regexp.MustCompile(`name="next" value="([^"]*)"`)

// safeLocation reports whether a redirect stays on this site.
func safeLocation(loc string) bool {
	u, err := url.Parse(loc)
	return err == nil && u.Scheme == "" && u.Host == "" && strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") && !strings.HasPrefix(loc, "/\\")
}

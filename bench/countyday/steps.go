package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// A step is one thing a person does in the browser: open a page (one GET), or send a form
// (a POST, and the GET of the page its 303 leads to, as the browser follows it at once).
// Either way it is one step, timed from when it was due to the last byte of the page the
// person then sees; the POST and the GET after it are also timed on their own (parts).
type step struct {
	ctx context.Context
	u   *user
	rec *recorder
	o   outcome
}

func (s *step) failed() bool { return s.o.fail != "" }

func (s *step) fail(code int, retryAfter bool, format string, args ...any) {
	if s.o.fail == "" {
		s.o.fail, s.o.code, s.o.retryAfter = fmt.Sprintf(format, args...), code, retryAfter
	}
}

func (s *step) request(method, path string, form url.Values) *response {
	s.o.requests++
	res, err := s.u.do(s.ctx, method, path, form)
	if err != nil {
		switch {
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "Timeout"):
			s.fail(0, false, "timeout")
		default:
			s.fail(0, false, "network: %v", err)
		}
		return nil
	}
	if res.code >= 500 {
		s.fail(res.code, res.retryAfter, "%s %s: %d", method, pattern(path), res.code)
		return nil
	}
	return res
}

// page GETs a page the person is allowed to see, and returns it.
func (s *step) page(path string) string {
	res := s.request(http.MethodGet, path, nil)
	if res == nil {
		return ""
	}
	if res.code != http.StatusOK {
		s.fail(res.code, false, "GET %s: %d to %s", pattern(path), res.code, pattern(res.location))
		return ""
	}
	return res.body
}

// submit POSTs a form, expects the app's 303 to a page under want, and follows it.
func (s *step) submit(f *form, values url.Values, want string) string {
	res := s.request(http.MethodPost, f.action, values)
	if res == nil {
		return ""
	}
	s.rec.part(s.o.kind+": POST", res.took)
	if res.code != http.StatusSeeOther || !strings.HasPrefix(res.location, want) {
		s.fail(res.code, false, "POST %s: %d to %s", pattern(f.action), res.code, pattern(res.location))
		return ""
	}
	next := s.request(http.MethodGet, res.location, nil)
	if next == nil {
		return ""
	}
	s.rec.part(s.o.kind+": the page after", next.took)
	if next.code != http.StatusOK {
		s.fail(next.code, false, "GET %s after POST: %d", pattern(res.location), next.code)
		return ""
	}
	return next.body
}

var reNumber = regexp.MustCompile(`[0-9]+`)

// pattern turns an address into its route, so that errors group (no ids, no query).
func pattern(path string) string {
	path, _, _ = strings.Cut(path, "?")
	path, _, _ = strings.Cut(path, "#")
	return reNumber.ReplaceAllString(path, ":id")
}

// audience is the courses and lessons one kind of learner sees, in catalogue order.
type audience struct {
	courses []string
	lessons []string // paths
}

func (a *audience) next(lesson string) string {
	i := slices.Index(a.lessons, lesson)
	return a.lessons[(i+1)%len(a.lessons)]
}

var (
	reCourseLink  = regexp.MustCompile(`href="(/courses/[a-z0-9-]+)"`)
	reLessonLink  = regexp.MustCompile(`href="(/courses/[a-z0-9-]+/[a-z0-9-]+)"`)
	reProduct     = regexp.MustCompile(`href="/shop/products/([0-9]+)"`)
	reRegion      = regexp.MustCompile(`<th scope="row"><a href="/coord\?region=([0-9]+)">`)
	rePartnerLink = regexp.MustCompile(`href="/coord/partners/([0-9]+)\?region=([0-9]+)"`)
	reLockedBlock = regexp.MustCompile(`(?s)<div class="notice" role="note">(.*?)</div>`)
	reOrderLink   = regexp.MustCompile(`href="/shop/orders/([0-9]+)"`)
)

// ---------------------------------------------------------------------------------------
// Learners: reading, quizzes, the practice shop.

func readHome(s *step)      { s.page("/") }
func readCatalogue(s *step) { s.page("/courses") }
func readShopHome(s *step)  { s.page("/shop") }

func readCourse(s *step) {
	c, _, _ := strings.Cut(strings.TrimPrefix(s.u.lesson, "/courses/"), "/")
	s.page("/courses/" + c)
}

// readLesson opens the lesson the person is studying and keeps its quiz form. On a locked
// lesson the browser cannot submit the quiz; the person goes to the first prerequisite.
func readLesson(s *step) {
	u := s.u
	body := s.page(u.lesson)
	if s.failed() {
		return
	}
	f, qs := quizOf(body, u.b.key)
	u.quiz, u.grade = nil, nil
	if f == nil {
		if m := reLockedBlock.FindStringSubmatch(body); m != nil {
			if l := reLessonLink.FindStringSubmatch(m[1]); l != nil {
				u.lesson = l[1]
				return
			}
		}
		u.lesson = u.aud.next(u.lesson)
		return
	}
	u.quiz = f
	u.grade = map[string][]string{}
	vals := answer(u.r, f, qs)
	for k, v := range vals {
		u.grade[k] = v
	}
}

// submitQuiz sends the answers of the lesson last read; the app answers with the lesson
// page showing the grade. A pass moves the person on to the next lesson.
func submitQuiz(s *step) {
	u := s.u
	if u.quiz == nil {
		// Nobody free had a quiz open: this person opens their lesson first.
		s.o.kind = "lesson"
		s.rec.note("quiz steps that became lesson reads (no free learner had a quiz open)")
		readLesson(s)
		return
	}
	f, vals := u.quiz, url.Values(u.grade)
	u.quiz, u.grade = nil, nil
	body := s.submit(f, vals, strings.TrimSuffix(f.action, "/quiz")+"?attempt=")
	if s.failed() {
		return
	}
	if strings.Contains(body, `id="result" class="flash"`) {
		u.lesson = u.aud.next(u.lesson)
	}
}

func hasQuiz(u *user) bool { return u.quiz != nil }

// buying prefers people in the middle of a purchase, so that purchases are finished
// rather than many begun.
func buying(u *user) bool { return u.buyStage > 0 }

func readProduct(s *step) {
	b := s.u.b
	s.page("/shop/products/" + b.products[s.u.r.IntN(len(b.products))])
}

// searchWords are what villagers type into the shop's search box.
var searchWords = []string{"复合肥", "尿素", "种子", "喷雾器", "饲料", "电饭煲", "热水壶", "电热毯", "高压锅", "水桶",
	"充电宝", "数据线", "老人手机", "耳机", "书包", "铅笔", "作业本", "雨靴", "手套", "棉服", "大米", "菜籽油", "蜂蜜", "苹果", "面粉"}

// buy is the next step of the person's purchase: search, a product, add to cart, the
// checkout page, place the order (pickup at their centre, cash on pickup: the wallet
// needs a payment PIN the generated accounts do not have).
func buy(s *step) {
	u := s.u
	switch u.buyStage {
	case 0:
		s.o.kind = "shop-search"
		q := url.Values{"q": {searchWords[u.r.IntN(len(searchWords))]}, "pickup": {"1"}}
		body := s.page("/shop/search?" + q.Encode())
		if s.failed() {
			return
		}
		u.found = u.found[:0]
		for _, m := range reProduct.FindAllStringSubmatch(body, -1) {
			u.found = append(u.found, m[1])
		}
		if len(u.found) == 0 {
			s.rec.note("searches with no product found")
			u.found = append(u.found, u.b.pickup...)
		}
		u.buyStage = 1
	case 1:
		s.o.kind = "shop-product"
		u.product = u.found[u.r.IntN(len(u.found))]
		body := s.page("/shop/products/" + u.product)
		if s.failed() {
			return
		}
		u.cartForm = findForm(body, "/shop/cart")
		if u.cartForm == nil {
			s.rec.note("products sold out for the learner (search again)")
			u.buyStage = 0
			return
		}
		u.buyStage = 2
	case 2:
		s.o.kind = "cart-add"
		s.submit(u.cartForm, u.cartForm.values("qty", "1"), "/shop/cart")
		u.cartForm = nil
		u.buyStage = 3
		if s.failed() {
			u.buyStage = 0
		}
	case 3:
		s.o.kind = "checkout-form"
		u.checkout = checkoutPage(s)
		u.buyStage = 4
		if s.failed() {
			u.buyStage = 0
		}
	case 4:
		s.o.kind = "checkout"
		placeOrder(s, u.checkout)
		u.checkout = nil
		u.buyStage = 0
	}
}

// checkoutPage opens the checkout page and returns its form (with the order's key).
func checkoutPage(s *step) *form {
	body := s.page("/shop/checkout")
	if s.failed() {
		return nil
	}
	f := findForm(body, "/shop/checkout")
	if f == nil || f.hidden.Get("key") == "" {
		s.fail(200, false, "checkout page without its form")
	}
	return f
}

// placeOrder sends the checkout form as a person fills it: pickup at the centre the page
// chose (their own), cash on pickup.
func placeOrder(s *step, f *form) {
	if f == nil {
		s.fail(0, false, "no checkout form")
		return
	}
	_, centre := f.options("centre_id")
	s.submit(f, f.values("delivery", "pickup", "centre_id", centre, "address", "", "payment", "cash", "pin", "", "outcome", ""), "/shop/orders/")
}

// ---------------------------------------------------------------------------------------
// Partners: their villagers.

func partnerVillagers(s *step) {
	body := s.page("/partner/villagers")
	if !s.failed() {
		s.u.assist = findForm(body, "/partner/assists")
	}
}

func partnerNewVillager(s *step) { s.page("/partner/villagers/new") }

// partnerAssist records help given to one of the centre's villagers, with the form from the
// villagers page.
func partnerAssist(s *step) {
	u := s.u
	if u.assist == nil {
		s.o.kind = "partner-villagers"
		partnerVillagers(s)
		return
	}
	who, _ := u.assist.options("villager_id")
	kinds, _ := u.assist.options("kind")
	if len(who) == 0 || len(kinds) == 0 {
		s.fail(200, false, "assist form without villagers or kinds")
		return
	}
	f := u.assist
	u.assist = nil
	body := s.submit(f, f.values("villager_id", who[u.r.IntN(len(who))], "kind", kinds[u.r.IntN(len(kinds))], "note", "countyday"), "/partner/villagers")
	if !s.failed() {
		u.assist = findForm(body, "/partner/assists")
	}
}

// ---------------------------------------------------------------------------------------
// Coordinators: the overview with its drill-down, the matrix, alerts, difficult questions,
// one partner, exports.

func regionQuery(u *user) string {
	if u.region() == "" {
		return ""
	}
	return "?region=" + u.region()
}

// coordOverview opens the overview of the region the coordinator is in, then chooses where
// to go next: down into a township or village (more often than not), or back to the county.
func coordOverview(s *step) {
	u := s.u
	s.o.kind = [...]string{"coord-overview", "coord-township", "coord-village"}[min(len(u.path), 2)]
	body := s.page("/coord" + regionQuery(u))
	if s.failed() {
		u.path = nil
		return
	}
	u.seePartners(body)
	// The rows of the table link to the regions below this one.
	var kids []string
	for _, m := range reRegion.FindAllStringSubmatch(body, -1) {
		kids = append(kids, m[1])
	}
	if len(kids) > 0 && len(u.path) < 2 && u.r.IntN(10) < 6 {
		u.path = append(u.path, kids[u.r.IntN(len(kids))])
	} else {
		u.path = nil
	}
}

func coordPage(path string) func(*step) {
	return func(s *step) {
		body := s.page(path + regionQuery(s.u))
		s.u.seePartners(body)
	}
}

func coordPartner(s *step) {
	u := s.u
	if len(u.people) == 0 {
		s.o.kind = "coord-matrix"
		coordPage("/coord/matrix")(s)
		return
	}
	s.page("/coord/partners/" + u.people[u.r.IntN(len(u.people))])
}

var exportTables = []string{"overview", "alerts", "questions", "matrix"}

func coordExport(s *step) {
	u := s.u
	t := exportTables[u.table%len(exportTables)]
	u.table++
	s.o.kind = "coord-export-" + t
	q := url.Values{"table": {t}}
	if u.region() != "" {
		q.Set("region", u.region())
	}
	body := s.page("/coord/export.csv?" + q.Encode())
	if !s.failed() && !strings.Contains(body, ",") {
		s.fail(200, false, "export without CSV")
	}
}

// seePartners remembers the partner pages a coordinator page links to (at most 200).
func (u *user) seePartners(body string) {
	ms := rePartnerLink.FindAllStringSubmatch(body, 200)
	if len(ms) == 0 {
		return
	}
	u.people = u.people[:0]
	for _, m := range ms {
		u.people = append(u.people, m[1]+"?region="+m[2])
	}
}

// ---------------------------------------------------------------------------------------

// countyDayMix is DESIGN.md's county training day, in steps per thousand: 55 % reading
// (lessons, the catalogue, courses, home, the shop's pages), 20 % quiz answers, 10 %
// buying (search, product, add to cart, checkout page, place the order: the five steps of a
// purchase, in turn for each person), 10 % partner pages, 5 % coordinator pages.
func countyDayMix() []mixEntry {
	return []mixEntry{
		{"home", 50, "learner", nil, readHome},
		{"catalogue", 80, "learner", nil, readCatalogue},
		{"course", 80, "learner", nil, readCourse},
		{"lesson", 220, "learner", nil, readLesson},
		{"shop-home", 60, "learner", nil, readShopHome},
		{"product-view", 60, "learner", nil, readProduct},
		{"quiz-submit", 200, "learner", hasQuiz, submitQuiz},
		{"buy", 100, "learner", buying, buy},
		{"partner-villagers", 60, "partner", nil, partnerVillagers},
		{"partner-villager-new", 20, "partner", nil, partnerNewVillager},
		{"partner-assist", 20, "partner", nil, partnerAssist},
		{"coord-overview", 15, "coord", nil, coordOverview},
		{"coord-matrix", 8, "coord", nil, coordPage("/coord/matrix")},
		{"coord-alerts", 7, "coord", nil, coordPage("/coord/alerts")},
		{"coord-questions", 7, "coord", nil, coordPage("/coord/questions")},
		{"coord-partner", 8, "coord", nil, coordPartner},
		{"coord-export", 5, "coord", nil, coordExport},
	}
}

// sleepUntil waits for t or the end of ctx.
func sleepUntil(ctx context.Context, t time.Time) {
	select {
	case <-time.After(time.Until(t)):
	case <-ctx.Done():
	}
}

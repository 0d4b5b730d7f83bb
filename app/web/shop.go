package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/errs"
	"cunlu/app/sandbox"
)

const ctxShopper = "shopper"

// shopper is whose practice shop a request works in: the signed-in learner, or the
// villager a partner is helping in an assisted session on this browser.
type shopper struct {
	Owner    sandbox.Owner
	User     *account.User // the sandbox's owner
	Helper   *account.User // the partner, in an assisted session
	Wallet   *sandbox.Wallet
	SimNow   time.Time
	CartSize int
	Practice *practising // the task and lesson the learner came from, if any
}

// withShopper resolves the shopper for every /shop route.
func (s *Server) withShopper(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		u := currentUser(c)
		sh := &shopper{User: u}
		token, _ := c.Get(ctxToken).(string)
		v, err := s.accounts.Assisting(ctx, u, token)
		if err != nil {
			return err
		}
		if v != nil {
			sh.User, sh.Helper = v, u
			sh.Owner.AssistedBy = u.ID
		}
		sh.Owner.UserID = sh.User.ID
		if sh.User.CentreID != nil {
			sh.Owner.CentreID = *sh.User.CentreID
		}
		if sh.Wallet, err = s.shop.Wallet(ctx, sh.Owner); err != nil {
			return err
		}
		sh.SimNow = sh.Wallet.SimNow(time.Now())
		if sh.Practice = s.lessonReturn(c); sh.Practice != nil {
			who := sh.User.ID
			if sh.Helper != nil && strings.HasPrefix(sh.Practice.Task, "assist-") {
				who = sh.Helper.ID // the partner's own task, done while helping
			}
			if sh.Practice.Done, err = s.progress.TaskDone(ctx, who, sh.Practice.Task); err != nil {
				return err
			}
		}
		c.Set(ctxShopper, sh)
		return next(c)
	}
}

func shopperOf(c echo.Context) *shopper {
	sh, _ := c.Get(ctxShopper).(*shopper)
	return sh
}

// shopView wraps every shop page's data with the shopper, for the shop's header.
type shopView struct {
	Shopper *shopper
	Lang    string
	Data    any
}

func (s *Server) showShop(c echo.Context, name string, data any) error {
	return s.show(c, name, shopView{Shopper: shopperOf(c), Lang: s.langOf(c), Data: data})
}

func (s *Server) shopFormError(c echo.Context, name string, data any, err error) error {
	return s.showFormError(c, name, shopView{Shopper: shopperOf(c), Lang: s.langOf(c), Data: data}, err)
}

// afterChange redirects after a change in a sandbox (POST → redirect → GET). The practice
// tasks the change completed were recorded by the sandbox, in the change's transaction.
func (s *Server) afterChange(c echo.Context, to, flash string) error {
	return s.redirectFlash(c, to, flash)
}

type shopHomeView struct {
	Tasks      []taskRow
	Categories []string
	Outcomes   []string
}

// shopHome is GET /shop: the search box, categories, the open practice tasks with hints.
func (s *Server) shopHome(c echo.Context) error {
	ctx := c.Request().Context()
	sh := shopperOf(c)
	who := learnerOf(sh.User)
	snap, err := s.progress.Snapshot(ctx, who)
	if err != nil {
		return err
	}
	v := shopHomeView{Categories: sandbox.Categories, Outcomes: sandbox.Outcomes}
	for _, id := range snap.OpenTasks() {
		if _, ok := sandbox.Checkers[id]; ok {
			v.Tasks = append(v.Tasks, taskRow{ID: id, Practice: practiceURL(id, "")})
		}
	}
	return s.showShop(c, "shop_home", v)
}

type searchView struct {
	Query      sandbox.Query
	Hits       []sandbox.Hit
	Total      int64
	Categories []string
	Sorts      []string
	Yuan       struct{ Min, Max string }
	Prev, Next string
}

// shopSearch is GET /shop/search?q=&category=&min=&max=&pickup=1&rating=&sort=&page=.
func (s *Server) shopSearch(c echo.Context) error {
	v := searchView{Categories: sandbox.Categories, Sorts: []string{"", "price", "price_desc", "sales", "rating"}}
	q := sandbox.Query{Text: c.QueryParam("q"), Category: c.QueryParam("category"), Sort: c.QueryParam("sort"),
		PickupOnly: c.QueryParam("pickup") == "1", Page: int(queryUint(c, "page"))}
	v.Yuan.Min, v.Yuan.Max = c.QueryParam("min"), c.QueryParam("max")
	var err error
	if q.MinCents, err = parseYuan(v.Yuan.Min); err != nil {
		return s.shopFormError(c, "shop_search", v, err)
	}
	if q.MaxCents, err = parseYuan(v.Yuan.Max); err != nil {
		return s.shopFormError(c, "shop_search", v, err)
	}
	switch c.QueryParam("rating") {
	case "":
	case "45":
		q.MinRating = 45
	case "40":
		q.MinRating = 40
	default:
		v.Query = q
		return s.shopFormError(c, "shop_search", v, errBadFilter)
	}
	v.Query = q
	if v.Hits, v.Total, err = s.shop.Search(c.Request().Context(), shopperOf(c).Owner, q); err != nil {
		return s.shopFormError(c, "shop_search", v, err)
	}
	page := max(q.Page, 1)
	link := func(p int) string {
		u := *c.Request().URL
		qs := u.Query()
		qs.Set("page", fmt.Sprint(p))
		u.RawQuery = qs.Encode()
		return u.RequestURI()
	}
	if page > 1 {
		v.Prev = link(page - 1)
	}
	if int64(page*sandbox.PerPage) < v.Total {
		v.Next = link(page + 1)
	}
	return s.showShop(c, "shop_search", v)
}

// shopProduct is GET /shop/products/:id, and GET /shop/products/:id/compare.
func (s *Server) shopProduct(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	pp, err := s.shop.ProductPage(c.Request().Context(), shopperOf(c).Owner, id)
	if err != nil {
		return err
	}
	mine, err := s.shop.Reviews(c.Request().Context(), shopperOf(c).Owner, id)
	if err != nil {
		return err
	}
	page := "shop_product"
	if c.Path() == "/shop/products/:id/compare" {
		page = "shop_compare"
	}
	return s.showShop(c, page, productView{ProductPage: pp, Mine: mine})
}

type productView struct {
	*sandbox.ProductPage
	Mine []sandbox.LearnerReview
}

// cartAdd is POST /shop/cart (fields product_id, qty, from).
func (s *Server) cartAdd(c echo.Context) error {
	qty, err := formInt(c, "qty")
	if err != nil {
		return err
	}
	id := formUint(c, "product_id")
	if err := s.shop.AddToCart(c.Request().Context(), shopperOf(c).Owner, id, qty, c.FormValue("from") == "compare"); err != nil {
		return err
	}
	return s.afterChange(c, "/shop/cart", "flash.shop_added")
}

// cartUpdate is POST /shop/cart/:id (field qty; 0 removes the line).
func (s *Server) cartUpdate(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	qty, err := formInt(c, "qty")
	if err != nil {
		return err
	}
	if err := s.shop.SetCartQty(c.Request().Context(), shopperOf(c).Owner, id, qty); err != nil {
		return err
	}
	return s.redirectFlash(c, "/shop/cart", "flash.saved")
}

type cartView struct {
	Items  []sandbox.CartItem
	Totals sandbox.CartTotals
}

// shopCart is GET /shop/cart.
func (s *Server) shopCart(c echo.Context) error {
	items, err := s.shop.Cart(c.Request().Context(), shopperOf(c).Owner)
	if err != nil {
		return err
	}
	return s.showShop(c, "shop_cart", cartView{Items: items, Totals: sandbox.Totals(items, sandbox.DeliveryPickup)})
}

var errBadFilter = errs.Field("rating", "shop.error.filter")

// parseYuan reads an amount typed in yuan ("138", "9.9", "12.50") as cents; "" is 0.
func parseYuan(s string) (int64, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "¥"))
	if s == "" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" && frac == "" {
		return 0, errs.Field("price", "shop.error.price_range")
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(whole+"0", 10, 64) // "0" lets ".5" parse
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w/10 > 10_000_000 || w < 0 || f < 0 {
		return 0, errs.Field("price", "shop.error.price_range")
	}
	return w/10*100 + f, nil
}

// formInt reads a whole number from a form field; anything else is a clear 400.
func formInt(c echo.Context, name string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(c.FormValue(name)))
	if err != nil || n < -1_000_000 || n > 1_000_000 {
		return 0, errs.Field(name, "shop.error.qty").With("Max", sandbox.MaxQty)
	}
	return n, nil
}

// assisted is the villager being helped, or nil when the shopper shops for themself.
func (sh *shopper) assisted() *account.User {
	if sh.Helper == nil {
		return nil
	}
	return sh.User
}

package web

import (
	"fmt"
	"slices"
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

// Trainer reports whether this is a trainer's session, which may rehearse what goes wrong
// with the checkout's scenario codes (sandbox.Outcomes): a partner helping a villager in an
// assisted session, or a partner in their own shop, where partners rehearse before they
// teach. Coordinators have no practice shop, so a trainer here is always a partner. A
// villager on their own never sees the field, and a code they send anyway is ignored.
func (sh *shopper) Trainer() bool {
	return sh.Helper != nil || sh.User.Role == account.RolePartner
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
	Qty  string // the quantity typed into a refused "add to cart"
}

// cartAdd is POST /shop/cart (fields product_id, qty, from; from=undo puts back a line
// just removed).
func (s *Server) cartAdd(c echo.Context) error {
	ctx, o := c.Request().Context(), shopperOf(c).Owner
	id := formUint(c, "product_id")
	qty, err := formInt(c, "qty")
	if err == nil {
		err = s.shop.AddToCart(ctx, o, id, qty, c.FormValue("from") == "compare")
	}
	if err == nil {
		flash := "flash.shop_added"
		if c.FormValue("from") == "undo" {
			flash = "flash.shop_put_back"
		}
		return s.afterChange(c, "/shop/cart", flash)
	}
	// A quantity the shop refuses is said next to it on the product page, as typed.
	if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Conflict) {
		return err
	}
	pp, perr := s.shop.ProductPage(ctx, o, id)
	if perr != nil {
		return perr
	}
	mine, merr := s.shop.Reviews(ctx, o, id)
	if merr != nil {
		return merr
	}
	if e, ok := err.(*errs.Error); ok && e.Field == "" {
		err = &errs.Error{Code: e.Code, Key: e.Key, Args: e.Args, Field: "qty"}
	}
	return s.shopFormError(c, "shop_product", productView{ProductPage: pp, Mine: mine, Qty: c.FormValue("qty")}, err)
}

// cartUpdate is POST /shop/cart/:id (field qty, from the − and + buttons; 0 removes the
// line, and the cart then offers to undo that). Only the shopper's own cart lines exist
// here: another cart's product is NotFound. A quantity the stock or the limit refuses is
// shown on the cart, which is unchanged.
func (s *Server) cartUpdate(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	qty, err := formInt(c, "qty")
	if err == nil && qty == 0 {
		line, err := s.shop.RemoveFromCart(c.Request().Context(), shopperOf(c).Owner, id)
		if err != nil {
			return err
		}
		return s.redirectFlash(c, fmt.Sprintf("/shop/cart?removed=%d&qty=%d", id, line.Qty), "")
	}
	if err == nil {
		err = s.shop.SetCartQty(c.Request().Context(), shopperOf(c).Owner, id, qty)
	}
	if err != nil {
		v, verr := s.cartData(c)
		if verr != nil {
			return verr
		}
		return s.shopFormError(c, "shop_cart", v, err)
	}
	return s.redirectFlash(c, "/shop/cart", "")
}

type cartView struct {
	Items  []sandbox.CartItem
	Totals sandbox.CartTotals
	Max    int // sandbox.MaxQty: no + beyond it
	// Removed is the line just taken out (GET /shop/cart?removed=&qty=), to put back.
	Removed    *sandbox.Product
	RemovedQty int
}

func (s *Server) cartData(c echo.Context) (cartView, error) {
	items, err := s.shop.Cart(c.Request().Context(), shopperOf(c).Owner)
	return cartView{Items: items, Totals: sandbox.Totals(items, sandbox.DeliveryPickup), Max: sandbox.MaxQty}, err
}

// shopCart is GET /shop/cart?removed=&qty=: the lines with their pictures, − and + buttons,
// and after a removal "removed X · Undo", which adds the same quantity back (unless the
// product is in the cart again, or gone from the catalogue).
func (s *Server) shopCart(c echo.Context) error {
	v, err := s.cartData(c)
	if err != nil {
		return err
	}
	if id, qty := queryUint(c, "removed"), int(queryUint(c, "qty")); id != 0 && qty >= 1 && qty <= sandbox.MaxQty &&
		!slices.ContainsFunc(v.Items, func(it sandbox.CartItem) bool { return it.ProductID == id }) {
		if p, err := s.shop.Product(c.Request().Context(), id); err == nil {
			v.Removed, v.RemovedQty = p, qty
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
	}
	return s.showShop(c, "shop_cart", v)
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

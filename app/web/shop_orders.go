package web

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/errs"
	"cunlu/app/sandbox"
)

type checkoutView struct {
	Items   []sandbox.CartItem
	Pickup  sandbox.CartTotals
	Home    sandbox.CartTotals
	Centres []account.Centre
	Form    sandbox.CheckoutForm
	Wallet  *sandbox.Wallet
	Trainer bool // the scenario-code field shows (shopper.Trainer)
}

func (s *Server) checkoutData(c echo.Context, f sandbox.CheckoutForm) (*checkoutView, error) {
	ctx := c.Request().Context()
	sh := shopperOf(c)
	items, err := s.shop.Cart(ctx, sh.Owner)
	if err != nil {
		return nil, err
	}
	centres, err := s.accounts.Centres(ctx)
	if err != nil {
		return nil, err
	}
	if f.CentreID == 0 {
		f.CentreID = sh.Owner.CentreID
	}
	pickup := sandbox.Totals(items, sandbox.DeliveryPickup)
	if f.Delivery == "" {
		f.Delivery, f.Payment = checkoutDefaults(pickup.PickupOK, sh.Wallet.HasPIN())
	}
	f.PIN = ""
	return &checkoutView{Items: items, Pickup: pickup, Home: sandbox.Totals(items, sandbox.DeliveryHome),
		Centres: centres, Form: f, Wallet: sh.Wallet, Trainer: sh.Trainer()}, nil
}

// checkoutDefaults are the choices a fresh checkout page starts with: only ones that can
// work. Pickup when every item can be picked up, else home delivery; the wallet once it has
// a payment PIN, else cash on pickup; with neither (home delivery, no PIN yet) no payment is
// chosen, and the wallet option says that a PIN must be set first.
func checkoutDefaults(pickupOK, hasPIN bool) (delivery, payment string) {
	delivery = sandbox.DeliveryHome
	if pickupOK {
		delivery = sandbox.DeliveryPickup
	}
	switch {
	case hasPIN:
		payment = sandbox.PaymentWallet
	case pickupOK:
		payment = sandbox.PaymentCash
	}
	return delivery, payment
}

// shopCheckoutShow is GET /shop/checkout: delivery (pickup at a centre, the learner's own
// by default, or home), payment (wallet with PIN, or cash on pickup), practice code.
func (s *Server) shopCheckoutShow(c echo.Context) error {
	v, err := s.checkoutData(c, sandbox.CheckoutForm{Key: rand.Text()})
	if err != nil {
		return err
	}
	if len(v.Items) == 0 {
		return s.redirectFlash(c, "/shop/cart", "")
	}
	return s.showShop(c, "shop_checkout", v)
}

// shopCheckout is POST /shop/checkout (fields key, delivery, centre_id, address, payment,
// pin, outcome).
func (s *Server) shopCheckout(c echo.Context) error {
	f := sandbox.CheckoutForm{Key: c.FormValue("key"), Delivery: c.FormValue("delivery"), CentreID: formUint(c, "centre_id"),
		Address: c.FormValue("address"), Payment: c.FormValue("payment"), PIN: c.FormValue("pin"), Outcome: c.FormValue("outcome")}
	if !shopperOf(c).Trainer() {
		f.Outcome = "" // the field is not shown outside a trainer's session
	}
	ctx := c.Request().Context()
	ord, err := s.shop.Checkout(ctx, shopperOf(c).Owner, f, s.accounts.CentreExists)
	if err != nil {
		v, verr := s.checkoutData(c, f)
		if verr != nil {
			return verr
		}
		return s.shopFormError(c, "shop_checkout", v, err)
	}
	return s.afterChange(c, fmt.Sprintf("/shop/orders/%d", ord.ID), "flash.shop_ordered")
}

type ordersView struct {
	Orders []sandbox.Order
}

// shopOrders is GET /shop/orders.
func (s *Server) shopOrders(c echo.Context) error {
	orders, _, err := s.shop.Orders(c.Request().Context(), shopperOf(c).Owner)
	if err != nil {
		return err
	}
	return s.showShop(c, "shop_orders", ordersView{Orders: orders})
}

type orderView struct {
	Order   *sandbox.Order
	Stage   sandbox.Stage // reached on the practice clock: stages up to it show their times
	Next    sandbox.Stage // the one after it, shown greyed as "next", without a time
	Stages  []sandbox.Stage
	Centre  *account.Centre
	Reasons []string
	Reviews map[uint]bool // products already reviewed
	Form    orderForm     // what was typed into a form the page refused
}

// orderForm is what a learner types into the order page's forms.
type orderForm struct {
	Code      string // pickup code
	Reason    string // return reason
	Note      string // return note
	ProductID uint   // the product reviewed
	Stars     string // its stars
	Text      string // the review
}

// shopOrder is GET /shop/orders/:id: tracking timeline, pickup code, after-sales, reviews.
func (s *Server) shopOrder(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	v, err := s.orderData(c, id)
	if err != nil {
		return err
	}
	return s.showShop(c, "shop_order", v)
}

func (s *Server) orderData(c echo.Context, id uint) (orderView, error) {
	ctx := c.Request().Context()
	sh := shopperOf(c)
	ord, now, err := s.shop.Order(ctx, sh.Owner, id)
	if err != nil {
		return orderView{}, err
	}
	v := orderView{Order: ord, Stage: ord.StageAt(now), Stages: sandbox.Stages, Reasons: sandbox.ReturnReasons, Reviews: map[uint]bool{}}
	v.Next = v.Stage + 1
	if ord.CentreID != nil {
		if v.Centre, err = s.accounts.Centre(ctx, *ord.CentreID); err != nil {
			return v, err
		}
	}
	for _, it := range ord.Items {
		mine, err := s.shop.Reviews(ctx, sh.Owner, it.ProductID)
		if err != nil {
			return v, err
		}
		for _, r := range mine {
			if r.OrderID == ord.ID {
				v.Reviews[it.ProductID] = true
			}
		}
	}
	return v, nil
}

// orderAction does a POST of the order page; a form it refuses is shown again on the page
// with what was typed.
func (s *Server) orderAction(c echo.Context, act func(id uint) error, flash string) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if err := act(id); err != nil {
		// Bad input, and a step the order's state no longer allows (a second tap on "pick
		// up"), are said on the order page itself, not on an error page.
		if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Conflict) {
			return err
		}
		v, verr := s.orderData(c, id)
		if verr != nil {
			return verr
		}
		v.Form = orderForm{Code: c.FormValue("code"), Reason: c.FormValue("reason"), Note: c.FormValue("note"),
			ProductID: formUint(c, "product_id"), Stars: c.FormValue("stars"), Text: c.FormValue("text")}
		return s.shopFormError(c, "shop_order", v, err)
	}
	return s.afterChange(c, fmt.Sprintf("/shop/orders/%d", id), flash)
}

// shopForward is POST /shop/orders/:id/forward: move the simulated clock to the order's next step.
func (s *Server) shopForward(c echo.Context) error {
	return s.orderAction(c, func(id uint) error {
		return s.shop.FastForward(c.Request().Context(), shopperOf(c).Owner, id)
	}, "")
}

// shopPickup is POST /shop/orders/:id/pickup (field code).
func (s *Server) shopPickup(c echo.Context) error {
	return s.orderAction(c, func(id uint) error {
		return s.shop.PickUp(c.Request().Context(), shopperOf(c).Owner, id, c.FormValue("code"))
	}, "flash.shop_picked_up")
}

// shopReturn is POST /shop/orders/:id/return (fields reason, note).
func (s *Server) shopReturn(c echo.Context) error {
	return s.orderAction(c, func(id uint) error {
		return s.shop.RequestReturn(c.Request().Context(), shopperOf(c).Owner, id, c.FormValue("reason"), c.FormValue("note"))
	}, "flash.shop_return")
}

// shopReview is POST /shop/orders/:id/review (fields product_id, stars, text). Stars
// missing or not a number read as 0, which the sandbox refuses next to the stars.
func (s *Server) shopReview(c echo.Context) error {
	return s.orderAction(c, func(id uint) error {
		stars, err := strconv.Atoi(strings.TrimSpace(c.FormValue("stars")))
		if err != nil {
			return errs.Field("stars", "shop.error.stars")
		}
		return s.shop.WriteReview(c.Request().Context(), shopperOf(c).Owner, id, formUint(c, "product_id"), stars, c.FormValue("text"))
	}, "flash.shop_reviewed")
}

type walletView struct {
	Ledger []sandbox.LedgerEntry
	Back   string // a page of this site to return to once the PIN is set (the checkout)
}

// shopWallet is GET /shop/wallet?back=: balance, history, payment PIN.
func (s *Server) shopWallet(c echo.Context) error {
	l, err := s.shop.ReadLedger(c.Request().Context(), shopperOf(c).Owner)
	if err != nil {
		return err
	}
	return s.showShop(c, "shop_wallet", walletView{Ledger: l, Back: safeBack(c.QueryParam("back"))})
}

// safeBack is a page to return to after a form: a path on this site as safeNext checks it,
// else "" (and the form goes where it would without one, not to the home page).
func safeBack(back string) string {
	if back == "" || safeNext(back) != back {
		return ""
	}
	return back
}

// shopPIN is POST /shop/wallet/pin (fields current, pin, confirm, back). Once the PIN is
// set it returns to back, a path on this site checked as sign-in's next is (the checkout
// sends people here with back=/shop/checkout), else to the wallet.
func (s *Server) shopPIN(c echo.Context) error {
	back := safeBack(c.FormValue("back"))
	var err error = errPINMismatch
	if pin := c.FormValue("pin"); pin == c.FormValue("confirm") {
		err = s.shop.SetPIN(c.Request().Context(), shopperOf(c).Owner, c.FormValue("current"), pin, account.CheckPIN)
	}
	if err != nil {
		l, lerr := s.shop.Ledger(c.Request().Context(), shopperOf(c).Owner)
		if lerr != nil {
			return lerr
		}
		return s.shopFormError(c, "shop_wallet", walletView{Ledger: l, Back: back}, err)
	}
	if back == "" {
		back = "/shop/wallet"
	}
	return s.afterChange(c, back, "flash.shop_pin_set")
}

// shopReset is POST /shop/reset (field confirm=yes): the sandbox back to its start.
func (s *Server) shopReset(c echo.Context) error {
	if c.FormValue("confirm") != "yes" {
		return errResetConfirm
	}
	if err := s.shop.Reset(c.Request().Context(), shopperOf(c).Owner); err != nil {
		return err
	}
	return s.redirectFlash(c, "/shop", "flash.shop_reset")
}

// shopHelp is GET /shop/help: how the practice shop works, and the trainers' outcome codes.
func (s *Server) shopHelp(c echo.Context) error {
	return s.showShop(c, "shop_help", sandbox.Outcomes)
}

type assistView struct {
	Villagers []account.User
}

// shopAssistShow is GET /shop/assist: a partner picks a villager of their centre to help.
func (s *Server) shopAssistShow(c echo.Context) error {
	u := currentUser(c)
	if u.CentreID == nil {
		return errForbidden
	}
	vs, err := s.accounts.VillagersOf(c.Request().Context(), u, *u.CentreID)
	if err != nil {
		return err
	}
	return s.showShop(c, "shop_assist", assistView{Villagers: vs})
}

// shopAssistStart is POST /shop/assist (field villager_id): the shop on this browser now
// works in that villager's own sandbox, until ended.
func (s *Server) shopAssistStart(c echo.Context) error {
	token, _ := c.Get(ctxToken).(string)
	if err := s.accounts.StartAssist(c.Request().Context(), currentUser(c), token, formUint(c, "villager_id")); err != nil {
		return err
	}
	return s.redirectFlash(c, "/shop", "flash.shop_assist_started")
}

// shopAssistEnd is POST /shop/assist/end.
func (s *Server) shopAssistEnd(c echo.Context) error {
	token, _ := c.Get(ctxToken).(string)
	if err := s.accounts.EndAssist(c.Request().Context(), token); err != nil {
		return err
	}
	return s.redirectFlash(c, "/shop", "flash.shop_assist_ended")
}

var (
	errPINMismatch  = errs.Field("confirm", "shop.error.pin_mismatch")
	errResetConfirm = errs.Field("confirm", "shop.error.reset_confirm")
)

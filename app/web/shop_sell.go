package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/errs"
	"cunlu/app/sandbox"
)

type sellView struct {
	Shop     *sandbox.SellShop
	Centres  []account.Centre
	Listings []listingRow
	Sales    []sandbox.SellOrder
	Open     int // sales waiting for the seller
	Unread   int // questions without an answer
	Form     sandbox.ShopForm
}

type listingRow struct {
	sandbox.Listing
	Score int
	Tips  []string
}

func rows(ls []sandbox.Listing) []listingRow {
	out := make([]listingRow, len(ls))
	for i, l := range ls {
		out[i].Listing = l
		out[i].Score, out[i].Tips = l.Quality()
	}
	return out
}

func (s *Server) sellData(c echo.Context) (*sellView, error) {
	ctx := c.Request().Context()
	o := shopperOf(c).Owner
	v := &sellView{}
	var err error
	if v.Shop, err = s.shop.Shop(ctx, o); err != nil {
		return nil, err
	}
	if v.Centres, err = s.accounts.Centres(ctx); err != nil {
		return nil, err
	}
	v.Form.CentreID = o.CentreID
	if v.Shop == nil {
		return v, nil
	}
	v.Form = sandbox.ShopForm{Name: v.Shop.Name, Description: v.Shop.Description, CentreID: v.Shop.CentreID}
	ls, err := s.shop.Listings(ctx, o)
	if err != nil {
		return nil, err
	}
	v.Listings = rows(ls)
	if v.Sales, err = s.shop.SellOrders(ctx, o); err != nil {
		return nil, err
	}
	for _, so := range v.Sales {
		if so.Status == sandbox.SellNew || so.Status == sandbox.SellAccepted || so.Status == sandbox.SellPacked || so.Status == sandbox.SellReturn {
			v.Open++
		}
	}
	msgs, err := s.shop.Messages(ctx, o)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if m.RepliedAt == nil {
			v.Unread++
		}
	}
	return v, nil
}

// sellHome is GET /shop/sell: open a practice shop, or see its listings and sales.
func (s *Server) sellHome(c echo.Context) error {
	v, err := s.sellData(c)
	if err != nil {
		return err
	}
	return s.showShop(c, "sell", v)
}

// sellOpen is POST /shop/sell/shop (fields name, description, centre_id).
func (s *Server) sellOpen(c echo.Context) error {
	f := sandbox.ShopForm{Name: c.FormValue("name"), Description: c.FormValue("description"), CentreID: formUint(c, "centre_id")}
	if err := s.shop.OpenShop(c.Request().Context(), shopperOf(c).Owner, f, s.accounts.CentreExists); err != nil {
		v, verr := s.sellData(c)
		if verr != nil {
			return verr
		}
		v.Form = f
		return s.shopFormError(c, "sell", v, err)
	}
	return s.afterChange(c, "/shop/sell", "flash.saved")
}

type listingView struct {
	Listing *sandbox.Listing
	Form    listingForm
	Score   int
	Tips    []string
	// PhotoAgain: a photo was chosen but the listing was refused. A browser cannot fill a
	// file field again, so the page says next to it that the photo must be chosen again.
	PhotoAgain bool
}

// listingForm keeps what was typed (prices as typed, in yuan) to show it again.
type listingForm struct {
	Title, Description, Price, Shipping, Stock string
	Cost, Postage                              string // optional, for working out the price
}

// sellListingNew is GET /shop/sell/listings/new.
func (s *Server) sellListingNew(c echo.Context) error {
	return s.showShop(c, "sell_listing", listingView{Form: listingForm{Stock: "10", Shipping: "0"}})
}

// sellListingEdit is GET /shop/sell/listings/:id.
func (s *Server) sellListingEdit(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	l, err := s.shop.Listing(c.Request().Context(), shopperOf(c).Owner, id)
	if err != nil {
		return err
	}
	v := listingView{Listing: l, Form: listingForm{Title: l.Title, Description: l.Description,
		Price: yuanInput(l.PriceCents), Shipping: yuanInput(l.ShippingCents), Stock: strconv.Itoa(l.Stock)}}
	if l.CostCents > 0 {
		v.Form.Cost = yuanInput(l.CostCents)
	}
	if l.PostageCents > 0 {
		v.Form.Postage = yuanInput(l.PostageCents)
	}
	v.Score, v.Tips = l.Quality()
	return s.showShop(c, "sell_listing", v)
}

func yuanInput(cents int64) string {
	if cents%100 == 0 {
		return strconv.FormatInt(cents/100, 10)
	}
	return fmt.Sprintf("%d.%02d", cents/100, cents%100)
}

// sellListingSave is POST /shop/sell/listings and POST /shop/sell/listings/:id (multipart:
// title, description, cost, postage, price, shipping, stock, photo). The photo is checked to be an image,
// resized, re-encoded and stored with the listing, once the typed fields are good.
func (s *Server) sellListingSave(c echo.Context) error {
	ctx := c.Request().Context()
	o := shopperOf(c).Owner
	var id uint
	if c.Param("id") != "" {
		var err error
		if id, err = paramID(c); err != nil {
			return err
		}
	}
	typed := listingForm{Title: c.FormValue("title"), Description: c.FormValue("description"), Price: c.FormValue("price"),
		Shipping: c.FormValue("shipping"), Stock: c.FormValue("stock"), Cost: c.FormValue("cost"), Postage: c.FormValue("postage")}
	v := listingView{Form: typed}
	if id != 0 {
		l, err := s.shop.Listing(ctx, o, id)
		if err != nil {
			return err
		}
		v.Listing = l
	}
	fh, ferr := c.FormFile("photo")
	v.PhotoAgain = ferr == nil && fh.Size > 0
	fail := func(err error) error { return s.shopFormError(c, "sell_listing", v, err) }
	f := sandbox.ListingForm{Title: typed.Title, Description: typed.Description}
	var err error
	if f.PriceCents, err = parseYuan(typed.Price); err != nil || f.PriceCents == 0 {
		return fail(errs.Field("price", "sell.error.price"))
	}
	if f.ShippingCents, err = parseYuan(typed.Shipping); err != nil {
		return fail(errs.Field("shipping", "sell.error.shipping"))
	}
	if f.CostCents, err = parseYuan(typed.Cost); err != nil {
		return fail(errs.Field("cost", "sell.error.cost"))
	}
	if f.PostageCents, err = parseYuan(typed.Postage); err != nil {
		return fail(errs.Field("postage", "sell.error.postage"))
	}
	if f.Stock, err = strconv.Atoi(strings.TrimSpace(typed.Stock)); err != nil {
		return fail(errs.Field("stock", "sell.error.stock"))
	}
	if ferr == nil {
		file, err := fh.Open()
		if err != nil {
			return fail(errs.Field("photo", "sell.error.photo_unreadable"))
		}
		defer file.Close()
		f.Photo = file
	} else if !errors.Is(ferr, http.ErrMissingFile) {
		return fail(errs.Field("photo", "sell.error.photo_unreadable"))
	}
	l, err := s.shop.SaveListing(ctx, o, id, f)
	if err != nil {
		return fail(err)
	}
	return s.afterChange(c, fmt.Sprintf("/shop/sell/listings/%d", l.ID), "flash.saved")
}

// sellListingPause is POST /shop/sell/listings/:id/pause (field paused = 1 or 0).
func (s *Server) sellListingPause(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if err := s.shop.SetPaused(c.Request().Context(), shopperOf(c).Owner, id, c.FormValue("paused") == "1"); err != nil {
		return err
	}
	return s.redirectFlash(c, "/shop/sell", "flash.saved")
}

// sellPhoto is GET /shop/sell/photos/:id: a product photo, for its owner's pages only.
func (s *Server) sellPhoto(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	p, err := s.shop.Photo(c.Request().Context(), shopperOf(c).Owner, id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=86400")
	return c.Blob(http.StatusOK, "image/jpeg", p.Data)
}

// sellWait is POST /shop/sell/wait: six simulated hours pass; buyers come.
func (s *Server) sellWait(c echo.Context) error {
	if err := s.shop.WaitForBuyers(c.Request().Context(), shopperOf(c).Owner); err != nil {
		return err
	}
	return s.afterChange(c, "/shop/sell/orders", "flash.sell_waited")
}

type salesView struct {
	Sales    []sandbox.SellOrder
	Refused  uint   // the sale whose step was refused
	Tracking string // the tracking number typed there
}

// sellOrders is GET /shop/sell/orders.
func (s *Server) sellOrders(c echo.Context) error {
	sales, err := s.shop.SellOrders(c.Request().Context(), shopperOf(c).Owner)
	if err != nil {
		return err
	}
	return s.showShop(c, "sell_orders", salesView{Sales: sales})
}

// sellOrderAct is POST /shop/sell/orders/:id (fields action = accept, pack, ship, refund or
// refuse; tracking for ship).
func (s *Server) sellOrderAct(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if err := s.shop.AdvanceSale(c.Request().Context(), shopperOf(c).Owner, id, c.FormValue("action"), c.FormValue("tracking")); err != nil {
		if errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict) {
			sales, lerr := s.shop.SellOrders(c.Request().Context(), shopperOf(c).Owner)
			if lerr != nil {
				return lerr
			}
			return s.shopFormError(c, "sell_orders", salesView{Sales: sales, Refused: id, Tracking: c.FormValue("tracking")}, err)
		}
		return err
	}
	return s.afterChange(c, "/shop/sell/orders", "flash.saved")
}

type messagesView struct {
	Messages []sandbox.SellMessage
	ReplyTo  uint   // the message whose reply was refused
	Reply    string // the refused reply, as typed
}

// sellMessages is GET /shop/sell/messages: buyers' questions.
func (s *Server) sellMessages(c echo.Context) error {
	ms, err := s.shop.Messages(c.Request().Context(), shopperOf(c).Owner)
	if err != nil {
		return err
	}
	return s.showShop(c, "sell_messages", messagesView{Messages: ms})
}

// sellReply is POST /shop/sell/messages/:id (field reply).
func (s *Server) sellReply(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if err := s.shop.Reply(c.Request().Context(), shopperOf(c).Owner, id, c.FormValue("reply")); err != nil {
		if errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict) {
			ms, lerr := s.shop.Messages(c.Request().Context(), shopperOf(c).Owner)
			if lerr != nil {
				return lerr
			}
			return s.shopFormError(c, "sell_messages", messagesView{Messages: ms, ReplyTo: id, Reply: c.FormValue("reply")}, err)
		}
		return err
	}
	return s.afterChange(c, "/shop/sell/messages", "flash.sell_replied")
}

// sellStatement is GET /shop/sell/statement: earnings and fees.
func (s *Server) sellStatement(c echo.Context) error {
	st, err := s.shop.Statement(c.Request().Context(), shopperOf(c).Owner)
	if err != nil {
		return err
	}
	return s.showShop(c, "sell_statement", st)
}

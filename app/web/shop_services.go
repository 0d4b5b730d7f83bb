package web

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"cunlu/app/errs"
	"cunlu/app/sandbox"
)

type billsView struct {
	Kinds   []string
	TopUps  []int64
	Kind    string
	Account string
	Bill    *sandbox.Bill // after a successful look-up: ready to pay
	History []sandbox.BillPayment
}

func (s *Server) billsData(c echo.Context, kind, account string) (*billsView, error) {
	h, err := s.shop.Bills(c.Request().Context(), shopperOf(c).Owner)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(sandbox.BillKinds, kind) {
		// An unknown kind typed into a hand-made request shows the electricity form.
		kind = sandbox.BillElectricity
	}
	return &billsView{Kinds: sandbox.BillKinds, TopUps: sandbox.TopUps, Kind: kind, Account: account, History: h}, nil
}

// bills is GET /shop/bills: pay electricity and water, top up phones; the history.
func (s *Server) bills(c echo.Context) error {
	v, err := s.billsData(c, c.QueryParam("kind"), "")
	if err != nil {
		return err
	}
	return s.showShop(c, "bills", v)
}

// billLookup is POST /shop/bills/lookup (fields kind, account): ask the utility whose
// account it is and what is due, before paying. A wrong number is caught here.
func (s *Server) billLookup(c echo.Context) error {
	kind, account := c.FormValue("kind"), strings.ReplaceAll(strings.TrimSpace(c.FormValue("account")), " ", "")
	v, err := s.billsData(c, kind, account)
	if err != nil {
		return err
	}
	bill, err := sandbox.LookUpBill(kind, account)
	if err != nil {
		return s.shopFormError(c, "bills", v, err)
	}
	v.Bill = bill
	return s.showShop(c, "bills", v)
}

// billPay is POST /shop/bills (fields kind, account, confirm, amount, pin).
func (s *Server) billPay(c echo.Context) error {
	f := sandbox.BillForm{Kind: c.FormValue("kind"), Account: c.FormValue("account"), Confirm: c.FormValue("confirm"), PIN: c.FormValue("pin")}
	var err error
	if f.AmountCents, err = parseYuan(c.FormValue("amount")); err != nil {
		f.AmountCents = -1
	}
	p, err := s.shop.PayBill(c.Request().Context(), shopperOf(c).Owner, f)
	if err != nil {
		v, verr := s.billsData(c, f.Kind, f.Account)
		if verr != nil {
			return verr
		}
		if b, lerr := sandbox.LookUpBill(f.Kind, strings.ReplaceAll(strings.TrimSpace(f.Account), " ", "")); lerr == nil {
			v.Bill = b
		}
		return s.shopFormError(c, "bills", v, err)
	}
	return s.afterChange(c, fmt.Sprintf("/shop/bills/%d", p.ID), "flash.bill_paid")
}

// billReceipt is GET /shop/bills/:id.
func (s *Server) billReceipt(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	p, err := s.shop.BillPayment(c.Request().Context(), shopperOf(c).Owner, id)
	if err != nil {
		return err
	}
	return s.showShop(c, "bill_receipt", p)
}

type travelView struct {
	Cities   []*sandbox.Station
	From, To string
	Day      string
	Days     []string
	Trips    []*sandbox.Trip
	Searched bool
}

// bookingDays lists the days tickets can be booked for, on the learner's calendar.
func bookingDays(now time.Time) []string {
	out := make([]string, sandbox.BookingDays)
	for i := range out {
		out[i] = now.AddDate(0, 0, i+1).Format("2006-01-02")
	}
	return out
}

// travel is GET /shop/travel?from=&to=&day=: search buses and trains.
func (s *Server) travel(c echo.Context) error {
	tt := s.shop.Timetable
	sh := shopperOf(c)
	v := travelView{Cities: tt.Cities(), From: c.QueryParam("from"), To: c.QueryParam("to"), Day: c.QueryParam("day"), Days: bookingDays(sh.SimNow)}
	if v.From == "" {
		v.From = v.Cities[0].CityZh
	}
	if v.Day == "" {
		v.Day = v.Days[0]
	}
	if c.QueryParam("to") != "" {
		if !slices.Contains(v.Days, v.Day) {
			return s.shopFormError(c, "travel", v, errs.Field("day", "travel.error.day"))
		}
		v.Searched, v.Trips = true, tt.Search(v.From, v.To)
	}
	return s.showShop(c, "travel", v)
}

type tripView struct {
	Trip  *sandbox.Trip
	Day   string
	Class string
	Seats []string
	Form  sandbox.BookingForm
}

func (s *Server) tripData(c echo.Context, f sandbox.BookingForm) (*tripView, error) {
	tr := s.shop.Timetable.Trip(f.TripID)
	if tr == nil {
		return nil, errNotFound
	}
	if tr.Class(f.Class) == nil {
		f.Class = tr.Classes[0].Class
	}
	seats, err := s.shop.FreeSeats(c.Request().Context(), shopperOf(c).Owner, tr, f.Day, f.Class)
	if err != nil {
		return nil, err
	}
	f.PIN, f.IDNumber = "", ""
	return &tripView{Trip: tr, Day: f.Day, Class: f.Class, Seats: seats, Form: f}, nil
}

// travelTrip is GET /shop/travel/trips/:trip?day=&class=: choose a seat and enter the passenger.
func (s *Server) travelTrip(c echo.Context) error {
	day := c.QueryParam("day")
	if !slices.Contains(bookingDays(shopperOf(c).SimNow), day) {
		return errs.Field("day", "travel.error.day")
	}
	v, err := s.tripData(c, sandbox.BookingForm{TripID: c.Param("trip"), Day: day, Class: c.QueryParam("class")})
	if err != nil {
		return err
	}
	return s.showShop(c, "travel_trip", v)
}

// travelBook is POST /shop/travel/tickets (fields trip, day, class, seat, passenger,
// id_number, pin).
func (s *Server) travelBook(c echo.Context) error {
	f := sandbox.BookingForm{TripID: c.FormValue("trip"), Day: c.FormValue("day"), Class: c.FormValue("class"), Seat: c.FormValue("seat"),
		Passenger: c.FormValue("passenger"), IDNumber: c.FormValue("id_number"), PIN: c.FormValue("pin")}
	if _, err := s.shop.Book(c.Request().Context(), shopperOf(c).Owner, s.shop.Timetable, f); err != nil {
		if errs.Is(err, errs.NotFound) {
			return err
		}
		v, verr := s.tripData(c, f)
		if verr != nil {
			return verr
		}
		return s.shopFormError(c, "travel_trip", v, err)
	}
	return s.afterChange(c, "/shop/travel/tickets", "flash.ticket_booked")
}

type ticketRow struct {
	sandbox.Ticket
	Trip     *sandbox.Trip
	Departed bool
	Fee      int64 // the fee a refund would keep now
}

// travelTickets is GET /shop/travel/tickets.
func (s *Server) travelTickets(c echo.Context) error {
	rows, err := s.ticketRows(c)
	if err != nil {
		return err
	}
	return s.showShop(c, "travel_tickets", rows)
}

func (s *Server) ticketRows(c echo.Context) ([]ticketRow, error) {
	ts, err := s.shop.Tickets(c.Request().Context(), shopperOf(c).Owner)
	if err != nil {
		return nil, err
	}
	now := shopperOf(c).SimNow
	rows := make([]ticketRow, 0, len(ts))
	for _, t := range ts {
		r := ticketRow{Ticket: t, Trip: s.shop.Timetable.Trip(t.TripID)}
		if r.Trip != nil {
			if dep, err := r.Trip.Departure(t.Day); err == nil {
				fee, ok := sandbox.RefundFee(t.PriceCents, now, dep)
				r.Fee, r.Departed = fee, !ok
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// travelRefund is POST /shop/travel/tickets/:id/refund.
func (s *Server) travelRefund(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if err := s.shop.Refund(c.Request().Context(), shopperOf(c).Owner, s.shop.Timetable, id); err != nil {
		if !errs.Is(err, errs.Conflict) && !errs.Is(err, errs.Invalid) {
			return err
		}
		// Already refunded, or the train has left: said on the tickets page.
		rows, rerr := s.ticketRows(c)
		if rerr != nil {
			return rerr
		}
		return s.shopFormError(c, "travel_tickets", rows, err)
	}
	return s.afterChange(c, "/shop/travel/tickets", "flash.ticket_refunded")
}

type inboxRow struct {
	Message  sandbox.ScamMessage
	Scenario *sandbox.Scenario
}

// inbox is GET /shop/inbox: calls, texts and chats that arrived, scams among them.
func (s *Server) inbox(c echo.Context) error {
	ms, err := s.shop.Inbox(c.Request().Context(), shopperOf(c).Owner, s.shop.Scenarios)
	if err != nil {
		return err
	}
	rows := make([]inboxRow, 0, len(ms))
	for _, m := range ms {
		if sc := s.shop.Scenarios.Get(m.Scenario); sc != nil {
			rows = append(rows, inboxRow{Message: m, Scenario: sc})
		}
	}
	return s.showShop(c, "inbox", rows)
}

type messageView struct {
	Message  *sandbox.ScamMessage
	Scenario *sandbox.Scenario
	Reasons  []string
	Reason   string // the reason given, right after reporting
}

// inboxMessage is GET /shop/inbox/:id: the message, what to do, and afterwards what it was.
func (s *Server) inboxMessage(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	m, err := s.shop.ScamMessage(c.Request().Context(), shopperOf(c).Owner, id)
	if err != nil {
		return err
	}
	sc := s.shop.Scenarios.Get(m.Scenario)
	if sc == nil {
		return errNotFound
	}
	return s.showShop(c, "inbox_message", messageView{Message: m, Scenario: sc, Reasons: sandbox.ReportReasons, Reason: c.QueryParam("reason")})
}

// inboxAct is POST /shop/inbox/:id (fields action = reported, blocked, fell or kept; reason).
func (s *Server) inboxAct(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	reason := c.FormValue("reason")
	ctx, o := c.Request().Context(), shopperOf(c).Owner
	m, err := s.shop.Act(ctx, o, s.shop.Scenarios, id, c.FormValue("action"), reason)
	if errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict) {
		// Said on the message itself (a report without a reason, a second tap).
		m, merr := s.shop.ScamMessage(ctx, o, id)
		if merr != nil {
			return merr
		}
		sc := s.shop.Scenarios.Get(m.Scenario)
		if sc == nil {
			return errNotFound
		}
		return s.shopFormError(c, "inbox_message", messageView{Message: m, Scenario: sc, Reasons: sandbox.ReportReasons}, err)
	}
	if err != nil {
		return err
	}
	return s.afterChange(c, fmt.Sprintf("/shop/inbox/%d?reason=%s#outcome", m.ID, safeReason(reason)), "")
}

func safeReason(r string) string {
	if slices.Contains(sandbox.ReportReasons, r) {
		return r
	}
	return ""
}

// listingScam is POST /shop/products/:id/scam (fields action = reported or fell; reason): a
// learner reports a too-good-to-be-true listing, or tries to buy it and sees what happens.
func (s *Server) listingScam(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	action, reason := c.FormValue("action"), c.FormValue("reason")
	if action != sandbox.ActReport && action != sandbox.ActFall {
		return errs.Field("action", "error.bad_request")
	}
	m, err := s.shop.ActOnListing(c.Request().Context(), shopperOf(c).Owner, s.shop.Scenarios, id, action, reason)
	if err != nil {
		return err
	}
	return s.afterChange(c, fmt.Sprintf("/shop/inbox/%d?reason=%s#outcome", m.ID, safeReason(reason)), "")
}

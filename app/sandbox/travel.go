package sandbox

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"cunlu/app/errs"
	"cunlu/app/textcheck"
)

//go:embed data/travel.json
var travelJSON []byte

// Station is a bus or railway station.
type Station struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	CityZh string `json:"city_zh"`
	CityEn string `json:"city_en"`
}

// Name is the station's name in lang.
func (st *Station) Name(lang string) string { return pick(lang, st.NameZh, st.NameEn) }

// City is the station's city in lang.
func (st *Station) City(lang string) string { return pick(lang, st.CityZh, st.CityEn) }

// Trip is a daily bus or train departure.
type Trip struct {
	ID        string      `json:"id"`
	Kind      string      `json:"kind"` // bus or train
	Code      string      `json:"code"`
	From      string      `json:"from"`
	To        string      `json:"to"`
	Depart    string      `json:"depart"`
	Arrive    string      `json:"arrive"`
	Overnight bool        `json:"overnight"`
	Classes   []TripClass `json:"classes"`
	FromSt    *Station    `json:"-"`
	ToSt      *Station    `json:"-"`
}

// TripClass is a class of seat and its fare.
type TripClass struct {
	Class      string `json:"class"`
	PriceCents int64  `json:"price_cents"`
	Seats      int    `json:"seats"`
}

// Timetable is the shipped bus and train timetable.
type Timetable struct {
	Stations []*Station `json:"stations"`
	Trips    []*Trip    `json:"trips"`
	byID     map[string]*Trip
}

// LoadTimetable parses the shipped timetable.
func LoadTimetable() (*Timetable, error) {
	var tt Timetable
	if err := json.Unmarshal(travelJSON, &tt); err != nil {
		return nil, fmt.Errorf("travel timetable: %w", err)
	}
	stations := map[string]*Station{}
	for _, st := range tt.Stations {
		stations[st.ID] = st
	}
	tt.byID = map[string]*Trip{}
	for _, tr := range tt.Trips {
		tr.FromSt, tr.ToSt = stations[tr.From], stations[tr.To]
		if tr.FromSt == nil || tr.ToSt == nil {
			return nil, fmt.Errorf("travel timetable: trip %s has an unknown station", tr.ID)
		}
		tt.byID[tr.ID] = tr
	}
	return &tt, nil
}

// Trip returns a trip by id, or nil.
func (tt *Timetable) Trip(id string) *Trip { return tt.byID[id] }

// Cities lists the cities served, in the timetable's order (by Chinese name).
func (tt *Timetable) Cities() []*Station {
	seen := map[string]bool{}
	var out []*Station
	for _, st := range tt.Stations {
		if !seen[st.CityZh] {
			seen[st.CityZh] = true
			out = append(out, st)
		}
	}
	return out
}

// Search lists the trips from one city to another (by Chinese city name), buses and
// trains, by departure time.
func (tt *Timetable) Search(fromCity, toCity string) []*Trip {
	var out []*Trip
	for _, tr := range tt.Trips {
		if tr.FromSt.CityZh == fromCity && tr.ToSt.CityZh == toCity {
			out = append(out, tr)
		}
	}
	slices.SortStableFunc(out, func(a, b *Trip) int { return strings.Compare(a.Depart, b.Depart) })
	return out
}

// Class returns the trip's class, or nil.
func (tr *Trip) Class(name string) *TripClass {
	for i := range tr.Classes {
		if tr.Classes[i].Class == name {
			return &tr.Classes[i]
		}
	}
	return nil
}

// Departure is when the trip leaves on a day of the simulated calendar.
func (tr *Trip) Departure(day string) (time.Time, error) {
	return time.ParseInLocation("2006-01-02 15:04", day+" "+tr.Depart, time.UTC)
}

// Ticket is a booked ticket. Only the masked ID number is kept.
type Ticket struct {
	ID          uint
	UserID      uint
	TripID      string
	Day         string
	Class       string
	Seat        string
	Passenger   string
	PassengerID string
	PriceCents  int64
	Code        string
	BookedAt    time.Time
	RefundedAt  *time.Time
	RefundCents int64
}

func (Ticket) TableName() string { return "travel_tickets" }

// BookingDays is how far ahead tickets can be booked.
const BookingDays = 14

// FreeSeats lists the free seats of a class on a day: some are taken by other travellers
// (the same ones every time for that trip and day), and the owner's own tickets take theirs.
func (s *Service) FreeSeats(ctx context.Context, o Owner, tr *Trip, day, class string) ([]string, error) {
	tc := tr.Class(class)
	if tc == nil {
		return nil, errs.Field("class", "travel.error.class")
	}
	var mine []string
	err := s.db.WithContext(ctx).Model(&Ticket{}).Where("user_id = ? AND trip_id = ? AND day = ? AND class = ? AND refunded_at IS NULL", o.UserID, tr.ID, day, class).Pluck("seat", &mine).Error
	if err != nil {
		return nil, errs.Wrap(err, "find seats")
	}
	var out []string
	for i := 1; i <= tc.Seats; i++ {
		seat := fmt.Sprintf("%02d", i)
		h := fnv.New32a()
		fmt.Fprintf(h, "%s|%s|%s|%s", tr.ID, day, class, seat)
		if h.Sum32()%10 < 4 || slices.Contains(mine, seat) {
			continue
		}
		out = append(out, seat)
	}
	return out, nil
}

// BookingForm is a ticket booking as typed.
type BookingForm struct {
	TripID    string
	Day       string
	Class     string
	Seat      string
	Passenger string
	IDNumber  string
	PIN       string
}

// Book books and pays a ticket from the wallet. The passenger's ID number is checked
// (format, birth date, check digit) and only its masked form is stored.
func (s *Service) Book(ctx context.Context, o Owner, tt *Timetable, f BookingForm) (*Ticket, error) {
	tr := tt.Trip(f.TripID)
	if tr == nil {
		return nil, errNotFound
	}
	tc := tr.Class(f.Class)
	if tc == nil {
		return nil, errs.Field("class", "travel.error.class")
	}
	name, err := cleanText(textcheck.Name, "passenger", f.Passenger, 2, 20)
	if err != nil {
		return nil, err
	}
	id := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(f.IDNumber), " ", ""))
	w, err := s.Wallet(ctx, o)
	if err != nil {
		return nil, err
	}
	today := w.SimNow(s.now())
	if !ValidIDNumber(id, today) {
		return nil, errs.Field("id_number", "travel.error.id_number")
	}
	dep, err := tr.Departure(f.Day)
	if err != nil {
		return nil, errs.Field("day", "travel.error.day")
	}
	if !dep.After(today) || dep.After(today.AddDate(0, 0, BookingDays+1)) {
		return nil, errs.Field("day", "travel.error.day")
	}
	free, err := s.FreeSeats(ctx, o, tr, f.Day, f.Class)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(free, f.Seat) {
		return nil, errs.Field("seat", "travel.error.seat")
	}
	if !w.HasPIN() {
		return nil, errs.Field("pin", "shop.error.no_pin")
	}
	if err := s.checkPIN(ctx, w, f.PIN); err != nil {
		return nil, err
	}
	t := &Ticket{UserID: o.UserID, TripID: tr.ID, Day: f.Day, Class: f.Class, Seat: f.Seat, Passenger: name,
		PassengerID: MaskID(id), PriceCents: tc.PriceCents, Code: strings.ToUpper(rand.Text()[:8])}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w, err := s.lockWallet(tx, o.UserID)
		if err != nil {
			return err
		}
		now := w.SimNow(s.now())
		t.BookedAt = now
		var taken int64
		if err := tx.Model(&Ticket{}).Where("user_id = ? AND trip_id = ? AND day = ? AND class = ? AND seat = ? AND refunded_at IS NULL", o.UserID, tr.ID, f.Day, f.Class, f.Seat).Count(&taken).Error; err != nil {
			return err
		}
		if taken > 0 {
			return errs.Field("seat", "travel.error.seat")
		}
		if err := s.debit(tx, o.UserID, t.PriceCents, "ticket", now); err != nil {
			return err
		}
		if err := tx.Create(t).Error; err != nil {
			return err
		}
		return s.record(tx, o, EventTicketBooked, ref(t.ID), now)
	})
	if err != nil {
		return nil, errs.Wrap(err, "book ticket")
	}
	return t, nil
}

// RefundFee is what a refund keeps: 5 % more than a day before departure, 20 % within the
// last day. After departure a ticket cannot be refunded.
func RefundFee(price int64, now, departure time.Time) (int64, bool) {
	switch left := departure.Sub(now); {
	case left <= 0:
		return 0, false
	case left < 24*time.Hour:
		return price * 20 / 100, true
	default:
		return price * 5 / 100, true
	}
}

// Refund refunds one of the owner's tickets into the wallet, less the refund fee.
func (s *Service) Refund(ctx context.Context, o Owner, tt *Timetable, id uint) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		w, err := s.lockWallet(tx, o.UserID)
		if err != nil {
			return err
		}
		now := w.SimNow(s.now())
		var t Ticket
		if err := tx.Where("id = ? AND user_id = ?", id, o.UserID).Take(&t).Error; err != nil {
			return notFound(err)
		}
		if t.RefundedAt != nil {
			return errs.New(errs.Conflict, "travel.error.refunded")
		}
		tr := tt.Trip(t.TripID)
		if tr == nil {
			return errNotFound
		}
		dep, err := tr.Departure(t.Day)
		if err != nil {
			return err
		}
		fee, ok := RefundFee(t.PriceCents, now, dep)
		if !ok {
			return errs.New(errs.Conflict, "travel.error.departed")
		}
		back := t.PriceCents - fee
		if err := tx.Model(&Ticket{}).Where("id = ?", t.ID).Updates(map[string]any{"refunded_at": now, "refund_cents": back}).Error; err != nil {
			return err
		}
		if err := s.credit(tx, o.UserID, back, "ticket_refund", now); err != nil {
			return err
		}
		return s.record(tx, o, EventTicketRefunded, ref(t.ID), now)
	})
	return errs.Wrap(err, "refund ticket")
}

// Tickets lists the owner's tickets, newest first.
func (s *Service) Tickets(ctx context.Context, o Owner) ([]Ticket, error) {
	var out []Ticket
	err := s.db.WithContext(ctx).Where("user_id = ?", o.UserID).Order("id DESC").Find(&out).Error
	return out, errs.Wrap(err, "list tickets")
}

// ValidIDNumber checks a mainland resident ID number: 17 digits and a check character
// (ISO 7064 MOD 11-2), with a real birth date not after today.
func ValidIDNumber(id string, today time.Time) bool {
	if len(id) != 18 || !allDigits(id[:17]) {
		return false
	}
	born, err := time.Parse("20060102", id[6:14])
	if err != nil || born.After(today) || born.Year() < 1900 {
		return false
	}
	return id[17] == IDCheckChar(id[:17])
}

// IDCheckChar computes the 18th character of a resident ID number from the first 17.
func IDCheckChar(first17 string) byte {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11]
}

// MaskID shows the first four and last four characters of an ID number only.
func MaskID(id string) string {
	if utf8.RuneCountInString(id) < 8 {
		return strings.Repeat("*", len(id))
	}
	return id[:4] + strings.Repeat("*", len(id)-8) + id[len(id)-4:]
}

package web

import (
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
	"cunlu/app/report"
	"cunlu/app/sandbox"
)

type villagersView struct {
	Centre    *account.Centre
	Villagers []account.User
	Form      account.VillagerForm
	Log       []sandbox.AssistLog
	Progress  []report.PartnerRow // each villager's lessons, tasks and last visit, longest away first
	Kinds     []string
	Names     map[uint]string
	Assist    assistForm // what was typed into a refused assist-log entry
}

// assistForm is what a partner types to record a service in the assist log.
type assistForm struct {
	VillagerID uint
	Kind, Note string
}

func (s *Server) partnerCentre(c echo.Context) (*account.Centre, error) {
	u := currentUser(c)
	if u.CentreID == nil {
		return nil, errForbidden
	}
	return s.accounts.Centre(c.Request().Context(), *u.CentreID)
}

// villagerList is GET /partner/villagers: the villagers of my centre.
func (s *Server) villagerList(c echo.Context) error {
	centre, err := s.partnerCentre(c)
	if err != nil {
		return err
	}
	v, err := s.villagersData(c, centre)
	if err != nil {
		return err
	}
	return s.show(c, "villagers", v)
}

func (s *Server) villagersData(c echo.Context, centre *account.Centre) (villagersView, error) {
	ctx := c.Request().Context()
	v := villagersView{Centre: centre, Kinds: sandbox.AssistKinds, Names: map[uint]string{}}
	var err error
	if v.Villagers, err = s.accounts.VillagersOf(ctx, currentUser(c), centre.ID); err != nil {
		return v, err
	}
	for _, u := range v.Villagers {
		v.Names[u.ID] = u.Name
	}
	if v.Progress, err = s.reports.Learners(ctx, centre.ID); err != nil {
		return v, err
	}
	v.Log, err = s.shop.AssistLogs(ctx, currentUser(c).ID, 0, 30)
	return v, err
}

// assistRecord is POST /partner/assists (fields villager_id, kind, note): the partner
// records a service done for a villager of their own centre.
func (s *Server) assistRecord(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	v, err := s.accounts.AssistTarget(ctx, u, formUint(c, "villager_id"))
	if err != nil {
		return err
	}
	if _, err := s.shop.RecordAssist(ctx, u.ID, v.ID, c.FormValue("kind"), c.FormValue("note")); err != nil {
		centre, cerr := s.partnerCentre(c)
		if cerr != nil {
			return cerr
		}
		data, derr := s.villagersData(c, centre)
		if derr != nil {
			return derr
		}
		data.Assist = assistForm{VillagerID: v.ID, Kind: c.FormValue("kind"), Note: c.FormValue("note")}
		return s.showFormError(c, "villagers", data, err)
	}
	return s.redirectFlash(c, "/partner/villagers", "flash.assist_recorded")
}

// villagerNew is GET /partner/villagers/new: the form to register a villager.
func (s *Server) villagerNew(c echo.Context) error {
	centre, err := s.partnerCentre(c)
	if err != nil {
		return err
	}
	return s.show(c, "villager_new", villagersView{Centre: centre, Form: account.VillagerForm{CentreID: centre.ID}})
}

// villagerCreate is POST /partner/villagers (fields name, phone, pin, centre_id). The
// service refuses a centre other than the partner's own.
func (s *Server) villagerCreate(c echo.Context) error {
	centre, err := s.partnerCentre(c)
	if err != nil {
		return err
	}
	f := account.VillagerForm{Name: c.FormValue("name"), Phone: c.FormValue("phone"), PIN: c.FormValue("pin"), CentreID: formUint(c, "centre_id")}
	u, err := s.accounts.RegisterVillager(c.Request().Context(), currentUser(c), f)
	if err != nil {
		f.PIN = ""
		return s.showFormError(c, "villager_new", villagersView{Centre: centre, Form: f}, err)
	}
	return s.showSlip(c, u, centre, f.PIN, "flash.villager_registered")
}

type slipView struct {
	Villager  *account.User
	Centre    *account.Centre
	PIN       string // as the partner typed it: only the hash is stored, this page is its one showing
	SignInURL string
	QR        template.HTML
}

// showSlip answers the POST that set a villager's PIN with the hand-over slip: a screen for
// the partner to show the villager or keep as a screenshot (WeChat cannot print), with the
// name, phone number, how to sign in, a QR code of the sign-in page and the PIN. It is the
// answer to the POST itself, sent no-store (render), not a redirect: the PIN is not stored
// in clear anywhere, so no later page could show it, and a reload does not show it again.
func (s *Server) showSlip(c echo.Context, u *account.User, centre *account.Centre, pin, flash string) error {
	v := slipView{Villager: u, Centre: centre, PIN: pin, SignInURL: s.baseURL.String() + "/login/pin"}
	var err error
	if v.QR, err = qrSVG(v.SignInURL); err != nil {
		return err
	}
	p := s.newPage(c, "villager_slip", v)
	p.Flash = p.T(flash)
	return s.render(c, http.StatusOK, p)
}

type villagerPINView struct {
	Villager *account.User
}

// villagerPINShow is GET /partner/villagers/:id/pin: set a new PIN for a villager of my
// centre who forgot theirs.
func (s *Server) villagerPINShow(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	v, err := s.accounts.AssistTarget(c.Request().Context(), currentUser(c), id)
	if err != nil {
		return err
	}
	return s.show(c, "villager_pin", villagerPINView{Villager: v})
}

// villagerPINReset is POST /partner/villagers/:id/pin (field pin): the new PIN, then the
// hand-over slip with it, shown this once.
func (s *Server) villagerPINReset(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	centre, err := s.partnerCentre(c)
	if err != nil {
		return err
	}
	ctx, u := c.Request().Context(), currentUser(c)
	v, err := s.accounts.ResetVillagerPIN(ctx, u, id, c.FormValue("pin"))
	if err != nil {
		target, terr := s.accounts.AssistTarget(ctx, u, id)
		if terr != nil {
			return terr
		}
		return s.showFormError(c, "villager_pin", villagerPINView{Villager: target}, err)
	}
	return s.showSlip(c, v, centre, c.FormValue("pin"), "flash.pin_reset")
}

package web

import (
	"github.com/labstack/echo/v4"

	"cunlu/app/account"
)

type villagersView struct {
	Centre    *account.Centre
	Villagers []account.User
	Form      account.VillagerForm
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
	vs, err := s.accounts.VillagersOf(c.Request().Context(), currentUser(c), centre.ID)
	if err != nil {
		return err
	}
	return s.show(c, "villagers", villagersView{Centre: centre, Villagers: vs})
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
	if _, err := s.accounts.RegisterVillager(c.Request().Context(), currentUser(c), f); err != nil {
		f.PIN = ""
		return s.showFormError(c, "villager_new", villagersView{Centre: centre, Form: f}, err)
	}
	return s.redirectFlash(c, "/partner/villagers", "flash.villager_registered")
}

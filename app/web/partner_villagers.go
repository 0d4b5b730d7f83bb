package web

import (
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
		return s.showFormError(c, "villagers", data, err)
	}
	after, cancel := afterCommit(c)
	defer cancel()
	s.recordTasks(after, u)
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
	if _, err := s.accounts.RegisterVillager(c.Request().Context(), currentUser(c), f); err != nil {
		f.PIN = ""
		return s.showFormError(c, "villager_new", villagersView{Centre: centre, Form: f}, err)
	}
	return s.redirectFlash(c, "/partner/villagers", "flash.villager_registered")
}

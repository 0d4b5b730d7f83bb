package web

import (
	"github.com/labstack/echo/v4"

	"cunlu/app/account"
)

type centresView struct {
	Centres  []account.Centre
	Villages []account.Region
	Form     account.CentreForm
	Edit     *account.Centre
}

func (s *Server) centresData(c echo.Context) (centresView, error) {
	ctx := c.Request().Context()
	var v centresView
	cs, err := s.accounts.Centres(ctx)
	if err != nil {
		return v, err
	}
	rs, err := s.accounts.Regions(ctx)
	if err != nil {
		return v, err
	}
	v.Centres = cs
	for _, r := range rs {
		if r.Level == account.LevelVillage {
			v.Villages = append(v.Villages, r)
		}
	}
	return v, nil
}

func centreForm(c echo.Context) account.CentreForm {
	return account.CentreForm{Name: c.FormValue("name"), Address: c.FormValue("address"), RegionID: formUint(c, "region_id")}
}

// centreList is GET /admin/centres: every service centre and a form to add one.
func (s *Server) centreList(c echo.Context) error {
	v, err := s.centresData(c)
	if err != nil {
		return err
	}
	return s.show(c, "admin_centres", v)
}

// centreCreate is POST /admin/centres (fields name, address, region_id).
func (s *Server) centreCreate(c echo.Context) error {
	f := centreForm(c)
	if _, err := s.accounts.CreateCentre(c.Request().Context(), currentUser(c), f); err != nil {
		v, lerr := s.centresData(c)
		if lerr != nil {
			return lerr
		}
		v.Form = f
		return s.showFormError(c, "admin_centres", v, err)
	}
	return s.redirectFlash(c, "/admin/centres", "flash.saved")
}

// centreEdit is GET /admin/centres/:id.
func (s *Server) centreEdit(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	centre, err := s.accounts.Centre(c.Request().Context(), id)
	if err != nil {
		return err
	}
	v, err := s.centresData(c)
	if err != nil {
		return err
	}
	v.Edit = centre
	v.Form = account.CentreForm{Name: centre.Name, Address: centre.Address, RegionID: centre.RegionID}
	return s.show(c, "admin_centre_edit", v)
}

// centreUpdate is POST /admin/centres/:id (fields name, address, region_id).
func (s *Server) centreUpdate(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	f := centreForm(c)
	if err := s.accounts.UpdateCentre(c.Request().Context(), currentUser(c), id, f); err != nil {
		centre, cerr := s.accounts.Centre(c.Request().Context(), id)
		if cerr != nil {
			return cerr
		}
		v, lerr := s.centresData(c)
		if lerr != nil {
			return lerr
		}
		v.Edit, v.Form = centre, f
		return s.showFormError(c, "admin_centre_edit", v, err)
	}
	return s.redirectFlash(c, "/admin/centres", "flash.saved")
}

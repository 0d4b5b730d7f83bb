package web

import (
	"github.com/labstack/echo/v4"

	"cunlu/app/account"
)

type regionsView struct {
	Regions []account.Region
	Form    account.RegionForm
	Edit    *account.Region
}

// regionList is GET /admin/regions: the region tree and a form to add one.
func (s *Server) regionList(c echo.Context) error {
	v, err := s.regionsData(c)
	if err != nil {
		return err
	}
	return s.show(c, "admin_regions", v)
}

func (s *Server) regionsData(c echo.Context) (regionsView, error) {
	rs, err := s.accounts.Regions(c.Request().Context())
	return regionsView{Regions: rs}, err
}

// regionCreate is POST /admin/regions (fields name, level, parent_id).
func (s *Server) regionCreate(c echo.Context) error {
	f := account.RegionForm{Name: c.FormValue("name"), Level: account.Level(c.FormValue("level")), ParentID: formUint(c, "parent_id")}
	if _, err := s.accounts.CreateRegion(c.Request().Context(), currentUser(c), f); err != nil {
		v, lerr := s.regionsData(c)
		if lerr != nil {
			return lerr
		}
		v.Form = f
		return s.showFormError(c, "admin_regions", v, err)
	}
	return s.redirectFlash(c, "/admin/regions", "flash.saved")
}

// regionEdit is GET /admin/regions/:id: rename a region.
func (s *Server) regionEdit(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	r, err := s.accounts.Region(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return s.show(c, "admin_region_edit", regionsView{Edit: r, Form: account.RegionForm{Name: r.Name}})
}

// regionUpdate is POST /admin/regions/:id (field name).
func (s *Server) regionUpdate(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	name := c.FormValue("name")
	if err := s.accounts.RenameRegion(c.Request().Context(), currentUser(c), id, name); err != nil {
		r, rerr := s.accounts.Region(c.Request().Context(), id)
		if rerr != nil {
			return rerr
		}
		return s.showFormError(c, "admin_region_edit", regionsView{Edit: r, Form: account.RegionForm{Name: name}}, err)
	}
	return s.redirectFlash(c, "/admin/regions", "flash.saved")
}

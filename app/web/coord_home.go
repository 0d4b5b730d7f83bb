package web

import (
	"github.com/labstack/echo/v4"

	"cunlu/app/account"
)

type coordView struct {
	Region   *account.Region
	Trail    []account.Region // from the coordinator's own region down to Region
	Children []account.Region
	Partners []account.PartnerRow
}

// coordHome is GET /coord?region=ID: the partners of the coordinator's region, with
// drill-down into townships and villages below it. A region outside their own is "not found".
func (s *Server) coordHome(c echo.Context) error {
	u := currentUser(c)
	ctx := c.Request().Context()
	if u.RegionID == nil {
		return errForbidden
	}
	id := queryUint(c, "region")
	if id == 0 {
		id = *u.RegionID
	}
	region, err := s.accounts.RegionInScope(ctx, u, id)
	if err != nil {
		return err
	}
	home, err := s.accounts.Region(ctx, *u.RegionID)
	if err != nil {
		return err
	}
	within, err := s.accounts.RegionsWithin(ctx, home)
	if err != nil {
		return err
	}
	v := coordView{Region: region}
	for _, r := range within {
		if r.Contains(*region) {
			v.Trail = append(v.Trail, r)
		}
		if r.ParentID != nil && *r.ParentID == region.ID {
			v.Children = append(v.Children, r)
		}
	}
	if v.Partners, err = s.accounts.PartnersWithin(ctx, u, region.ID); err != nil {
		return err
	}
	return s.show(c, "coord_home", v)
}

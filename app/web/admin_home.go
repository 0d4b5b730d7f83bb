package web

import (
	"github.com/labstack/echo/v4"

	"cunlu/app/account"
)

type adminHomeView struct {
	Counts map[account.Role]int64
}

// adminHome is GET /admin: counts and the way to each admin page.
func (s *Server) adminHome(c echo.Context) error {
	v := adminHomeView{Counts: map[account.Role]int64{}}
	for _, r := range account.Roles {
		_, n, err := s.accounts.Users(c.Request().Context(), currentUser(c), account.UserFilter{Role: r, Limit: 1})
		if err != nil {
			return err
		}
		v.Counts[r] = n
	}
	return s.show(c, "admin_home", v)
}

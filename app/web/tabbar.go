package web

import (
	"strings"

	"github.com/labstack/echo/v4"

	"cunlu/app/account"
)

// tab is one place in the bottom tab bar: where it goes, its label key and icon, and
// whether the page shown is in it.
type tab struct {
	Key     string // also the icon's name (partials/tabbar.html)
	Href    string
	Label   string // catalog key
	Current bool
}

// Tabs are the bottom tab bar for the signed-in person's role, with the section of the
// page shown marked; nil for admins (who keep the top menu) and signed-out visitors.
func (p *Page) Tabs() []tab {
	if p.User == nil {
		return nil
	}
	path, _, _ := strings.Cut(p.Path, "?")
	under := func(prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }
	var tabs []tab
	switch {
	case p.Is("villager") || p.Is("partner"):
		messages := under("/shop/inbox")
		tabs = []tab{
			{Key: "learn", Href: "/", Label: "tab.learn", Current: path == "/" || under("/courses") || under("/certificates")},
			{Key: "practice", Href: "/shop", Label: "tab.practice", Current: under("/shop") && !messages},
			{Key: "messages", Href: "/shop/inbox", Label: "tab.messages", Current: messages},
		}
		if p.Is("partner") {
			tabs = append(tabs, tab{Key: "villagers", Href: "/partner/villagers", Label: "tab.villagers", Current: under("/partner")})
		}
	case p.Is("coordinator"):
		alerts, matrix := under("/coord/alerts"), under("/coord/matrix")
		tabs = []tab{
			{Key: "overview", Href: "/coord", Label: "tab.overview", Current: under("/coord") && !alerts && !matrix},
			{Key: "alerts", Href: "/coord/alerts", Label: "tab.alerts", Current: alerts},
			{Key: "matrix", Href: "/coord/matrix", Label: "tab.matrix", Current: matrix},
			{Key: "classes", Href: "/classes", Label: "tab.classes", Current: under("/classes")},
		}
	default:
		return nil
	}
	return append(tabs, tab{Key: "me", Href: "/account", Label: "tab.me", Current: under("/account")})
}

// assisting is the villager whom partner is helping in an assisted session on this
// browser, or nil: the shop has resolved it already (withShopper); elsewhere one lookup of
// the session, for partners only. A failure only leaves the banner out.
func (s *Server) assisting(c echo.Context, partner *account.User) *account.User {
	if sh := shopperOf(c); sh != nil {
		return sh.assisted()
	}
	if partner.Role != account.RolePartner {
		return nil
	}
	token, _ := c.Get(ctxToken).(string)
	v, err := s.accounts.Assisting(c.Request().Context(), partner, token)
	if err != nil {
		return nil
	}
	return v
}

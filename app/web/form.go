package web

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"cunlu/app/errs"
)

// paramID reads the :id path parameter; anything but a positive number is "not found".
func paramID(c echo.Context) (uint, error) {
	n, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || n == 0 {
		return 0, errs.New(errs.NotFound, "error.not_found")
	}
	return uint(n), nil
}

// formUint reads a numeric form field; a missing or malformed value reads as 0, which the
// services refuse with a message about that field.
func formUint(c echo.Context, name string) uint {
	n, err := strconv.ParseUint(strings.TrimSpace(c.FormValue(name)), 10, 32)
	if err != nil {
		return 0
	}
	return uint(n)
}

// queryUint is formUint for the query string.
func queryUint(c echo.Context, name string) uint {
	n, err := strconv.ParseUint(strings.TrimSpace(c.QueryParam(name)), 10, 32)
	if err != nil {
		return 0
	}
	return uint(n)
}

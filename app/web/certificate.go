package web

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/labstack/echo/v4"
	"rsc.io/qr"

	"cunlu/app/course"
	"cunlu/app/progress"
)

type certificateView struct {
	Cert      *progress.Certificate
	Course    *course.CourseText
	VerifyURL string
	QR        template.HTML
}

// certificateShow is GET /certificates/:code: the printable certificate, for its holder.
func (s *Server) certificateShow(c echo.Context) error {
	cert, err := s.progress.CertificateByCode(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	if cert.UserID != currentUser(c).ID {
		return errNotFound
	}
	co := s.courses.Catalog().Course(cert.Course)
	if co == nil {
		return errNotFound
	}
	v := certificateView{Cert: cert, Course: co.In(s.langOf(c)), VerifyURL: s.baseURL.String() + "/verify/" + cert.Code}
	if v.QR, err = qrSVG(v.VerifyURL); err != nil {
		return err
	}
	return s.show(c, "certificate", v)
}

// qrSVG draws a QR code as a small inline SVG (a few hundred bytes, no image request). It is
// hidden from screen readers: the address it encodes is printed in words beside it.
func qrSVG(text string) (template.HTML, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", err
	}
	n := code.Size
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="-4 -4 %d %d" class="qr" aria-hidden="true" shape-rendering="crispEdges"><rect x="-4" y="-4" width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n+8, n+8, n+8, n+8)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if code.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil
}

type verifyView struct {
	Cert   *progress.Certificate
	Course *course.CourseText
}

// verify is GET /verify/:code: anyone can check that a certificate is genuine. It shows
// the holder's name, the course and the date — nothing more about the person.
func (s *Server) verify(c echo.Context) error {
	cert, err := s.progress.CertificateByCode(c.Request().Context(), c.Param("code"))
	if err != nil {
		return err
	}
	co := s.courses.Catalog().Course(cert.Course)
	if co == nil {
		return errNotFound
	}
	return s.show(c, "verify", verifyView{Cert: cert, Course: co.In(s.langOf(c))})
}

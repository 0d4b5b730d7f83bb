package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"cunlu/app/errs"
	"cunlu/app/report"
)

// csvTables are the exports, each the same figures as its page.
var csvTables = []string{"overview", "matrix", "alerts", "questions", "assignments"}

// maskPhone keeps a phone number recognisable to the person who knows it, not usable by
// whoever finds a spreadsheet: 138****0001.
func maskPhone(p *string) string {
	if p == nil || len(*p) < 7 {
		return ""
	}
	v := *p
	return v[:3] + "****" + v[len(v)-4:]
}

// coordExport is GET /coord/export.csv?table=&region=&course=: a table as CSV that opens
// in Excel with Chinese text (UTF-8 with a byte-order mark), numbers as plain numbers.
func (s *Server) coordExport(c echo.Context) error {
	sc, err := s.coordScope(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t := s.translatorOf(c)
	table := c.QueryParam("table")
	if table == "" {
		table = "overview"
	}
	var rows [][]string
	n := strconv.Itoa
	switch table {
	case "overview":
		ov, err := s.reports.Overview(ctx, sc.Region)
		if err != nil {
			return err
		}
		rows = append(rows, []string{t.T("coord.col.place"), t.T("coord.col.partners"), t.T("coord.col.villagers"), t.T("coord.col.active"),
			t.T("coord.col.mastered"), t.T("coord.col.completion"), t.T("coord.col.tasks"), t.T("coord.col.certificates")})
		for _, r := range append(ov.Rows, ov.Total) {
			rows = append(rows, []string{r.Name, n(r.Partners), n(r.Villagers), n(r.Active), n(r.Mastered), n(r.Completion()), n(r.Tasks), n(r.Certificates)})
		}
	case "matrix":
		cat := s.courses.Catalog()
		head := []string{t.T("field.name"), t.T("field.phone"), t.T("field.village"), t.T("field.centre"), t.T("coord.col.mastered"), t.T("coord.col.tasks"), t.T("coord.col.certificates")}
		for _, co := range cat.Courses {
			head = append(head, co.In(t.Lang).Title)
		}
		rows = append(rows, head)
		ps, err := s.reports.AllPartners(ctx, sc.Region)
		if err != nil {
			return err
		}
		for _, p := range ps {
			row := []string{p.Name, maskPhone(p.Phone), p.VillageName, p.CentreName, n(p.LessonsMastered), n(p.TasksDone), n(p.Certificates)}
			for _, co := range cat.Courses {
				row = append(row, n(p.Courses[co.Slug].Percent()))
			}
			rows = append(rows, row)
		}
	case "alerts":
		a, err := s.reports.Alerts(ctx, sc.Region)
		if err != nil {
			return err
		}
		rows = append(rows, []string{t.T("coord.col.alert"), t.T("field.name"), t.T("field.centre"), t.T("coord.col.detail"), t.T("coord.col.number")})
		for _, x := range a.Stuck {
			rows = append(rows, []string{t.T("coord.alert.stuck"), x.Name, x.CentreName, s.lessonTitle(x.Course, x.Lesson, t.Lang), n(x.Attempts)})
		}
		// The days away, and the last visit's date when there was one.
		away := func(kind string, xs []report.PartnerRow) {
			for _, x := range xs {
				detail := t.T(x.Away.Key(), "Count", x.Away.Days)
				if x.LastSeenAt != nil {
					detail += " (" + x.LastSeenAt.Format("2006-01-02") + ")"
				}
				rows = append(rows, []string{kind, x.Name, x.CentreName, detail, ""})
			}
		}
		away(t.T("coord.alert.inactive"), a.Inactive)
		away(t.T("coord.alert.absent"), a.Absent)
		for _, x := range a.Behind {
			rows = append(rows, []string{t.T("coord.alert.behind"), x.Name, x.CentreName, s.courseTitle(x.Course, t.Lang), x.Due})
		}
	case "questions":
		qs, err := s.reports.DifficultQuestions(ctx, sc.Region, c.QueryParam("course"), 50)
		if err != nil {
			return err
		}
		rows = append(rows, []string{t.T("coord.col.course"), t.T("coord.col.lesson"), t.T("coord.col.question"), t.T("coord.col.answers"), t.T("coord.col.wrong"), t.T("coord.col.wrong_percent"), t.T("coord.col.options")})
		for _, q := range qs {
			var opts []string
			for i, o := range q.Options(t.Lang) {
				mark := ""
				if o.Correct {
					mark = "✓"
				}
				opts = append(opts, fmt.Sprintf("%s%s %d", o.ID, mark, q.Chosen[i]))
			}
			rows = append(rows, []string{q.Course.In(t.Lang).Title, q.Lesson.In(t.Lang).Title, plainText(string(q.Prompt(t.Lang))),
				n(q.Answers), n(q.Wrong), n(q.WrongPercent()), strings.Join(opts, "; ")})
		}
	case "assignments":
		as, err := s.reports.Assignments(ctx, sc.Region)
		if err != nil {
			return err
		}
		rows = append(rows, []string{t.T("coord.col.course"), t.T("coord.col.target"), t.T("coord.col.due"), t.T("coord.col.partners"), t.T("coord.col.on_time"), t.T("coord.col.late"), t.T("coord.col.open")})
		for _, a := range as {
			rows = append(rows, []string{s.courseTitle(a.Course, t.Lang), a.TargetName, a.Due, n(a.Partners), n(a.OnTime), n(a.Late), n(a.Open)})
		}
	default:
		return errs.Field("table", "error.bad_request")
	}
	var b bytes.Buffer
	b.WriteString("\ufeff") // Excel reads UTF-8 only with a byte-order mark
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	for _, r := range rows {
		for i, cell := range r {
			r[i] = csvSafe(cell)
		}
	}
	if err := w.WriteAll(rows); err != nil {
		return err
	}
	// 示范县-学习进度表-2026-12-07.csv, and for browsers that read only the plain filename,
	// cunlu-matrix-1-2026-12-07.csv.
	day := s.accounts.Now().Local().Format(time.DateOnly)
	name := fmt.Sprintf("%s-%s-%s.csv", sc.Region.Name, t.T("coord.tab."+table), day)
	ascii := fmt.Sprintf("cunlu-%s-%d-%s.csv", table, sc.Region.ID, day)
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+ascii+`"; filename*=UTF-8''`+rfc5987(name))
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

// rfc5987 writes a file name as a Content-Disposition filename* value (RFC 5987): UTF-8,
// every byte outside the few characters allowed as they are percent-encoded.
func rfc5987(name string) string {
	var b strings.Builder
	for _, c := range []byte(name) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("!#$&+-.^_`|~", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// csvSafe stops a cell from being read as a formula by a spreadsheet (a name typed as
// "=HYPERLINK(…)" must stay text); numbers are left alone.
func csvSafe(v string) string {
	if v == "" {
		return v
	}
	if _, err := strconv.Atoi(v); err == nil {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}

func plainText(html string) string {
	var b strings.Builder
	in := false
	for _, r := range html {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&quot;", `"`, "&#39;", "'").Replace(b.String())
}

func (s *Server) courseTitle(slug, lang string) string {
	if co := s.courses.Catalog().Course(slug); co != nil {
		return co.In(lang).Title
	}
	return slug
}

func (s *Server) lessonTitle(courseSlug, lessonSlug, lang string) string {
	if l := s.courses.Catalog().Lesson(courseSlug, lessonSlug); l != nil {
		return l.In(lang).Title
	}
	return lessonSlug
}

package records

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"cunlu/app/account"
	"cunlu/app/errs"
)

// An evidence pack is what a county hands a programme's evaluator for a region and a period
// (RECORDS.md): one zip holding a workbook with a sheet per table, a printable HTML report,
// and a manifest with each file's SHA-256, the audit log's newest hash and the sample's seed,
// signed with an HMAC under the server's key so that "cunlu records verify PACK" can tell
// whether anything in it was altered.

// PackRequest says which records go in a pack.
type PackRequest struct {
	Region *account.Region
	From   time.Time // first day, in China's time
	To     time.Time // last day, included
	Seed   uint64    // for the telephone sample; shown on the pack, so the draw can be repeated
	Sample int       // learners to phone; 0: a tenth of them, at least one
}

// Pack is the records of a region and period, as tables.
type Pack struct {
	Request   PackRequest
	Made      time.Time
	AuditHead string
	Classes   [][]string
	Sessions  [][]string
	Roster    [][]string
	Attend    [][]string
	Hours     [][]string
	Sampled   [][]string
	People    int // distinct learners (人数)
	Visits    int // attendances (人次)
}

// BuildPack gathers a pack for a coordinator's region (or one below it).
func (s *Service) BuildPack(ctx context.Context, actor *account.User, req PackRequest) (*Pack, error) {
	if actor == nil || actor.Role != account.RoleCoordinator || actor.RegionID == nil {
		return nil, errs.New(errs.Forbidden, "error.forbidden")
	}
	mine, err := s.accounts.Region(ctx, *actor.RegionID)
	if err != nil {
		return nil, err
	}
	if req.Region == nil || !mine.Contains(*req.Region) {
		return nil, errs.New(errs.NotFound, "error.not_found")
	}
	if req.To.Before(req.From) {
		return nil, errs.Field("to", "error.end_before_start")
	}
	from := time.Date(req.From.Year(), req.From.Month(), req.From.Day(), 0, 0, 0, 0, China).UTC()
	to := time.Date(req.To.Year(), req.To.Month(), req.To.Day(), 0, 0, 0, 0, China).AddDate(0, 0, 1).UTC()
	db := s.db.WithContext(ctx)
	p := &Pack{Request: req, Made: s.now()}
	if p.AuditHead, err = s.head(ctx); err != nil {
		return nil, err
	}

	// The classes of the region with a session in the period.
	var classes []ClassRow
	err = db.Table("training_classes tc").Select("tc.*, COALESCE(ce.name, r.name) AS place").
		Joins("JOIN regions r ON r.id = tc.region_id").Joins("LEFT JOIN centres ce ON ce.id = tc.centre_id").
		Where("r.path LIKE ?", req.Region.Path+"%").
		Where("EXISTS (SELECT 1 FROM training_sessions ts WHERE ts.class_id = tc.id AND ts.starts_at >= ? AND ts.starts_at < ?)", from, to).
		Order("tc.id").Scan(&classes).Error
	if err != nil {
		return nil, errs.Wrap(err, "pack classes")
	}
	ids := make([]uint, len(classes))
	for i, c := range classes {
		ids[i] = c.ID
	}
	id := func(n uint) string { return strconv.FormatUint(uint64(n), 10) }
	hours := func(min int) string { return strconv.FormatFloat(float64(min)/60, 'f', 1, 64) }
	when := func(t time.Time) string { return t.In(China).Format("2006-01-02 15:04") }

	var sessions []Session
	if err := db.Where("class_id IN ? AND starts_at >= ? AND starts_at < ?", ids, from, to).Order("class_id, starts_at").Find(&sessions).Error; err != nil {
		return nil, errs.Wrap(err, "pack sessions")
	}
	sessionIDs := make([]uint, len(sessions))
	for i, se := range sessions {
		sessionIDs[i] = se.ID
	}
	type rosterRow struct {
		ClassID uint
		RosterRow
		Township string
	}
	var roster []rosterRow
	err = db.Table("training_enrolments e").
		Select("e.class_id, u.id AS user_id, u.name, u.phone, u.role, c.name AS centre_name, v.name AS village_name, t.name AS township, e.enrolled_at").
		Joins("JOIN users u ON u.id = e.user_id").Joins("LEFT JOIN centres c ON c.id = u.centre_id").
		Joins("LEFT JOIN regions v ON v.id = c.region_id").Joins("LEFT JOIN regions t ON t.id = v.parent_id").
		Where("e.class_id IN ? AND e.removed_at IS NULL", ids).Order("e.class_id, u.name, u.id").Scan(&roster).Error
	if err != nil {
		return nil, errs.Wrap(err, "pack roster")
	}
	var attend []struct {
		Attendance
		Name string
	}
	err = db.Table("training_attendance a").Select("a.*, u.name").Joins("JOIN users u ON u.id = a.user_id").
		Where("a.session_id IN ?", sessionIDs).Order("a.session_id, a.checked_in_at, a.user_id").Scan(&attend).Error
	if err != nil {
		return nil, errs.Wrap(err, "pack attendance")
	}

	bySession := map[uint]Session{}
	for _, se := range sessions {
		bySession[se.ID] = se
	}
	present := map[[2]uint]int{} // class, learner → minutes
	visits := map[uint]int{}     // class → 人次
	presentBySession := map[uint]int{}
	p.Attend = [][]string{{"班级编号", "上课时间", "姓名", "签到", "签退", "在场分钟", "方式", "原因", "设备"}}
	for _, a := range attend {
		se := bySession[a.SessionID]
		m, out := 0, ""
		if a.CheckedOutAt != nil {
			out = when(*a.CheckedOutAt)
			from, to := maxTime(a.CheckedInAt, se.StartsAt), minTime(*a.CheckedOutAt, se.EndsAt)
			if to.After(from) {
				m = int(to.Sub(from) / time.Minute)
			}
		}
		present[[2]uint{se.ClassID, a.UserID}] += m
		visits[se.ClassID]++
		presentBySession[se.ID]++
		p.Attend = append(p.Attend, []string{id(se.ClassID), when(se.StartsAt), a.Name, when(a.CheckedInAt), out, strconv.Itoa(m), a.How, a.Reason, a.Device})
	}
	people := map[uint]bool{}
	learnersOf := map[uint]int{}
	p.Roster = [][]string{{"班级编号", "姓名", "身份", "乡镇", "村", "服务站", "手机号", "加入时间"}}
	p.Hours = [][]string{{"班级编号", "姓名", "到场学时", "目标学时", "达到目标"}}
	var target = map[uint]int{}
	for _, c := range classes {
		target[c.ID] = c.TargetMinutes
	}
	for _, r := range roster {
		people[r.UserID] = true
		learnersOf[r.ClassID]++
		phone := ""
		if r.Phone != nil {
			phone = *r.Phone
		}
		p.Roster = append(p.Roster, []string{id(r.ClassID), r.Name, r.Role, r.Township, r.VillageName, r.CentreName, phone, when(r.EnrolledAt)})
		m := present[[2]uint{r.ClassID, r.UserID}]
		met := "否"
		if m >= target[r.ClassID] {
			met = "是"
		}
		p.Hours = append(p.Hours, []string{id(r.ClassID), r.Name, hours(m), hours(target[r.ClassID]), met})
	}
	p.Classes = [][]string{{"班级编号", "名称", "学员", "地点", "培训老师", "老师简介", "目标学时", "上课次数", "人数", "人次", "课程安排"}}
	for _, c := range classes {
		n := 0
		for _, se := range sessions {
			if se.ClassID == c.ID {
				n++
			}
		}
		p.Classes = append(p.Classes, []string{id(c.ID), c.Title, c.Audience, c.Place, c.Trainer, c.TrainerProfile, hours(c.TargetMinutes),
			strconv.Itoa(n), strconv.Itoa(learnersOf[c.ID]), strconv.Itoa(visits[c.ID]), strings.ReplaceAll(c.Plan, "\n", "；")})
		p.Visits += visits[c.ID]
	}
	p.People = len(people)
	p.Sessions = [][]string{{"班级编号", "开始", "结束", "类型", "地点", "培训老师", "计划分钟", "签到人数"}}
	for _, se := range sessions {
		p.Sessions = append(p.Sessions, []string{id(se.ClassID), when(se.StartsAt), when(se.EndsAt), se.Kind, se.Place, se.Trainer,
			strconv.Itoa(se.Minutes()), strconv.Itoa(presentBySession[se.ID])})
	}

	// The telephone sample: the region's learners in id order, shuffled by the seed.
	var all []uint
	for u := range people {
		all = append(all, u)
	}
	slices.Sort(all)
	n := req.Sample
	if n <= 0 {
		n = max(1, (len(all)+9)/10)
	}
	n = min(n, len(all))
	r := rand.New(rand.NewPCG(req.Seed, 0x636e6c75))
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	chosen := map[uint]bool{}
	for _, u := range all[:n] {
		chosen[u] = true
	}
	p.Sampled = [][]string{{"姓名", "手机号", "村", "服务站", "班级编号"}}
	seen := map[uint]bool{}
	for _, r := range roster {
		if chosen[r.UserID] && !seen[r.UserID] {
			seen[r.UserID] = true
			phone := ""
			if r.Phone != nil {
				phone = *r.Phone
			}
			p.Sampled = append(p.Sampled, []string{r.Name, phone, r.VillageName, r.CentreName, id(r.ClassID)})
		}
	}
	return p, nil
}

// sheets are the workbook's sheets in order.
func (p *Pack) sheets() []struct {
	Name string
	Rows [][]string
} {
	return []struct {
		Name string
		Rows [][]string
	}{{"培训班", p.Classes}, {"上课安排", p.Sessions}, {"学员花名册", p.Roster}, {"签到表", p.Attend}, {"学时", p.Hours}, {"电话抽查", p.Sampled}}
}

// Workbook writes the pack's tables as an .xlsx workbook, a sheet per table.
func (p *Pack) Workbook(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	for i, sh := range p.sheets() {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sh.Name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(sh.Name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(sh.Name)
		if err != nil {
			return err
		}
		for r, row := range sh.Rows {
			cells := make([]any, len(row))
			for i, v := range row {
				cells[i] = v // text, never a formula
			}
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := sw.SetRow(cell, cells); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	// A fixed document time, so the same records make the same file.
	f.SetDocProps(&excelize.DocProperties{Creator: "Cunlu", Created: p.Made.UTC().Format(time.RFC3339), Modified: p.Made.UTC().Format(time.RFC3339)})
	return f.Write(w)
}

var reportPage = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>培训档案 {{.Region}} {{.From}}–{{.To}}</title>
<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #999;padding:2px 6px;font-size:12px}h2{page-break-before:always}h2:first-of-type{page-break-before:auto}</style></head>
<body><h1>培训档案：{{.Region}}，{{.From}} 至 {{.To}}</h1>
<p>人数 {{.People}} · 人次 {{.Visits}} · 电话抽查种子 {{.Seed}} · 修改记录最新哈希 <code>{{.Head}}</code> · 生成于 {{.Made}}</p>
{{range .Sheets}}<h2>{{.Name}}</h2><table>{{range $i, $r := .Rows}}<tr>{{range $r}}{{if eq $i 0}}<th>{{.}}</th>{{else}}<td>{{.}}</td>{{end}}{{end}}</tr>{{end}}</table>{{end}}
</body></html>`))

// Report writes the pack as one printable HTML page.
func (p *Pack) Report(w io.Writer) error {
	return reportPage.Execute(w, map[string]any{"Region": p.Request.Region.Name, "From": p.Request.From.Format(time.DateOnly), "To": p.Request.To.Format(time.DateOnly),
		"People": p.People, "Visits": p.Visits, "Seed": p.Request.Seed, "Head": p.AuditHead, "Made": p.Made.In(China).Format("2006-01-02 15:04"), "Sheets": p.sheets()})
}

const manifestName = "MANIFEST.txt"

// WriteZip writes the pack as one zip: the workbook, the report, and the signed manifest.
func (p *Pack) WriteZip(w io.Writer, key []byte) error {
	files := map[string]*bytes.Buffer{"records.xlsx": {}, "report.html": {}}
	if err := p.Workbook(files["records.xlsx"]); err != nil {
		return err
	}
	if err := p.Report(files["report.html"]); err != nil {
		return err
	}
	var m strings.Builder
	fmt.Fprintf(&m, "cunlu evidence pack\nregion %d %s\nperiod %s %s\nseed %d\naudit-head %s\nmade %s\n", p.Request.Region.ID, p.Request.Region.Name,
		p.Request.From.Format(time.DateOnly), p.Request.To.Format(time.DateOnly), p.Request.Seed, p.AuditHead, p.Made.UTC().Format(time.RFC3339))
	for _, name := range []string{"records.xlsx", "report.html"} {
		sum := sha256.Sum256(files[name].Bytes())
		fmt.Fprintf(&m, "sha256 %s %s\n", hex.EncodeToString(sum[:]), name)
	}
	fmt.Fprintf(&m, "hmac-sha256 %s\n", sign(key, m.String()))
	zw := zip.NewWriter(w)
	for _, name := range []string{"records.xlsx", "report.html"} {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: p.Made})
		if err != nil {
			return err
		}
		if _, err := fw.Write(files[name].Bytes()); err != nil {
			return err
		}
	}
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: manifestName, Method: zip.Deflate, Modified: p.Made})
	if err != nil {
		return err
	}
	if _, err := io.WriteString(fw, m.String()); err != nil {
		return err
	}
	return zw.Close()
}

func sign(key []byte, text string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("cunlu evidence pack\n"))
	mac.Write([]byte(text))
	return hex.EncodeToString(mac.Sum(nil))
}

// PackCheck is what VerifyPack found.
type PackCheck struct {
	Manifest string   // the manifest's lines, as signed
	Problems []string // empty when the pack is as it was made
}

// VerifyPack checks a pack: the manifest's signature under key, and each file against its
// SHA-256 in the manifest; a file added, removed or changed is a problem.
func VerifyPack(r io.ReaderAt, size int64, key []byte) (*PackCheck, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not an evidence pack (a zip file): %w", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(io.LimitReader(rc, 200<<20))
		rc.Close()
		if err != nil {
			return nil, err
		}
		files[f.Name] = b
	}
	chk := &PackCheck{}
	man, ok := files[manifestName]
	if !ok {
		chk.Problems = append(chk.Problems, "the pack has no "+manifestName)
		return chk, nil
	}
	text, sig, _ := strings.Cut(string(man), "hmac-sha256 ")
	chk.Manifest = text
	if !hmac.Equal([]byte(strings.TrimSpace(sig)), []byte(sign(key, text))) {
		chk.Problems = append(chk.Problems, "the manifest's signature does not match: the manifest was changed, or the pack was not made by this server")
	}
	listed := map[string]bool{manifestName: true}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[0] != "sha256" {
			continue
		}
		listed[f[2]] = true
		b, ok := files[f[2]]
		if !ok {
			chk.Problems = append(chk.Problems, f[2]+" is missing")
			continue
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != f[1] {
			chk.Problems = append(chk.Problems, f[2]+" was changed")
		}
	}
	for name := range files {
		if !listed[name] {
			chk.Problems = append(chk.Problems, name+" was added")
		}
	}
	slices.Sort(chk.Problems)
	return chk, nil
}

package account

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/csv"
	"errors"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/width"
	"gorm.io/gorm"

	"cunlu/app/errs"
)

// Limits of bulk enrolment. A file is read and checked whole up to MaxEnrolRows (so a dry
// run can report every mistake in a county's list), but one import creates at most
// MaxEnrolCreate partners: each needs its own password hash (~50 ms of a CPU core), and the
// import must finish well inside the request timeout.
const (
	MaxEnrolBytes  = 1 << 20
	MaxEnrolRows   = 2000
	MaxEnrolCreate = 200
)

// enrolBatch is how many accounts one INSERT carries.
const enrolBatch = 100

// EnrolRow is one data line of an enrolment file, as typed. Line is its line in the file
// (the header is line 1), so a coordinator can find it in Excel.
type EnrolRow struct {
	Line   int
	Name   string
	Phone  string
	Centre string
}

// enrolColumns maps the accepted header names to the three columns.
var enrolColumns = map[string]string{
	"name": "name", "姓名": "name",
	"phone": "phone", "手机号": "phone", "手机号码": "phone",
	"centre": "centre", "center": "centre", "服务站": "centre",
}

// ParseEnrolment reads an enrolment file: UTF-8 CSV (with or without a byte-order mark)
// whose first line names the columns name, phone, centre (or 姓名, 手机号, 服务站), in any
// order; other columns are ignored, and so are empty lines. It returns Invalid, with the
// field "csv", for a file that is not UTF-8 (a GBK "CSV" from older Excel), larger than
// MaxEnrolBytes, without the header, without data rows or with more than MaxEnrolRows.
// Rows are returned as typed: PlanEnrolment checks them.
func ParseEnrolment(r io.Reader) ([]EnrolRow, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxEnrolBytes+1))
	if err != nil {
		return nil, errs.Wrap(err, "read enrolment file")
	}
	if len(b) > MaxEnrolBytes {
		return nil, errs.Field("csv", "enrol.error.too_large").With("MaxMB", MaxEnrolBytes>>20)
	}
	if !utf8.Valid(b) {
		return nil, errs.Field("csv", "enrol.error.not_utf8")
	}
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1 // a short row is a row with empty cells, reported as such
	cr.LazyQuotes = true
	col := map[string]int{}
	var rows []EnrolRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, errs.Field("csv", "enrol.error.syntax").With("Line", pe.Line)
			}
			return nil, errs.Wrap(err, "read enrolment file")
		}
		if blank(rec) {
			continue
		}
		if len(col) == 0 {
			if col, err = enrolHeader(rec); err != nil {
				return nil, err
			}
			continue
		}
		if len(rows) == MaxEnrolRows {
			return nil, errs.Field("csv", "enrol.error.too_many_rows").With("Max", MaxEnrolRows)
		}
		line, _ := cr.FieldPos(0)
		cell := func(name string) string {
			if i := col[name]; i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		rows = append(rows, EnrolRow{Line: line, Name: cell("name"), Phone: cell("phone"), Centre: cell("centre")})
	}
	if len(col) == 0 {
		return nil, errs.Field("csv", "enrol.error.empty")
	}
	if len(rows) == 0 {
		return nil, errs.Field("csv", "enrol.error.no_rows")
	}
	return rows, nil
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func enrolHeader(rec []string) (map[string]int, error) {
	col := map[string]int{}
	for i, v := range rec {
		name, ok := enrolColumns[strings.ToLower(strings.TrimSpace(v))]
		if !ok {
			continue
		}
		if _, dup := col[name]; dup {
			return nil, errs.Field("csv", "enrol.error.header")
		}
		col[name] = i
	}
	if len(col) != 3 {
		return nil, errs.Field("csv", "enrol.error.header")
	}
	return col, nil
}

// EnrolReason is why a row cannot be imported: the column at fault and a catalog key.
type EnrolReason struct {
	Field string // "name", "phone" or "centre"
	Key   string
	Args  map[string]any
}

// EnrolProblem is a row that cannot be imported, with every reason found.
type EnrolProblem struct {
	EnrolRow
	Reasons []EnrolReason
}

// EnrolReady is a row that would become a partner: the login is the phone number.
type EnrolReady struct {
	Line   int
	Name   string
	Phone  string
	Centre Centre
}

// EnrolPlan is what an import would do: the partners it would create and the rows it
// cannot take. TooMany says the file has more rows than one import may create.
type EnrolPlan struct {
	Scope   *Region
	Ready   []EnrolReady
	Bad     []EnrolProblem
	Rows    int
	TooMany bool
}

// OK reports whether the plan may be carried out: every row good, and not too many.
func (p *EnrolPlan) OK() bool { return len(p.Bad) == 0 && len(p.Ready) > 0 && !p.TooMany }

// MaxCreate is MaxEnrolCreate, for templates.
func (p *EnrolPlan) MaxCreate() int { return MaxEnrolCreate }

// phoneScientific is how Excel shows a long number in a General-format cell (1.38E+10);
// saved that way the digits are lost.
var phoneScientific = regexp.MustCompile(`^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$`)

// PlanEnrolment checks rows as partners to be enrolled in the region scope, writing
// nothing: each name must be a valid name; each phone a mainland mobile number that is
// neither registered (as a phone or a login) nor repeated in the file; each centre the exact
// name, or the number, of a centre inside scope; a centre elsewhere is "not found in your
// area". Coordinators (for a region inside their own) and admins only; a region outside
// the coordinator's is NotFound.
func (s *Service) PlanEnrolment(ctx context.Context, actor *User, scope *Region, rows []EnrolRow) (*EnrolPlan, error) {
	if scope == nil {
		return nil, errs.New(errs.NotFound, "error.not_found")
	}
	region, err := s.RegionInScope(ctx, actor, scope.ID)
	if err != nil {
		return nil, err
	}
	centres, err := s.CentresWithin(ctx, region)
	if err != nil {
		return nil, err
	}
	byID := make(map[uint]Centre, len(centres))
	byName := make(map[string][]Centre, len(centres))
	for _, c := range centres {
		byID[c.ID] = c
		byName[c.Name] = append(byName[c.Name], c)
	}

	plan := &EnrolPlan{Scope: region, Rows: len(rows), TooMany: len(rows) > MaxEnrolCreate}
	phones := make([]string, len(rows))
	for i, r := range rows {
		phones[i] = NormalizePhone(width.Narrow.String(r.Phone))
	}
	taken, err := s.takenLogins(ctx, phones)
	if err != nil {
		return nil, err
	}
	firstLine := map[string]int{}
	for i, r := range rows {
		var why []EnrolReason
		bad := func(field, key string, args map[string]any) {
			why = append(why, EnrolReason{Field: field, Key: key, Args: args})
		}

		name, err := cleanName("name", r.Name, 50)
		var e *errs.Error
		switch {
		case err == nil:
		case errors.As(err, &e) && e.Key == "error.required":
			bad("name", "enrol.error.missing", nil)
		case errors.As(err, &e) && e.Key == "error.too_long":
			bad("name", "enrol.error.name_too_long", e.Args)
		case errors.As(err, &e) && e.Key == "error.text_invisible":
			bad("name", e.Key, nil)
		default:
			bad("name", "enrol.error.name_invalid", nil)
		}

		phone := phones[i]
		switch {
		case phone == "":
			bad("phone", "enrol.error.missing", nil)
		case phoneScientific.MatchString(phone):
			bad("phone", "enrol.error.phone_scientific", nil)
		case !phonePattern.MatchString(phone):
			bad("phone", "enrol.error.phone_invalid", nil)
		case firstLine[phone] != 0:
			bad("phone", "enrol.error.phone_repeated", map[string]any{"Line": firstLine[phone]})
		case taken[phone] != "":
			bad("phone", taken[phone], nil)
		}
		if phonePattern.MatchString(phone) && firstLine[phone] == 0 {
			firstLine[phone] = r.Line
		}

		var centre Centre
		if r.Centre == "" {
			bad("centre", "enrol.error.missing", nil)
		} else if same := byName[r.Centre]; len(same) == 1 {
			centre = same[0]
		} else if len(same) > 1 {
			bad("centre", "enrol.error.centre_ambiguous", nil)
		} else if id, err := strconv.ParseUint(r.Centre, 10, 32); err == nil && byID[uint(id)].ID != 0 {
			centre = byID[uint(id)]
		} else {
			bad("centre", "enrol.error.centre_not_found", nil)
		}

		if len(why) > 0 {
			plan.Bad = append(plan.Bad, EnrolProblem{EnrolRow: r, Reasons: why})
			continue
		}
		plan.Ready = append(plan.Ready, EnrolReady{Line: r.Line, Name: name, Phone: phone, Centre: centre})
	}
	return plan, nil
}

// takenLogins returns, for each of phones already held by an account as its phone or as
// its login, the catalog key saying which.
func (s *Service) takenLogins(ctx context.Context, phones []string) (map[string]string, error) {
	var want []string
	for _, p := range phones {
		if phonePattern.MatchString(p) {
			want = append(want, p)
		}
	}
	taken := map[string]string{}
	// IN lists are kept short: SQLite and PostgreSQL both limit bound parameters.
	for chunk := range slices.Chunk(want, 500) {
		var us []struct {
			Login string
			Phone *string
		}
		err := s.db.WithContext(ctx).Model(&User{}).Select("login, phone").
			Where("phone IN ? OR login IN ?", chunk, chunk).Scan(&us).Error
		if err != nil {
			return nil, errs.Wrap(err, "find registered phones")
		}
		for _, u := range us {
			if u.Phone != nil {
				taken[*u.Phone] = "enrol.error.phone_taken"
			}
			if taken[u.Login] == "" {
				taken[u.Login] = "enrol.error.login_taken"
			}
		}
	}
	return taken, nil
}

// EnrolCreated is one partner an import created, with the temporary password to hand over.
type EnrolCreated struct {
	User     *User
	Centre   Centre
	Password string
}

// EnrolResult is what an import created, in file order.
type EnrolResult struct {
	Scope   *Region
	Created []EnrolCreated
}

// Enrol checks rows again as PlanEnrolment does and, only if every row is good, creates
// all the partners in one transaction: all of them or, on any failure, none. Each gets a
// random temporary password, returned once in the result and stored only as a hash; the
// login is the phone number. It returns Invalid ("enrol.error.not_ready") when any row is
// bad or there are too many, and Conflict when a phone was registered by someone else
// between the check and the insert.
func (s *Service) Enrol(ctx context.Context, actor *User, scope *Region, rows []EnrolRow) (*EnrolResult, error) {
	plan, err := s.PlanEnrolment(ctx, actor, scope, rows)
	if err != nil {
		return nil, err
	}
	if !plan.OK() {
		return nil, errs.New(errs.Invalid, "enrol.error.not_ready")
	}
	res := &EnrolResult{Scope: plan.Scope, Created: make([]EnrolCreated, len(plan.Ready))}
	users := make([]*User, len(plan.Ready))
	now := s.now()
	for i, r := range plan.Ready {
		u := &User{Login: r.Phone, Name: r.Name, Phone: &r.Phone, Role: RolePartner, CentreID: &r.Centre.ID,
			Active: true, RegisteredByID: &actor.ID, MustChangePassword: true, CreatedAt: now, UpdatedAt: now}
		users[i] = u
		res.Created[i] = EnrolCreated{User: u, Centre: r.Centre, Password: temporaryPassword(u.Login)}
	}
	// Hashing is slow, so it happens before the transaction, which then holds the
	// database only for the inserts.
	if err := s.hashAll(ctx, res.Created); err != nil {
		return nil, err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.CreateInBatches(users, enrolBatch).Error; err != nil {
			return err
		}
		return CountLearners(tx, users...)
	})
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return nil, errs.New(errs.Conflict, "enrol.error.conflict")
	}
	if err != nil {
		return nil, errs.Wrap(err, "enrol partners")
	}
	return res, nil
}

// temporaryPassword returns ten random lower-case letters and digits (50 bits): easy to
// read out and type on a phone, and passing the password rules.
func temporaryPassword(login string) string {
	for {
		p := strings.ToLower(rand.Text()[:10])
		if CheckPassword(p, login) == nil {
			return p
		}
	}
}

// hashAll hashes each temporary password into its account, on as many goroutines as the
// hasher has slots; it stops handing out work once ctx is done.
func (s *Service) hashAll(ctx context.Context, created []EnrolCreated) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for range cap(s.hash.slots) {
		wg.Go(func() {
			for i := range next {
				h, err := s.hash.Hash(created[i].Password)
				if err != nil {
					mu.Lock()
					first = cmp.Or(first, errs.Wrap(err, "hash password"))
					mu.Unlock()
					continue
				}
				created[i].User.PasswordHash = h
			}
		})
	}
	for i := range created {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return first
}

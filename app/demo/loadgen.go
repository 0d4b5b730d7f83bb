package demo

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/course"
	"cunlu/app/progress"
)

// LoadSize is the shape of a generated data set.
type LoadSize struct {
	Townships   int
	Villages    int // per township
	Partners    int
	Villagers   int
	Answers     int // quiz answers (attempts × questions)
	ShopOrders  int
	ActiveWeeks int
	// BusyShopperOrders, when above zero, sets aside the first two villagers for measuring
	// checkout against history: lv00002 gets this many past orders and lv00001 exactly
	// one, and neither gets any of the ShopOrders, which go to everyone else (with at least
	// four villagers).
	BusyShopperOrders int
}

// CountyScale is the data set the speed budgets are measured on.
var CountyScale = LoadSize{Townships: 20, Villages: 25, Partners: 10000, Villagers: 30000, Answers: 1_000_000, ShopOrders: 200_000, ActiveWeeks: 8, BusyShopperOrders: 2000}

// Generate fills an empty, migrated database with a realistic county: regions, centres,
// partners and villagers, quiz attempts with every answer, lesson progress, practice
// tasks, certificates, sandbox orders and activity — and the report roll-ups computed from
// them, exactly as the live writes would have kept them. It is deterministic (seeded) and
// reports progress to w. Sign in as "loadcoord" / LoadPassword to see the county. Passwords
// are hashed with hash and the villagers' PIN (LoadPIN) with hashPIN: the caller decides how
// each kind of secret is stored, as the live accounts do.
func Generate(ctx context.Context, g *gorm.DB, cat *course.Catalog, size LoadSize, hash, hashPIN func(string) (string, error), w io.Writer) error {
	var n int64
	if err := g.WithContext(ctx).Table("users").Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("the database already has %d accounts: generate into an empty one", n)
	}
	pwHash, err := hash(LoadPassword)
	if err != nil {
		return err
	}
	pinHash, err := hashPIN(LoadPIN)
	if err != nil {
		return err
	}
	gen := &generator{ctx: ctx, g: g.WithContext(ctx), cat: cat, size: size, r: rand.New(rand.NewPCG(42, 2026)), w: w, pw: pwHash, pin: pinHash, now: time.Now().UTC()}
	steps := []struct {
		name string
		run  func() error
	}{
		{"regions and centres", gen.places},
		{"accounts", gen.accounts},
		{"quiz attempts and answers", gen.attempts},
		{"practice shop orders", gen.orders},
		{"activity", gen.activity},
		{"roll-ups", gen.rollups},
	}
	for _, st := range steps {
		start := time.Now()
		if err := st.run(); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		fmt.Fprintf(w, "  %-28s %s\n", st.name, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// LoadPassword is the password of every generated account.
const LoadPassword = "load-test-pass"

// LoadPIN is the PIN of every generated villager, who signs in at /login/pin with it and
// their phone number (LoadPhone).
const LoadPIN = "260418"

// LoadPhone is the phone number of the generated partner (lpNNNNN) or villager (lvNNNNN)
// numbered n from 1: 150 or 151 and then n-1 in eight digits (lv00001 is 15100000000).
func LoadPhone(role account.Role, n int) string {
	prefix := 150
	if role == account.RoleVillager {
		prefix = 151
	}
	return fmt.Sprintf("%d%08d", prefix, n-1)
}

type generator struct {
	ctx  context.Context
	g    *gorm.DB
	cat  *course.Catalog
	size LoadSize
	r    *rand.Rand
	w    io.Writer
	pw   string
	pin  string
	now  time.Time

	county   uint
	centres  []uint
	partners []uint
	learners []learnerInfo
	progress map[lpKey]*progress.LessonProgress
	qstats   map[qsKey]*[7]int // answers, wrong, options a–e
	scores   map[[2]uint]int   // (centre, bucket) → attempts
	tasks    map[uint]map[string]bool
}

type learnerInfo struct {
	id, centre uint
	audience   string
	lastSeen   time.Time
}

// insert writes rows (a slice) in batches; an empty slice writes nothing.
func (gen *generator) insert(rows any, size int) error {
	if v := reflect.ValueOf(rows); v.Kind() == reflect.Slice && v.Len() == 0 || v.Kind() == reflect.Pointer && v.Elem().Len() == 0 {
		return nil
	}
	return gen.g.CreateInBatches(rows, size).Error
}

func (gen *generator) places() error {
	return gen.g.Transaction(func(tx *gorm.DB) error {
		region := func(name string, level account.Level, parent *account.Region) (*account.Region, error) {
			r := &account.Region{Name: name, Level: level, CreatedAt: gen.now, UpdatedAt: gen.now}
			path := "/"
			if parent != nil {
				r.ParentID, path = &parent.ID, parent.Path
			}
			if err := tx.Create(r).Error; err != nil {
				return nil, err
			}
			r.Path = fmt.Sprintf("%s%d/", path, r.ID)
			return r, tx.Model(r).Update("path", r.Path).Error
		}
		county, err := region("负载测试县", account.LevelCounty, nil)
		if err != nil {
			return err
		}
		gen.county = county.ID
		for t := 0; t < gen.size.Townships; t++ {
			town, err := region(fmt.Sprintf("第%02d镇", t+1), account.LevelTownship, county)
			if err != nil {
				return err
			}
			for v := 0; v < gen.size.Villages; v++ {
				village, err := region(fmt.Sprintf("第%02d镇%02d村", t+1, v+1), account.LevelVillage, town)
				if err != nil {
					return err
				}
				c := &account.Centre{RegionID: village.ID, Name: village.Name + "服务站", CreatedAt: gen.now, UpdatedAt: gen.now}
				if err := tx.Create(c).Error; err != nil {
					return err
				}
				gen.centres = append(gen.centres, c.ID)
			}
		}
		return nil
	})
}

func (gen *generator) accounts() error {
	coord := &account.User{Login: "loadcoord", Name: "负载测试辅导员", Role: account.RoleCoordinator, RegionID: &gen.county, PasswordHash: gen.pw, Active: true, CreatedAt: gen.now, UpdatedAt: gen.now}
	if err := gen.g.Create(coord).Error; err != nil {
		return err
	}
	var users []*account.User
	add := func(i int, role account.Role, prefix string) {
		centre := gen.centres[i%len(gen.centres)]
		phone := LoadPhone(role, i+1)
		// Most learners came this week; some have not been back for weeks.
		seen := gen.now.Add(-time.Duration(gen.r.ExpFloat64()*4*24) * time.Hour)
		u := &account.User{Login: fmt.Sprintf("%s%05d", prefix, i+1), Name: fmt.Sprintf("%s%05d", map[account.Role]string{account.RolePartner: "合伙人", account.RoleVillager: "村民"}[role], i+1),
			Phone: &phone, Role: role, CentreID: &centre, PasswordHash: gen.pw, Active: true, LastSeenAt: &seen, CreatedAt: gen.now, UpdatedAt: gen.now}
		if role == account.RoleVillager {
			u.PINHash = gen.pin
		}
		users = append(users, u)
	}
	for i := 0; i < gen.size.Partners; i++ {
		add(i, account.RolePartner, "lp")
	}
	for i := 0; i < gen.size.Villagers; i++ {
		add(i, account.RoleVillager, "lv")
	}
	if err := gen.insert(users, 500); err != nil {
		return err
	}
	for _, u := range users {
		aud := course.AudiencePartner
		if u.Role == account.RoleVillager {
			aud = course.AudienceVillager
		} else {
			gen.partners = append(gen.partners, u.ID)
		}
		gen.learners = append(gen.learners, learnerInfo{id: u.ID, centre: *u.CentreID, audience: aud, lastSeen: *u.LastSeenAt})
	}
	return nil
}

type lpKey struct {
	user           uint
	course, lesson string
}

type qsKey struct {
	centre                   uint
	course, lesson, question string
}

// attempts makes learners work through their lessons in order, with retries, until the
// data set has its number of answers; it keeps the roll-ups on the side.
func (gen *generator) attempts() error {
	gen.progress = map[lpKey]*progress.LessonProgress{}
	gen.qstats = map[qsKey]*[7]int{}
	gen.scores = map[[2]uint]int{}
	gen.tasks = map[uint]map[string]bool{}
	answers := 0
	var atts []progress.Attempt
	var ans [][]progress.Answer
	flush := func() error {
		if len(atts) == 0 {
			return nil
		}
		if err := gen.insert(&atts, 500); err != nil {
			return err
		}
		var rows []progress.Answer
		for i := range atts {
			for _, a := range ans[i] {
				a.AttemptID = atts[i].ID
				rows = append(rows, a)
			}
		}
		atts, ans = atts[:0], ans[:0]
		return gen.insert(rows, 1000)
	}
	seq := 0
	for round := 0; answers < gen.size.Answers && round < 50; round++ {
		for li := range gen.learners {
			if answers >= gen.size.Answers {
				break
			}
			ln := &gen.learners[li]
			// Partners learn more than villagers; everyone at a different pace.
			if ln.audience == course.AudienceVillager && gen.r.IntN(3) != 0 {
				continue
			}
			l := gen.nextLesson(ln)
			if l == nil {
				continue
			}
			qs := l.In(course.Langs[0]).Quiz.Questions
			at := gen.now.Add(-time.Duration(gen.r.IntN(56*24)) * time.Hour)
			seq++
			a := progress.Attempt{UserID: ln.id, AttemptKey: fmt.Sprintf("load-%08d", seq), Course: l.Course.Slug, Lesson: l.Slug, Lang: course.Langs[0], Total: len(qs), CreatedAt: at}
			var rows []progress.Answer
			skill := 0.55 + gen.r.Float64()*0.4
			for qi, q := range qs {
				chosen := int(q.CorrectMask())
				// Some questions are harder than others: the third option tempts people.
				difficulty := float64((qi*7+len(l.Slug))%5) * 0.06
				right := gen.r.Float64() < skill-difficulty
				if !right {
					wrong := (qi + 2) % len(q.Options)
					if gen.r.IntN(3) == 0 {
						wrong = gen.r.IntN(len(q.Options))
					}
					chosen = 1 << wrong
					right = chosen == int(q.CorrectMask())
				}
				if right {
					a.Right++
				}
				rows = append(rows, progress.Answer{UserID: ln.id, Course: a.Course, Lesson: a.Lesson, Question: q.ID, Chosen: chosen, Correct: right})
				k := qsKey{ln.centre, a.Course, a.Lesson, q.ID}
				st := gen.qstats[k]
				if st == nil {
					st = &[7]int{}
					gen.qstats[k] = st
				}
				st[0]++
				if !right {
					st[1]++
				}
				for b := 0; b < 5; b++ {
					st[2+b] += chosen >> b & 1
				}
			}
			a.Passed = a.Right >= l.PassMark()
			gen.scores[[2]uint{ln.centre, uint(a.Right * 10 / a.Total)}]++
			gen.record(ln, l, a)
			atts, ans = append(atts, a), append(ans, rows)
			answers += len(rows)
			if len(atts) >= 2000 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	var lps []*progress.LessonProgress
	for _, p := range gen.progress {
		lps = append(lps, p)
	}
	if err := gen.insert(lps, 500); err != nil {
		return err
	}
	var trs []progress.TaskCompletion
	for uid, ts := range gen.tasks {
		for t := range ts {
			trs = append(trs, progress.TaskCompletion{UserID: uid, TaskID: t, Evidence: "load", CompletedAt: gen.now})
		}
	}
	fmt.Fprintf(gen.w, "  %d answers in %d attempts, %d lessons in progress, %d tasks\n", answers, seq, len(lps), len(trs))
	return gen.insert(trs, 1000)
}

// nextLesson is the learner's first lesson not yet passed, in catalogue order, or nil.
func (gen *generator) nextLesson(ln *learnerInfo) *course.Lesson {
	for _, c := range gen.cat.Courses {
		if !c.For(ln.audience) {
			continue
		}
		for _, l := range c.LessonsFor(ln.audience) {
			if p := gen.progress[lpKey{ln.id, c.Slug, l.Slug}]; p == nil || p.PassedAt == nil {
				return l
			}
		}
	}
	return nil
}

func (gen *generator) record(ln *learnerInfo, l *course.Lesson, a progress.Attempt) {
	k := lpKey{ln.id, l.Course.Slug, l.Slug}
	p := gen.progress[k]
	if p == nil {
		p = &progress.LessonProgress{UserID: ln.id, Course: k.course, Lesson: k.lesson, StartedAt: a.CreatedAt, LastSeenAt: a.CreatedAt}
		gen.progress[k] = p
	}
	p.Attempts++
	p.BestRight = max(p.BestRight, a.Right)
	if a.CreatedAt.After(p.LastSeenAt) {
		p.LastSeenAt = a.CreatedAt
	}
	if a.Passed && p.PassedAt == nil {
		t := a.CreatedAt
		p.PassedAt = &t
		// Most learners then do the lesson's practice task in the shop.
		if gen.r.IntN(10) < 7 {
			if gen.tasks[ln.id] == nil {
				gen.tasks[ln.id] = map[string]bool{}
			}
			for _, t := range l.Tasks {
				gen.tasks[ln.id][t] = true
			}
		}
	}
}

type orderRow struct {
	ID            uint
	UserID        uint
	CheckoutKey   string
	Delivery      string
	CentreID      *uint
	Payment       string
	GoodsCents    int64
	ShippingCents int64
	TotalCents    int64
	PlacedAt      time.Time
	ShipAt        time.Time
	WarehouseAt   time.Time
	ArriveAt      time.Time
	PickedUpAt    *time.Time
	PickupCode    string
	CreatedAt     time.Time
}

func (orderRow) TableName() string { return "sandbox_orders" }

type orderItemRow struct {
	OrderID    uint
	ProductID  uint
	PriceCents int64
	Qty        int
}

func (orderItemRow) TableName() string { return "sandbox_order_items" }

// orders places practice-shop orders (cash on pickup, so no wallet moves) for learners, and
// the busy shopper's and the one-order shopper's (BusyShopperOrders).
func (gen *generator) orders() error {
	var products []struct {
		ID         uint
		PriceCents int64
	}
	if err := gen.g.Table("shop_products").Select("id, price_cents").Where("active AND scam_id = ''").Scan(&products).Error; err != nil {
		return err
	}
	if len(products) == 0 {
		return fmt.Errorf("the shop catalogue is not loaded")
	}
	// The villagers lv00001 and lv00002 follow the partners in gen.learners.
	first := gen.size.Partners
	reserved := gen.size.BusyShopperOrders > 0 && gen.size.Villagers >= 4
	total := gen.size.ShopOrders
	if reserved {
		total += 1 + gen.size.BusyShopperOrders
	}
	for start := 0; start < total; start += 5000 {
		n := min(5000, total-start)
		orders := make([]orderRow, n)
		prods := make([]int, n)
		for i := range orders {
			var ln learnerInfo
			switch k := start + i; {
			case k < gen.size.ShopOrders:
				j := gen.r.IntN(len(gen.learners))
				if reserved && (j == first || j == first+1) {
					j += 2 // a villager who is not set aside
				}
				ln = gen.learners[j]
			case k == gen.size.ShopOrders:
				ln = gen.learners[first] // lv00001's one order
			default:
				ln = gen.learners[first+1] // lv00002's many
			}
			p := gen.r.IntN(len(products))
			at := gen.now.Add(-time.Duration(gen.r.IntN(56*24)) * time.Hour)
			centre := ln.centre
			o := orderRow{UserID: ln.id, CheckoutKey: fmt.Sprintf("load-order-%08d", start+i), Delivery: "pickup", CentreID: &centre, Payment: "cash",
				GoodsCents: products[p].PriceCents, TotalCents: products[p].PriceCents, PlacedAt: at, ShipAt: at.Add(3 * time.Hour),
				WarehouseAt: at.Add(20 * time.Hour), ArriveAt: at.Add(44 * time.Hour), PickupCode: fmt.Sprintf("%06d", gen.r.IntN(1000000)), CreatedAt: at}
			if gen.r.IntN(2) == 0 {
				t := at.Add(50 * time.Hour)
				o.PickedUpAt = &t
			}
			orders[i], prods[i] = o, p
		}
		if err := gen.insert(&orders, 500); err != nil {
			return err
		}
		items := make([]orderItemRow, n)
		for i := range orders {
			items[i] = orderItemRow{OrderID: orders[i].ID, ProductID: products[prods[i]].ID, PriceCents: products[prods[i]].PriceCents, Qty: 1}
		}
		if err := gen.insert(items, 1000); err != nil {
			return err
		}
	}
	if reserved {
		fmt.Fprintf(gen.w, "  lv00001 has 1 past order, lv00002 has %d\n", gen.size.BusyShopperOrders)
	}
	return nil
}

type activityRow struct {
	UserID uint
	Week   string
}

func (activityRow) TableName() string { return "user_activity" }

type centreWeekRow struct {
	CentreID uint
	Week     string
	Active   int
}

func (centreWeekRow) TableName() string { return "centre_weekly_active" }

// activity marks the weeks learners came, over the last weeks (regulars most weeks, others
// less), with the per-centre weekly totals the live writes keep.
func (gen *generator) activity() error {
	var rows []activityRow
	perCentre := map[[2]string]int{}
	for _, ln := range gen.learners {
		keen := gen.r.Float64()
		seen := map[string]bool{account.WeekOf(ln.lastSeen): true}
		for w := 1; w < gen.size.ActiveWeeks; w++ {
			if gen.r.Float64() < keen {
				seen[account.WeekOf(gen.now.AddDate(0, 0, -7*w))] = true
			}
		}
		for week := range seen {
			rows = append(rows, activityRow{ln.id, week})
			perCentre[[2]string{fmt.Sprint(ln.centre), week}]++
		}
	}
	if err := gen.insert(rows, 1000); err != nil {
		return err
	}
	var cw []centreWeekRow
	for k, n := range perCentre {
		var id uint
		fmt.Sscan(k[0], &id)
		cw = append(cw, centreWeekRow{CentreID: id, Week: k[1], Active: n})
	}
	return gen.insert(cw, 1000)
}

type centreStatsRow struct {
	CentreID                      uint
	Role                          string
	Mastered, Tasks, Certificates int
	Learners                      int // every generated learner is active, as account.CountLearners counts them
}

func (centreStatsRow) TableName() string { return "centre_stats" }

type qsRow struct {
	CentreID                 uint
	Course, Lesson, Question string
	Answers, Wrong           int
	OptA                     int `gorm:"column:opt_a"`
	OptB                     int `gorm:"column:opt_b"`
	OptC                     int `gorm:"column:opt_c"`
	OptD                     int `gorm:"column:opt_d"`
	OptE                     int `gorm:"column:opt_e"`
}

func (qsRow) TableName() string { return "question_stats" }

type scoreRow struct {
	CentreID uint
	Bucket   int
	Attempts int
}

func (scoreRow) TableName() string { return "score_stats" }

// rollups writes the report tables from what was generated, the way the live writes keep
// them: mastery is a passed quiz plus the lesson's practice tasks; a course fully mastered
// earns its certificate.
func (gen *generator) rollups() error {
	byUser := map[uint][]*progress.LessonProgress{}
	for _, p := range gen.progress {
		byUser[p.UserID] = append(byUser[p.UserID], p)
	}
	var stats []progress.LearnerStats
	var cstats []progress.CourseStats
	var certs []progress.Certificate
	type centreKey struct {
		centre uint
		role   string
	}
	centres := map[centreKey]centreStatsRow{}
	for _, ln := range gen.learners {
		st := progress.LearnerStats{UserID: ln.id, TasksDone: len(gen.tasks[ln.id]), UpdatedAt: gen.now}
		for _, p := range byUser[ln.id] {
			st.Attempts += p.Attempts
			if p.PassedAt != nil {
				st.LessonsPassed++
			} else if p.Attempts >= 3 {
				st.Stuck++
			}
		}
		for _, c := range gen.cat.Courses {
			if !c.For(ln.audience) {
				continue
			}
			m, t := 0, 0
			for _, l := range c.LessonsFor(ln.audience) {
				t++
				p := gen.progress[lpKey{ln.id, c.Slug, l.Slug}]
				if p == nil || p.PassedAt == nil {
					continue
				}
				done := true
				for _, task := range l.Tasks {
					done = done && gen.tasks[ln.id][task]
				}
				if done {
					m++
				}
			}
			st.LessonsMastered += m
			cstats = append(cstats, progress.CourseStats{UserID: ln.id, Course: c.Slug, Mastered: m, Total: t})
			if m == t && t > 0 {
				st.Certificates++
				certs = append(certs, progress.Certificate{Code: fmt.Sprintf("load%022d", len(certs)+1), UserID: ln.id, Course: c.Slug, HolderName: fmt.Sprint(ln.id), IssuedAt: gen.now})
			}
		}
		stats = append(stats, st)
		role := "partner"
		if ln.audience == course.AudienceVillager {
			role = "villager"
		}
		k := centreKey{ln.centre, role}
		cs := centres[k]
		cs.Mastered += st.LessonsMastered
		cs.Tasks += st.TasksDone
		cs.Certificates += st.Certificates
		cs.Learners++
		centres[k] = cs
	}
	var csRows []centreStatsRow
	for k, v := range centres {
		v.CentreID, v.Role = k.centre, k.role
		csRows = append(csRows, v)
	}
	var qs []qsRow
	for k, v := range gen.qstats {
		qs = append(qs, qsRow{CentreID: k.centre, Course: k.course, Lesson: k.lesson, Question: k.question, Answers: v[0], Wrong: v[1], OptA: v[2], OptB: v[3], OptC: v[4], OptD: v[5], OptE: v[6]})
	}
	var ss []scoreRow
	for k, v := range gen.scores {
		ss = append(ss, scoreRow{CentreID: k[0], Bucket: int(k[1]), Attempts: v})
	}
	for _, rows := range []any{stats, cstats, certs, qs, ss, csRows} {
		if err := gen.insert(rows, 1000); err != nil {
			return err
		}
	}
	fmt.Fprintf(gen.w, "  %d certificates\n", len(certs))
	return nil
}

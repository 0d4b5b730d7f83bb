package account_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
)

// learnerCounts reads the kept counts (kept) and counts the accounts again (recount):
// active partners and villagers per centre and role.
func learnerCounts(t *testing.T, g *gorm.DB) (kept, recount map[string]int) {
	t.Helper()
	read := func(q *gorm.DB) map[string]int {
		var rows []struct {
			CentreID uint
			Role     string
			N        int
		}
		if err := q.Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, r := range rows {
			if r.N != 0 {
				m[fmt.Sprintf("%d/%s", r.CentreID, r.Role)] = r.N
			}
		}
		return m
	}
	kept = read(g.Table("centre_stats").Select("centre_id, role, learners AS n"))
	recount = read(g.Table("users").Select("centre_id, role, COUNT(*) AS n").
		Where("active AND role IN ? AND centre_id IS NOT NULL", []account.Role{account.RolePartner, account.RoleVillager}).Group("centre_id, role"))
	return kept, recount
}

// TestLearnerCountsMatchRecount: every write that creates, moves, deactivates or
// reactivates an account moves its centre's learner count in the same transaction. After
// a few hundred random ones, four at a time (some on the same account at once), the
// counts must equal a recount of the accounts.
func TestLearnerCountsMatchRecount(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		centres := []uint{w.centreAlder.ID, w.centreAspen.ID, w.centreBirch.ID}
		centreNames := []string{"Alder centre", "Aspen centre", "Birch centre"}
		var mu sync.Mutex
		people := []*account.User{w.partnerA1, w.partnerA2, w.partnerB1, w.villagerA1, w.coordA}
		pick := func(r *rand.Rand) *account.User {
			mu.Lock()
			defer mu.Unlock()
			return people[r.IntN(len(people))]
		}
		add := func(u *account.User) {
			mu.Lock()
			defer mu.Unlock()
			people = append(people, u)
		}
		var serial atomic.Int64
		step := func(r *rand.Rand) {
			n := serial.Add(1)
			centre := r.IntN(len(centres))
			switch op := r.IntN(10); {
			case op < 2: // an admin creates a partner, villager or coordinator
				f := account.AccountForm{Login: fmt.Sprintf("new%04d", n), Name: "New", Password: "river-stone-42", CentreID: centres[centre]}
				switch r.IntN(3) {
				case 0:
					f.Role = account.RolePartner
				case 1:
					f.Role, f.Phone, f.PIN, f.Password = account.RoleVillager, fmt.Sprintf("1370%07d", n), "739154", ""
				default:
					f.Role, f.RegionID = account.RoleCoordinator, w.county.ID
				}
				u, err := w.svc.CreateAccount(w.ctx, w.admin, f)
				if err != nil {
					t.Errorf("CreateAccount: %v", err)
					return
				}
				add(u)
			case op < 3: // a partner registers a villager at their centre
				u, err := w.svc.RegisterVillager(w.ctx, w.partnerA1, account.VillagerForm{Name: "Registered", Phone: fmt.Sprintf("1360%07d", n), PIN: "739154", CentreID: w.centreAlder.ID})
				if err != nil {
					t.Errorf("RegisterVillager: %v", err)
					return
				}
				add(u)
			case op < 4: // a coordinator enrols two partners
				text := fmt.Sprintf("name,phone,centre\nE1,1350%07d,%s\nE2,1351%07d,%s\n", n, centreNames[centre], n, centreNames[r.IntN(len(centres))])
				res, err := w.svc.Enrol(w.ctx, w.coordCounty, w.county, parse(t, text))
				if err != nil {
					t.Errorf("Enrol: %v", err)
					return
				}
				for _, c := range res.Created {
					add(c.User)
				}
			case op < 7: // an admin moves someone to a centre (perhaps the one they are at)
				u := pick(r)
				f := account.AccountForm{Login: u.Login, Name: u.Name, Phone: u.PhoneNumber(), CentreID: centres[centre]}
				if u.RegionID != nil {
					f.RegionID = *u.RegionID
				}
				if err := w.svc.UpdateAccount(w.ctx, w.admin, u.ID, f); err != nil {
					t.Errorf("UpdateAccount %s: %v", u.Login, err)
				}
			default: // an admin deactivates or reactivates someone (perhaps again)
				u := pick(r)
				if err := w.svc.SetActive(w.ctx, w.admin, u.ID, r.IntN(2) == 0); err != nil {
					t.Errorf("SetActive %s: %v", u.Login, err)
				}
			}
		}
		r := rand.New(rand.NewPCG(3, 4))
		for round := range 40 {
			var wg sync.WaitGroup
			for range 4 {
				rr := rand.New(rand.NewPCG(r.Uint64(), r.Uint64()))
				wg.Go(func() { step(rr) })
			}
			wg.Wait()
			if round%10 == 9 {
				kept, recount := learnerCounts(t, g)
				if !maps.Equal(kept, recount) {
					t.Fatalf("round %d: kept learner counts %v, recount %v", round, kept, recount)
				}
			}
		}
		// One account moved and switched on and off by eight admins at once: each write
		// must take it out of the centre it is in by then, not the one it was read in.
		for round := range 5 {
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					centre := centres[(round+i)%len(centres)]
					if i%3 == 2 {
						if err := w.svc.SetActive(w.ctx, w.admin, w.partnerA2.ID, i%2 == 0); err != nil {
							t.Errorf("SetActive: %v", err)
						}
						return
					}
					f := account.AccountForm{Login: w.partnerA2.Login, Name: w.partnerA2.Name, CentreID: centre}
					if err := w.svc.UpdateAccount(w.ctx, w.admin, w.partnerA2.ID, f); err != nil {
						t.Errorf("UpdateAccount: %v", err)
					}
				})
			}
			wg.Wait()
			if kept, recount := learnerCounts(t, g); !maps.Equal(kept, recount) {
				t.Fatalf("one account, eight writes at once, round %d: kept learner counts %v, recount %v", round, kept, recount)
			}
		}
		kept, _ := learnerCounts(t, g)
		if len(kept) < 4 {
			t.Errorf("only %d centre and role counts after the run: %v", len(kept), kept)
		}
		// The sums progress keeps in the same rows are left alone.
		var other int64
		if err := g.Table("centre_stats").Where("mastered <> 0 OR tasks <> 0 OR certificates <> 0").Count(&other).Error; err != nil || other != 0 {
			t.Errorf("%d rows with sums from learner counting (%v)", other, err)
		}
	})
}

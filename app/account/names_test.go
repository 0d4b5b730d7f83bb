package account_test

import (
	"fmt"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
)

// invisibles are characters that show a name otherwise than it is stored: direction
// controls (right-to-left override and isolate, right-to-left mark, the Arabic letter mark),
// a zero-width space, a byte-order mark and a Hangul filler.
var invisibles = []rune{0x202E, 0x2067, 0x200F, 0x061C, 0x200B, 0xFEFF, 0x3164}

// TestNamesRefuseInvisibleCharacters: every name an account or a place is known by refuses
// invisible characters with a field error, and nothing is stored.
func TestNamesRefuseInvisibleCharacters(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		partner := func(name, login string) account.AccountForm {
			return account.AccountForm{Login: login, Name: name, Role: account.RolePartner, CentreID: w.centreAlder.ID, Password: "a-long-new-pass-7"}
		}
		centre := func(name, address string) account.CentreForm {
			return account.CentreForm{Name: name, Address: address, RegionID: w.alder.ID}
		}
		cases := []struct {
			field, key string
			try        func(v string) error
		}{
			{"name", "error.text_invisible", func(v string) error {
				_, err := w.svc.CreateAccount(w.ctx, w.admin, partner("王"+v+"磊", "new-partner"))
				return err
			}},
			{"login", "error.login_invalid", func(v string) error {
				_, err := w.svc.CreateAccount(w.ctx, w.admin, partner("王磊", "new"+v+"partner"))
				return err
			}},
			{"name", "error.text_invisible", func(v string) error {
				return w.svc.UpdateAccount(w.ctx, w.admin, w.partnerA1.ID, partner("Partner"+v+" A1", "partner-a1"))
			}},
			{"name", "error.text_invisible", func(v string) error {
				_, err := w.svc.RegisterVillager(w.ctx, w.partnerA1, account.VillagerForm{Name: "赵" + v + "大爷", Phone: "13911113333", PIN: "246813", CentreID: w.centreAlder.ID})
				return err
			}},
			{"name", "error.text_invisible", func(v string) error {
				_, err := w.svc.CreateRegion(w.ctx, w.admin, account.RegionForm{Name: "新" + v + "村", Level: account.LevelVillage, ParentID: w.townA.ID})
				return err
			}},
			{"name", "error.text_invisible", func(v string) error { return w.svc.RenameRegion(w.ctx, w.admin, w.alder.ID, "Alder"+v) }},
			{"name", "error.text_invisible", func(v string) error {
				_, err := w.svc.CreateCentre(w.ctx, w.admin, centre("新"+v+"服务站", "村口"))
				return err
			}},
			{"address", "error.text_invisible", func(v string) error {
				_, err := w.svc.CreateCentre(w.ctx, w.admin, centre("新服务站", "村口"+v+"三号"))
				return err
			}},
			{"name", "error.text_invisible", func(v string) error {
				return w.svc.UpdateCentre(w.ctx, w.admin, w.centreAlder.ID, centre(v+"Alder centre", ""))
			}},
			{"address", "error.text_invisible", func(v string) error {
				return w.svc.UpdateCentre(w.ctx, w.admin, w.centreAlder.ID, centre("Alder centre", "Main road"+v))
			}},
		}
		names := func() string {
			var all []string
			must(t, g.Model(&account.User{}).Order("id").Pluck("name", &all).Error)
			var more []string
			must(t, g.Model(&account.Region{}).Order("id").Pluck("name", &more).Error)
			all = append(all, more...)
			must(t, g.Model(&account.Centre{}).Order("id").Select("name || '|' || address").Scan(&more).Error)
			return fmt.Sprint(append(all, more...))
		}
		before := names()
		for _, r := range invisibles {
			for i, tc := range cases {
				t.Run(fmt.Sprintf("%d %s %U", i, tc.field, r), func(t *testing.T) {
					wantFieldErr(t, tc.try(string(r)), tc.field, tc.key)
				})
			}
		}
		if after := names(); after != before {
			t.Errorf("refused names changed what is stored:\n%s\n%s", before, after)
		}

		// Bulk enrolment reports the row, and imports nothing.
		rows := []account.EnrolRow{{Line: 2, Name: "王秀\u202e英", Phone: "13900000001", Centre: "Alder centre"}}
		plan, err := w.svc.PlanEnrolment(w.ctx, w.coordCounty, w.county, rows)
		must(t, err)
		if len(plan.Bad) != 1 || len(plan.Bad[0].Reasons) != 1 || plan.Bad[0].Reasons[0].Field != "name" || plan.Bad[0].Reasons[0].Key != "error.text_invisible" {
			t.Errorf("enrolment plan %+v, want the name refused as invisible", plan.Bad)
		}
		_, err = w.svc.Enrol(w.ctx, w.coordCounty, w.county, rows)
		wantErr(t, err, "invalid", "enrol.error.not_ready")
		if n := w.countUsers(t, "phone = ?", "13900000001"); n != 0 {
			t.Errorf("%d partners enrolled from a refused list", n)
		}
	})
}

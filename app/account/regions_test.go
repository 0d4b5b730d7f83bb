package account_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
)

func TestCreateRegion(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		ctx := context.Background()
		w := &world{ctx: ctx, g: g, clock: newClock()}
		w.svc = account.NewService(g, account.Options{PINKey: testPINKey, Now: w.clock.Now})
		w.admin = w.addUser(t, account.User{Login: "ops", Name: "Ops", Role: account.RoleAdmin})
		partner := w.addUser(t, account.User{Login: "partner", Name: "Partner", Role: account.RolePartner})

		county, err := w.svc.CreateRegion(ctx, w.admin, account.RegionForm{Name: "  清水县 ", Level: account.LevelCounty})
		must(t, err)
		township, err := w.svc.CreateRegion(ctx, w.admin, account.RegionForm{Name: "河口镇", Level: account.LevelTownship, ParentID: county.ID})
		must(t, err)
		village, err := w.svc.CreateRegion(ctx, w.admin, account.RegionForm{Name: "柳树村", Level: account.LevelVillage, ParentID: township.ID})
		must(t, err)

		wants := []struct {
			r      *account.Region
			name   string
			parent *account.Region
			path   string
			depth  int
		}{
			{county, "清水县", nil, fmt.Sprintf("/%d/", county.ID), 0},
			{township, "河口镇", county, fmt.Sprintf("/%d/%d/", county.ID, township.ID), 1},
			{village, "柳树村", township, fmt.Sprintf("/%d/%d/%d/", county.ID, township.ID, village.ID), 2},
		}
		for _, want := range wants {
			got, err := w.svc.Region(ctx, want.r.ID)
			must(t, err)
			if got.Path != want.path || want.r.Path != want.path {
				t.Errorf("%s: stored path %q, returned path %q, want %q", want.name, got.Path, want.r.Path, want.path)
			}
			if got.Name != want.name {
				t.Errorf("name %q, want %q", got.Name, want.name)
			}
			if want.parent == nil && got.ParentID != nil || want.parent != nil && (got.ParentID == nil || *got.ParentID != want.parent.ID) {
				t.Errorf("%s: parent %v, want %v", want.name, got.ParentID, want.parent)
			}
			if got.Depth() != want.depth {
				t.Errorf("%s: depth %d, want %d", want.name, got.Depth(), want.depth)
			}
		}

		refused := []struct {
			name  string
			actor *account.User
			form  account.RegionForm
			code  errs.Code
			key   string
		}{
			{"village under county", w.admin, account.RegionForm{Name: "x", Level: account.LevelVillage, ParentID: county.ID}, errs.Invalid, "error.region_level_mismatch"},
			{"township under township", w.admin, account.RegionForm{Name: "x", Level: account.LevelTownship, ParentID: township.ID}, errs.Invalid, "error.region_level_mismatch"},
			{"county under county", w.admin, account.RegionForm{Name: "x", Level: account.LevelCounty, ParentID: county.ID}, errs.Invalid, "error.region_level_mismatch"},
			{"county under village", w.admin, account.RegionForm{Name: "x", Level: account.LevelCounty, ParentID: village.ID}, errs.Invalid, "error.region_level_mismatch"},
			{"village under village", w.admin, account.RegionForm{Name: "x", Level: account.LevelVillage, ParentID: village.ID}, errs.Invalid, "error.region_level_mismatch"},
			{"unknown level under county", w.admin, account.RegionForm{Name: "x", Level: "city", ParentID: county.ID}, errs.Invalid, "error.region_level_mismatch"},
			{"township without parent", w.admin, account.RegionForm{Name: "x", Level: account.LevelTownship}, errs.Invalid, "error.region_parent_required"},
			{"unknown level without parent", w.admin, account.RegionForm{Name: "x", Level: "city"}, errs.Invalid, "error.region_parent_required"},
			{"missing parent", w.admin, account.RegionForm{Name: "x", Level: account.LevelVillage, ParentID: 99999}, errs.Invalid, "error.region_parent_required"},
			{"empty name", w.admin, account.RegionForm{Name: "  ", Level: account.LevelCounty}, errs.Invalid, "error.required"},
			{"long name", w.admin, account.RegionForm{Name: strings.Repeat("县", 101), Level: account.LevelCounty}, errs.Invalid, "error.too_long"},
			{"control character", w.admin, account.RegionForm{Name: "a\x00b", Level: account.LevelCounty}, errs.Invalid, "error.text_invalid"},
			{"partner", partner, account.RegionForm{Name: "x", Level: account.LevelCounty}, errs.Forbidden, "error.forbidden"},
			{"signed out", nil, account.RegionForm{Name: "x", Level: account.LevelCounty}, errs.Unauthorized, "error.signed_out"},
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				r, err := w.svc.CreateRegion(ctx, tt.actor, tt.form)
				wantErr(t, err, tt.code, tt.key)
				if r != nil {
					t.Errorf("returned region %+v", r)
				}
			})
		}
		all, err := w.svc.Regions(ctx)
		must(t, err)
		if len(all) != 3 {
			t.Errorf("%d regions after refusals, want 3", len(all))
		}

		t.Run("rename", func(t *testing.T) {
			must(t, w.svc.RenameRegion(ctx, w.admin, township.ID, " 新河口镇 "))
			got, err := w.svc.Region(ctx, township.ID)
			must(t, err)
			if got.Name != "新河口镇" || got.Path != township.Path {
				t.Errorf("after rename: %q %q, want 新河口镇 %q", got.Name, got.Path, township.Path)
			}
			wantErr(t, w.svc.RenameRegion(ctx, w.admin, 99999, "x"), errs.NotFound, "error.not_found")
			wantErr(t, w.svc.RenameRegion(ctx, w.admin, township.ID, ""), errs.Invalid, "error.required")
			wantErr(t, w.svc.RenameRegion(ctx, partner, township.ID, "x"), errs.Forbidden, "error.forbidden")
		})

		_, err = w.svc.Region(ctx, 99999)
		wantErr(t, err, errs.NotFound, "error.not_found")
	})
}

func TestRegionsTreeOrder(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		ctx := context.Background()
		w := &world{ctx: ctx, g: g, clock: newClock()}
		w.svc = account.NewService(g, account.Options{PINKey: testPINKey, Now: w.clock.Now})
		w.admin = w.addUser(t, account.User{Login: "ops", Name: "Ops", Role: account.RoleAdmin})
		// Eleven counties, so ids reach two digits, and a township under the first:
		// tree order is by the numbers in the path, never by its text ("/10/" after "/9/").
		var counties []*account.Region
		for i := range 11 {
			counties = append(counties, w.addRegion(t, fmt.Sprintf("County %02d", i), account.LevelCounty, nil))
		}
		town := w.addRegion(t, "Town", account.LevelTownship, counties[0])
		village := w.addRegion(t, "Village", account.LevelVillage, town)
		want := []uint{counties[0].ID, town.ID, village.ID}
		for _, c := range counties[1:] {
			want = append(want, c.ID)
		}
		all, err := w.svc.Regions(ctx)
		must(t, err)
		sameIDs(t, "Regions", ids(all, func(r account.Region) uint { return r.ID }), want)

		within, err := w.svc.RegionsWithin(ctx, counties[0])
		must(t, err)
		sameIDs(t, "RegionsWithin(first county)", ids(within, func(r account.Region) uint { return r.ID }), want[:3])
		within, err = w.svc.RegionsWithin(ctx, counties[1])
		must(t, err)
		sameIDs(t, "RegionsWithin(second county)", ids(within, func(r account.Region) uint { return r.ID }), []uint{counties[1].ID})

		// The breadcrumb from a region down to one within it; nothing for one outside.
		regionIDs := func(rs []account.Region) []uint { return ids(rs, func(r account.Region) uint { return r.ID }) }
		for _, tc := range []struct {
			name     string
			root, to *account.Region
			want     []uint
		}{
			{"county to village", counties[0], village, want[:3]},
			{"township to village", town, village, []uint{town.ID, village.ID}},
			{"county to itself", counties[0], counties[0], want[:1]},
			{"village to its county", village, counties[0], nil},
			{"another county", counties[10], village, nil},
		} {
			trail, err := w.svc.Trail(ctx, tc.root, tc.to)
			must(t, err)
			sameIDs(t, "Trail, "+tc.name, regionIDs(trail), tc.want)
		}
	})
}

func TestRegionContains(t *testing.T) {
	t.Parallel()
	township := account.Region{Path: "/1/2/"}
	tests := []struct {
		path string
		want bool
	}{
		{"/1/2/", true},
		{"/1/2/5/", true},
		{"/1/20/", false}, // the trailing slash keeps 2 from matching 20
		{"/1/20/7/", false},
		{"/1/", false},
		{"/12/", false},
	}
	for _, tt := range tests {
		if got := township.Contains(account.Region{Path: tt.path}); got != tt.want {
			t.Errorf("%q contains %q = %v, want %v", township.Path, tt.path, got, tt.want)
		}
	}
}

func TestRegionInScope(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		homeless := w.addUser(t, account.User{Login: "coord-none", Name: "No region", Role: account.RoleCoordinator})
		all := []*account.Region{w.county, w.townA, w.townB, w.alder, w.aspen, w.birch}
		tests := []struct {
			name    string
			actor   *account.User
			visible []*account.Region // every other region is NotFound
			code    errs.Code         // for every region, when not ""
		}{
			{"admin", w.admin, all, ""},
			{"county coordinator", w.coordCounty, all, ""},
			{"township coordinator", w.coordA, []*account.Region{w.townA, w.alder, w.aspen}, ""},
			{"coordinator without region", homeless, nil, ""},
			{"partner", w.partnerA1, nil, errs.Forbidden},
			{"villager", w.villagerA1, nil, errs.Forbidden},
			{"signed out", nil, nil, errs.Unauthorized},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for _, r := range all {
					got, err := w.svc.RegionInScope(w.ctx, tt.actor, r.ID)
					switch {
					case tt.code != "":
						wantErr(t, err, tt.code, "")
					case containsRegion(tt.visible, r):
						if err != nil || got.ID != r.ID || got.Path != r.Path {
							t.Errorf("%s: got %+v, %v; want the region", r.Name, got, err)
						}
					default:
						if err == nil || errs.CodeOf(err) != errs.NotFound {
							t.Errorf("%s: got %+v, %v; want NotFound", r.Name, got, err)
						}
					}
				}
				if tt.code == "" {
					_, err := w.svc.RegionInScope(w.ctx, tt.actor, 99999)
					wantErr(t, err, errs.NotFound, "error.not_found")
				}
			})
		}
	})
}

func containsRegion(rs []*account.Region, r *account.Region) bool {
	for _, x := range rs {
		if x.ID == r.ID {
			return true
		}
	}
	return false
}

func TestCentres(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		ctx := w.ctx

		c, err := w.svc.CreateCentre(ctx, w.admin, account.CentreForm{Name: " Aspen north ", Address: " 1 Well Road ", RegionID: w.aspen.ID})
		must(t, err)
		if c.Name != "Aspen north" || c.Address != "1 Well Road" || c.RegionID != w.aspen.ID {
			t.Errorf("created %+v", c)
		}

		refused := []struct {
			name  string
			actor *account.User
			form  account.CentreForm
			code  errs.Code
			key   string
		}{
			{"in a township", w.admin, account.CentreForm{Name: "x", RegionID: w.townA.ID}, errs.Invalid, "error.centre_needs_village"},
			{"in a county", w.admin, account.CentreForm{Name: "x", RegionID: w.county.ID}, errs.Invalid, "error.centre_needs_village"},
			{"no region", w.admin, account.CentreForm{Name: "x"}, errs.Invalid, "error.centre_needs_village"},
			{"missing region", w.admin, account.CentreForm{Name: "x", RegionID: 99999}, errs.Invalid, "error.centre_needs_village"},
			{"no name", w.admin, account.CentreForm{Name: " ", RegionID: w.alder.ID}, errs.Invalid, "error.required"},
			{"long address", w.admin, account.CentreForm{Name: "x", Address: strings.Repeat("路", 256), RegionID: w.alder.ID}, errs.Invalid, "error.too_long"},
			{"coordinator", w.coordCounty, account.CentreForm{Name: "x", RegionID: w.alder.ID}, errs.Forbidden, "error.forbidden"},
			{"partner", w.partnerA1, account.CentreForm{Name: "x", RegionID: w.alder.ID}, errs.Forbidden, "error.forbidden"},
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				_, err := w.svc.CreateCentre(ctx, tt.actor, tt.form)
				wantErr(t, err, tt.code, tt.key)
			})
		}
		all, err := w.svc.Centres(ctx)
		must(t, err)
		sameIDs(t, "Centres by name", ids(all, func(c account.Centre) uint { return c.ID }),
			[]uint{w.centreAlder.ID, w.centreAspen.ID, c.ID, w.centreBirch.ID})

		t.Run("update", func(t *testing.T) {
			must(t, w.svc.UpdateCentre(ctx, w.admin, c.ID, account.CentreForm{Name: "Birch east", RegionID: w.birch.ID}))
			got, err := w.svc.Centre(ctx, c.ID)
			must(t, err)
			if got.Name != "Birch east" || got.Address != "" || got.RegionID != w.birch.ID || got.Region == nil || got.Region.ID != w.birch.ID {
				t.Errorf("after update: %+v", got)
			}
			wantErr(t, w.svc.UpdateCentre(ctx, w.admin, 99999, account.CentreForm{Name: "x", RegionID: w.birch.ID}), errs.NotFound, "error.not_found")
			wantErr(t, w.svc.UpdateCentre(ctx, w.admin, c.ID, account.CentreForm{Name: "x", RegionID: w.townB.ID}), errs.Invalid, "error.centre_needs_village")
			wantErr(t, w.svc.UpdateCentre(ctx, w.partnerB1, c.ID, account.CentreForm{Name: "x", RegionID: w.birch.ID}), errs.Forbidden, "error.forbidden")
			_, err = w.svc.Centre(ctx, 99999)
			wantErr(t, err, errs.NotFound, "error.not_found")
		})

		t.Run("within", func(t *testing.T) {
			for _, tt := range []struct {
				root *account.Region
				want []uint
			}{
				// c is now "Birch east", in Birch.
				{w.county, []uint{w.centreAlder.ID, w.centreAspen.ID, w.centreBirch.ID, c.ID}},
				{w.townA, []uint{w.centreAlder.ID, w.centreAspen.ID}},
				{w.townB, []uint{w.centreBirch.ID, c.ID}},
				{w.aspen, []uint{w.centreAspen.ID}},
			} {
				got, err := w.svc.CentresWithin(ctx, tt.root)
				must(t, err)
				sameIDs(t, "CentresWithin("+tt.root.Name+")", ids(got, func(c account.Centre) uint { return c.ID }), tt.want)
			}
		})
	})
}

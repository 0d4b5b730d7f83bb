package sandbox_test

import (
	"maps"
	"regexp"
	"slices"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
	"cunlu/app/sandbox"
)

func catalogHash(t *testing.T, g *gorm.DB) string {
	t.Helper()
	var v []string
	must(t, g.Table("settings").Where("key = ?", "shop_catalog").Pluck("value", &v).Error)
	if len(v) != 1 {
		return ""
	}
	return v[0]
}

func skuIDs(t *testing.T, g *gorm.DB) map[string]uint {
	t.Helper()
	var ps []sandbox.Product
	must(t, g.Select("id", "sku").Find(&ps).Error)
	out := map[string]uint{}
	for _, p := range ps {
		out[p.SKU] = p.ID
	}
	return out
}

func TestLoadCatalog(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)

		var products []sandbox.Product
		must(t, g.Preload("Seller").Where("active").Find(&products).Error)
		if len(products) < 120 {
			t.Fatalf("%d active products, want at least 120", len(products))
		}
		perCategory := map[string]int{}
		for _, p := range products {
			perCategory[p.Category]++
			if p.Seller == nil || p.Seller.NameZh == "" || p.Seller.RatingX10 < 10 || p.Seller.RatingX10 > 50 {
				t.Errorf("product %s has seller %+v", p.SKU, p.Seller)
			}
			if p.NameZh == "" || p.NameEn == "" || p.PriceCents <= 0 || p.Stock <= 0 || p.RatingX10 < 10 || p.RatingX10 > 50 {
				t.Errorf("product %s is incomplete: %+v", p.SKU, p)
			}
		}
		if got := slices.Sorted(maps.Keys(perCategory)); !slices.Equal(got, slices.Sorted(slices.Values(sandbox.Categories))) {
			t.Fatalf("categories %v, want %v", got, sandbox.Categories)
		}
		for _, c := range sandbox.Categories {
			if perCategory[c] < 10 {
				t.Errorf("category %s has %d products, want at least 10", c, perCategory[c])
			}
		}
		// Every real product ships with other shoppers' reviews; the scam listings (a lesson in
		// their own right) come from a too-good seller with none.
		var unreviewed, reviews int64
		must(t, g.Model(&sandbox.CatalogReview{}).Count(&reviews).Error)
		must(t, g.Model(&sandbox.Product{}).Where("scam_id = '' AND NOT EXISTS (SELECT 1 FROM shop_reviews r WHERE r.product_id = shop_products.id)").Count(&unreviewed).Error)
		if reviews < int64(len(products)) || unreviewed != 0 {
			t.Errorf("%d catalogue reviews, %d products without any", reviews, unreviewed)
		}
		var badStars int64
		must(t, g.Model(&sandbox.CatalogReview{}).Where("stars < 1 OR stars > 5").Count(&badStars).Error)
		if badStars != 0 {
			t.Errorf("%d reviews with stars outside 1–5", badStars)
		}

		hash := catalogHash(t, g)
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(hash) {
			t.Fatalf("catalogue version %q, want a SHA-256", hash)
		}
		ids := skuIDs(t, g)

		// A second start with the same catalogue changes nothing: an edit made since stays.
		fert := w.product(t, "复合肥", 13800)
		must(t, g.Model(&sandbox.Product{}).Where("id = ?", fert.ID).Update("name_zh", "edited").Error)
		must(t, w.svc.LoadCatalog(w.ctx))
		var again sandbox.Product
		must(t, g.First(&again, fert.ID).Error)
		if again.NameZh != "edited" || catalogHash(t, g) != hash {
			t.Fatalf("second LoadCatalog was not a no-op: name %q, hash %q", again.NameZh, catalogHash(t, g))
		}

		// A product that is no longer shipped, and a learner's order of a shipped one.
		gone := sandbox.Product{SKU: "withdrawn-test", GroupKey: "withdrawn-test", Category: "farm", SellerID: fert.SellerID,
			NameZh: "下架商品", NameEn: "Withdrawn", PriceCents: 100, Stock: 5, Image: "x", Pickup: true, RatingX10: 40, Active: true}
		must(t, g.Create(&gone).Error)
		o := w.villager(t)
		pencils := w.product(t, "HB铅笔", 1200)
		ord := w.buy(t, o, w.form(sandbox.DeliveryPickup, sandbox.PaymentWallet), pencils)

		// Forcing a reload (the version row is gone) restores the shipped data in place.
		must(t, g.Exec("DELETE FROM settings WHERE key = ?", "shop_catalog").Error)
		must(t, w.svc.LoadCatalog(w.ctx))
		must(t, g.First(&again, fert.ID).Error)
		if again.NameZh == "edited" || !again.Active {
			t.Errorf("reload did not restore product %d: %+v", fert.ID, again)
		}
		after := skuIDs(t, g)
		delete(after, gone.SKU)
		if !maps.Equal(after, ids) {
			t.Errorf("product ids changed across a reload")
		}
		var reviewsAfter int64
		must(t, g.Model(&sandbox.CatalogReview{}).Count(&reviewsAfter).Error)
		if reviewsAfter != reviews {
			t.Errorf("%d reviews after the reload, want %d (no duplicates)", reviewsAfter, reviews)
		}
		if catalogHash(t, g) != hash {
			t.Errorf("catalogue version %q after reload, want %q", catalogHash(t, g), hash)
		}
		var hidden sandbox.Product
		must(t, g.First(&hidden, gone.ID).Error)
		if hidden.Active {
			t.Error("a product no longer in the catalogue stays active")
		}
		got, _, err := w.svc.Order(w.ctx, o, ord.ID)
		must(t, err)
		if len(got.Items) != 1 || got.Items[0].Product == nil || got.Items[0].Product.SKU != pencils.SKU {
			t.Errorf("the order no longer points at its product after a reload: %+v", got.Items)
		}
	})
}

func TestProductPage(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		a, b := w.villager(t), w.learner(t, account.RolePartner)
		fert := w.product(t, "复合肥 40公斤", 13800)
		w.forceStock(t, a, fert, 3)

		pp, err := w.svc.ProductPage(w.ctx, a, fert.ID)
		must(t, err)
		if pp.Product.ID != fert.ID || pp.Product.Seller == nil || pp.Left != 3 || len(pp.Reviews) == 0 {
			t.Fatalf("product page: product %d, seller %v, left %d, %d reviews", pp.Product.ID, pp.Product.Seller, pp.Left, len(pp.Reviews))
		}
		if len(pp.Others) != 3 {
			t.Fatalf("%d sellers of the same fertiliser, want 3", len(pp.Others))
		}
		for i, h := range pp.Others {
			if h.GroupKey != fert.GroupKey || h.Seller == nil {
				t.Errorf("other %d: %+v", i, h.Product)
			}
			if i > 0 && h.PriceCents < pp.Others[i-1].PriceCents {
				t.Errorf("others not sorted by price: %d after %d", h.PriceCents, pp.Others[i-1].PriceCents)
			}
			if want := map[bool]int{true: 3, false: h.Stock}[h.ID == fert.ID]; h.Left != want {
				t.Errorf("other %s: left %d, want %d", h.SKU, h.Left, want)
			}
		}
		if got := w.left(t, b, fert); got != fert.Stock {
			t.Errorf("another learner sees stock %d, want the catalogue's %d", got, fert.Stock)
		}
		_, err = w.svc.ProductPage(w.ctx, a, 999999)
		wantErr(t, err, errs.NotFound, "")
	})
}

package sandbox_test

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
	"cunlu/app/sandbox"
)

// matches is the search's contract written out in Go: every word is part of the name or
// the description, Chinese or English, ignoring case ("type-c" finds "Type-C 数据线").
func matches(p *sandbox.Product, text string) bool {
	fields := strings.ToLower(strings.Join([]string{p.NameZh, p.NameEn, p.DescZh, p.DescEn}, "\n"))
	for _, word := range strings.Fields(strings.ToLower(text)) {
		if !strings.Contains(fields, word) {
			return false
		}
	}
	return true
}

// searchAll runs q page by page until the results run out.
func searchAll(t *testing.T, w *world, o sandbox.Owner, q sandbox.Query) ([]sandbox.Hit, int64) {
	t.Helper()
	var all []sandbox.Hit
	var total int64
	for page := 1; ; page++ {
		q.Page = page
		hits, n, err := w.svc.Search(w.ctx, o, q)
		if err != nil {
			t.Fatalf("search %+v: %v", q, err)
		}
		if page == 1 {
			total = n
		} else if n != total {
			t.Fatalf("page %d counts %d results, page 1 counted %d", page, n, total)
		}
		if len(hits) > sandbox.PerPage {
			t.Fatalf("page %d has %d results, more than %d", page, len(hits), sandbox.PerPage)
		}
		all = append(all, hits...)
		if len(hits) < sandbox.PerPage {
			return all, total
		}
	}
}

func hitIDs(hits []sandbox.Hit) []uint {
	out := make([]uint, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func TestSearch(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, g *gorm.DB) {
		w := newWorld(t, g)
		o := w.learner(t, account.RoleVillager)
		var catalogue []sandbox.Product
		must(t, g.Preload("Seller").Where("active").Order("id").Find(&catalogue).Error)

		tests := []struct {
			name string
			q    sandbox.Query
			want func(p *sandbox.Product) bool // which catalogue products must be found
			min  int                           // at least this many
			also func(t *testing.T, hits []sandbox.Hit)
		}{
			{name: "Chinese part of a word", q: sandbox.Query{Text: "电饭"}, min: 4,
				want: func(p *sandbox.Product) bool { return matches(p, "电饭") },
				also: func(t *testing.T, hits []sandbox.Hit) {
					for _, h := range hits {
						if !strings.Contains(h.NameZh+h.DescZh, "电饭") {
							t.Errorf("%s does not mention 电饭", h.NameZh)
						}
					}
				}},
			{name: "English part of a word", q: sandbox.Query{Text: "cook"}, min: 5,
				want: func(p *sandbox.Product) bool { return matches(p, "cook") },
				also: func(t *testing.T, hits []sandbox.Hit) {
					if !slices.ContainsFunc(hits, func(h sandbox.Hit) bool { return strings.HasPrefix(h.NameEn, "Rice cooker") }) {
						t.Error(`"cook" does not find "Rice cooker"`)
					}
				}},
			{name: "English in capitals", q: sandbox.Query{Text: "COOK"}, min: 5,
				want: func(p *sandbox.Product) bool { return matches(p, "cook") }},
			{name: "Latin letters in a Chinese name, any case", q: sandbox.Query{Text: "type-c"}, min: 3,
				want: func(p *sandbox.Product) bool { return matches(p, "type-c") },
				also: func(t *testing.T, hits []sandbox.Hit) {
					for _, h := range hits {
						if !strings.Contains(h.NameZh, "Type-C") {
							t.Errorf("%s found for type-c", h.NameZh)
						}
					}
				}},
			{name: "two words, both needed", q: sandbox.Query{Text: "电饭 2升"}, min: 1,
				want: func(p *sandbox.Product) bool { return matches(p, "电饭") && matches(p, "2升") }},
			{name: "Chinese and English words", q: sandbox.Query{Text: "复合肥 NPK"}, min: 3,
				want: func(p *sandbox.Product) bool { return matches(p, "复合肥") && matches(p, "npk") }},
			{name: "a word nothing has", q: sandbox.Query{Text: "电饭 spaceship"},
				want: func(*sandbox.Product) bool { return false }},
			{name: "category", q: sandbox.Query{Category: "school"}, min: 10,
				want: func(p *sandbox.Product) bool { return p.Category == "school" }},
			{name: "category and word", q: sandbox.Query{Category: "kitchen", Text: "cook"}, min: 4,
				want: func(p *sandbox.Product) bool { return p.Category == "kitchen" && matches(p, "cook") }},
			{name: "price range, bounds included", q: sandbox.Query{MinCents: 990, MaxCents: 1500}, min: 5,
				want: func(p *sandbox.Product) bool { return p.PriceCents >= 990 && p.PriceCents <= 1500 },
				also: func(t *testing.T, hits []sandbox.Hit) {
					if !slices.ContainsFunc(hits, func(h sandbox.Hit) bool { return h.PriceCents == 990 }) ||
						!slices.ContainsFunc(hits, func(h sandbox.Hit) bool { return h.PriceCents == 1500 }) {
						t.Error("the range's bounds are not included")
					}
				}},
			{name: "minimum price only", q: sandbox.Query{MinCents: 50000}, min: 1,
				want: func(p *sandbox.Product) bool { return p.PriceCents >= 50000 }},
			{name: "pickup only", q: sandbox.Query{PickupOnly: true}, min: 100,
				want: func(p *sandbox.Product) bool { return p.Pickup }},
			{name: "seller rating at least 4.5", q: sandbox.Query{MinRating: 45}, min: 50,
				want: func(p *sandbox.Product) bool { return p.Seller.RatingX10 >= 45 },
				also: func(t *testing.T, hits []sandbox.Hit) {
					if !slices.ContainsFunc(hits, func(h sandbox.Hit) bool { return h.Seller.RatingX10 == 45 }) {
						t.Error("a seller rated exactly 4.5 is left out")
					}
				}},
			{name: "all filters together", q: sandbox.Query{Text: "复合肥", Category: "farm", MaxCents: 14000, PickupOnly: true, MinRating: 45}, min: 1,
				want: func(p *sandbox.Product) bool {
					return matches(p, "复合肥") && p.Category == "farm" && p.PriceCents <= 14000 && p.Pickup && p.Seller.RatingX10 >= 45
				}},
			{name: "percent sign is literal", q: sandbox.Query{Text: "%"}, min: 1,
				want: func(p *sandbox.Product) bool { return matches(p, "%") },
				also: func(t *testing.T, hits []sandbox.Hit) {
					if len(hits) >= 20 {
						t.Errorf(`"%%" found %d products: it matched anything`, len(hits))
					}
				}},
			{name: "percent inside a word", q: sandbox.Query{Text: "46%"}, min: 1,
				want: func(p *sandbox.Product) bool { return matches(p, "46%") }},
			{name: "underscore is literal", q: sandbox.Query{Text: "_"},
				want: func(p *sandbox.Product) bool { return matches(p, "_") }},
			{name: "backslash is literal", q: sandbox.Query{Text: `\`},
				want: func(p *sandbox.Product) bool { return matches(p, `\`) }},
			{name: "quote is data", q: sandbox.Query{Text: `' OR 1=1 --`},
				want: func(p *sandbox.Product) bool { return matches(p, `' OR 1=1 --`) }},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				hits, total := searchAll(t, w, o, tc.q)
				var want []uint
				for i := range catalogue {
					if tc.want(&catalogue[i]) {
						want = append(want, catalogue[i].ID)
					}
				}
				got := slices.Sorted(slices.Values(hitIDs(hits)))
				if !slices.Equal(got, want) {
					t.Fatalf("found %v, want %v", got, want)
				}
				if total != int64(len(want)) || len(want) < tc.min {
					t.Fatalf("total %d, %d expected, want at least %d", total, len(want), tc.min)
				}
				if tc.also != nil {
					tc.also(t, hits)
				}
			})
		}

		t.Run("sorts", func(t *testing.T) {
			// Farm goods span two pages, so the order must hold across the page break too.
			less := map[string]func(a, b *sandbox.Hit) int{
				"":      func(a, b *sandbox.Hit) int { return cmp.Or(cmp.Compare(b.Sales, a.Sales), cmp.Compare(a.ID, b.ID)) },
				"sales": func(a, b *sandbox.Hit) int { return cmp.Or(cmp.Compare(b.Sales, a.Sales), cmp.Compare(a.ID, b.ID)) },
				"price": func(a, b *sandbox.Hit) int {
					return cmp.Or(cmp.Compare(a.PriceCents, b.PriceCents), cmp.Compare(a.ID, b.ID))
				},
				"price_desc": func(a, b *sandbox.Hit) int {
					return cmp.Or(cmp.Compare(b.PriceCents, a.PriceCents), cmp.Compare(a.ID, b.ID))
				},
				"rating": func(a, b *sandbox.Hit) int {
					return cmp.Or(cmp.Compare(b.RatingX10, a.RatingX10), cmp.Compare(b.Sales, a.Sales), cmp.Compare(a.ID, b.ID))
				},
			}
			for key := range sandbox.Sorts {
				c := less[key]
				if c == nil {
					t.Fatalf("sort %q has no expected order in this test", key)
				}
				hits, total := searchAll(t, w, o, sandbox.Query{Category: "farm", Sort: key})
				if total <= sandbox.PerPage || int64(len(hits)) != total {
					t.Fatalf("sort %q: %d of %d results; want more than one page", key, len(hits), total)
				}
				want := slices.Clone(hits)
				slices.SortFunc(want, func(a, b sandbox.Hit) int { return c(&a, &b) })
				if !slices.Equal(hitIDs(hits), hitIDs(want)) {
					t.Errorf("sort %q: got %v, want %v", key, hitIDs(hits), hitIDs(want))
				}
			}
		})

		t.Run("paging", func(t *testing.T) {
			hits, total := searchAll(t, w, o, sandbox.Query{Sort: "price"})
			if total != int64(len(catalogue)) || len(hits) != len(catalogue) {
				t.Fatalf("%d results counted, %d returned, catalogue has %d", total, len(hits), len(catalogue))
			}
			seen := map[uint]bool{}
			for _, h := range hits {
				if seen[h.ID] {
					t.Fatalf("product %d is on two pages", h.ID)
				}
				seen[h.ID] = true
			}
			last := int((total + sandbox.PerPage - 1) / sandbox.PerPage)
			p1, _, err := w.svc.Search(w.ctx, o, sandbox.Query{Sort: "price", Page: 0})
			must(t, err)
			if !slices.Equal(hitIDs(p1), hitIDs(hits[:sandbox.PerPage])) {
				t.Error("page 0 is not page 1")
			}
			past, n, err := w.svc.Search(w.ctx, o, sandbox.Query{Sort: "price", Page: last + 1})
			must(t, err)
			if len(past) != 0 || n != total {
				t.Errorf("page past the end: %d results, total %d", len(past), n)
			}
		})

		t.Run("own stock", func(t *testing.T) {
			other := w.learner(t, account.RoleVillager)
			dict := w.product(t, "英汉词典", 3980)
			w.forceStock(t, o, dict, 0)
			for _, tc := range []struct {
				who  sandbox.Owner
				want int
			}{{o, 0}, {other, dict.Stock}} {
				hits, _, err := w.svc.Search(w.ctx, tc.who, sandbox.Query{Text: "英汉词典"})
				must(t, err)
				if len(hits) != 1 || hits[0].ID != dict.ID || hits[0].Left != tc.want {
					t.Errorf("user %d: hits %+v, want %s with %d left", tc.who.UserID, hits, dict.SKU, tc.want)
				}
			}
		})

		t.Run("refused", func(t *testing.T) {
			for _, q := range []sandbox.Query{
				{Sort: "price_cents; DROP TABLE shop_products"},
				{Sort: "id"},
				{Sort: "PRICE"},
				{Category: "weapons"},
				{MinCents: -1},
				{MinCents: 2000, MaxCents: 1000},
				{Text: strings.Repeat("肥", 51)},
				{Text: "复合\x00肥"}, // PostgreSQL refuses NUL in text
				{Text: "复合\xff肥"},
			} {
				_, _, err := w.svc.Search(w.ctx, o, q)
				wantErr(t, err, errs.Invalid, "")
			}
		})
	})
}

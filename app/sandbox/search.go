package sandbox

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"cunlu/app/errs"
)

// Sorts are the allowed orderings of search results; the key is what the form sends.
var Sorts = map[string]string{
	"":           "shop_products.sales DESC, shop_products.id",
	"price":      "shop_products.price_cents ASC, shop_products.id",
	"price_desc": "shop_products.price_cents DESC, shop_products.id",
	"sales":      "shop_products.sales DESC, shop_products.id",
	"rating":     "shop_products.rating_x10 DESC, shop_products.sales DESC, shop_products.id",
}

// Query is a search of the catalogue.
type Query struct {
	Text       string // words, Chinese or English; each must appear in the name or description
	Category   string
	MinCents   int64
	MaxCents   int64 // 0: no limit
	PickupOnly bool
	MinRating  int // seller rating ×10
	Sort       string
	Page       int
}

// PerPage is how many results a page shows.
const PerPage = 20

// Hit is a product in search results with the owner's stock of it.
type Hit struct {
	Product
	Left int
}

func (Hit) TableName() string { return "shop_products" }

// Search finds products. Each word may be part of a word ("电饭" finds 电饭煲, "cook"
// finds rice cooker); words and filters combine with AND. Sort keys come from Sorts only.
func (s *Service) Search(ctx context.Context, o Owner, q Query) ([]Hit, int64, error) {
	order, ok := Sorts[q.Sort]
	if !ok {
		return nil, 0, errs.Field("sort", "shop.error.sort")
	}
	if q.Category != "" && !slices.Contains(Categories, q.Category) {
		return nil, 0, errs.Field("category", "shop.error.category")
	}
	if !utf8.ValidString(q.Text) || strings.ContainsRune(q.Text, 0) {
		return nil, 0, errs.Field("q", "error.text_invalid")
	}
	if utf8.RuneCountInString(q.Text) > 50 {
		return nil, 0, errs.Field("q", "error.too_long").With("Max", 50)
	}
	if q.MinCents < 0 || q.MaxCents < 0 || (q.MaxCents > 0 && q.MaxCents < q.MinCents) {
		return nil, 0, errs.Field("price", "shop.error.price_range")
	}
	g := s.db.WithContext(ctx).Model(&Product{}).
		Joins("JOIN shop_sellers ON shop_sellers.id = shop_products.seller_id").
		Where("shop_products.active")
	for _, word := range strings.Fields(q.Text) {
		like := "%" + escapeLike(strings.ToLower(word)) + "%"
		// LOWER on the Chinese fields too: they hold Latin words ("Type-C"), and PostgreSQL's
		// LIKE, unlike SQLite's, is case-sensitive.
		g = g.Where("(LOWER(shop_products.name_zh) LIKE ? ESCAPE '\\' OR LOWER(shop_products.name_en) LIKE ? ESCAPE '\\' OR LOWER(shop_products.desc_zh) LIKE ? ESCAPE '\\' OR LOWER(shop_products.desc_en) LIKE ? ESCAPE '\\')", like, like, like, like)
	}
	if q.Category != "" {
		g = g.Where("shop_products.category = ?", q.Category)
	}
	if q.MinCents > 0 {
		g = g.Where("shop_products.price_cents >= ?", q.MinCents)
	}
	if q.MaxCents > 0 {
		g = g.Where("shop_products.price_cents <= ?", q.MaxCents)
	}
	if q.PickupOnly {
		g = g.Where("shop_products.pickup")
	}
	if q.MinRating > 0 {
		g = g.Where("shop_sellers.rating_x10 >= ?", q.MinRating)
	}
	var total int64
	if err := g.Count(&total).Error; err != nil {
		return nil, 0, errs.Wrap(err, "count products")
	}
	page := max(q.Page, 1)
	var hits []Hit
	err := g.Select("shop_products.*, COALESCE(sandbox_stock.stock, shop_products.stock) AS left").
		Joins("LEFT JOIN sandbox_stock ON sandbox_stock.product_id = shop_products.id AND sandbox_stock.user_id = ?", o.UserID).
		Preload("Seller").Order(order).Limit(PerPage).Offset((page - 1) * PerPage).Find(&hits).Error
	return hits, total, errs.Wrap(err, "search products")
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ProductPage is a product with its seller, the owner's stock, the catalogue's reviews
// and the other sellers of the same goods.
type ProductPage struct {
	Product *Product
	Left    int
	Reviews []CatalogReview
	Others  []Hit // the same goods from other sellers
}

// ProductPage loads everything a product page shows.
func (s *Service) ProductPage(ctx context.Context, o Owner, id uint) (*ProductPage, error) {
	var pp ProductPage
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, err := s.activeProduct(tx, id)
		if err != nil {
			return err
		}
		pp.Product = p
		if pp.Left, err = s.stockOf(tx, o.UserID, p); err != nil {
			return err
		}
		if err := tx.Where("product_id = ?", id).Order("id").Find(&pp.Reviews).Error; err != nil {
			return err
		}
		return tx.Model(&Product{}).Select("shop_products.*, COALESCE(sandbox_stock.stock, shop_products.stock) AS left").
			Joins("LEFT JOIN sandbox_stock ON sandbox_stock.product_id = shop_products.id AND sandbox_stock.user_id = ?", o.UserID).
			Preload("Seller").Where("shop_products.group_key = ? AND shop_products.active", p.GroupKey).
			Order("shop_products.price_cents, shop_products.id").Find(&pp.Others).Error
	})
	return &pp, errs.Wrap(err, "load product")
}

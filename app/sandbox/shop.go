package sandbox

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cunlu/app/errs"
)

//go:embed data/catalog.json
var catalogJSON []byte

// StartBalance is the pretend money every sandbox wallet starts with: ¥2,000.
const StartBalance int64 = 200000

// Categories of the catalogue, in the order the shop shows them.
var Categories = []string{"farm", "kitchen", "phones", "clothes", "food", "school"}

// Seller is a shop in the practice catalogue.
type Seller struct {
	ID         string `gorm:"primaryKey"`
	NameZh     string
	NameEn     string
	RatingX10  int
	Sales      int
	Years      int
	LocationZh string
	LocationEn string
}

func (Seller) TableName() string { return "shop_sellers" }

// Name is the seller's name in lang.
func (s *Seller) Name(lang string) string { return pick(lang, s.NameZh, s.NameEn) }

// Location is where the seller ships from, in lang.
func (s *Seller) Location(lang string) string { return pick(lang, s.LocationZh, s.LocationEn) }

// Rating is the seller's rating out of 5.
func (s *Seller) Rating() float64 { return float64(s.RatingX10) / 10 }

func pick(lang, zh, en string) string {
	if lang == "en" && en != "" {
		return en
	}
	return zh
}

// Product is one item a seller offers. Stock is the catalogue's starting stock; each
// learner's sandbox keeps its own count.
type Product struct {
	ID           uint
	SKU          string `gorm:"column:sku"`
	GroupKey     string
	Category     string
	SellerID     string
	Seller       *Seller
	NameZh       string
	NameEn       string
	DescZh       string
	DescEn       string
	PriceCents   int64
	Stock        int
	Image        string
	Pickup       bool
	HomeFeeCents int64
	Sales        int
	RatingX10    int
	Active       bool
	ScamID       string `gorm:"column:scam_id"` // a scam scenario shown as a listing
}

func (Product) TableName() string { return "shop_products" }

// Name is the product's name in lang.
func (p *Product) Name(lang string) string { return pick(lang, p.NameZh, p.NameEn) }

// Desc is the product's description in lang.
func (p *Product) Desc(lang string) string { return pick(lang, p.DescZh, p.DescEn) }

// Rating is the product's rating out of 5.
func (p *Product) Rating() float64 { return float64(p.RatingX10) / 10 }

// Fertiliser reports whether the product is a fertiliser (for the fertiliser task).
func (p *Product) Fertiliser() bool {
	return p.Category == "farm" && (strings.Contains(p.NameZh, "肥") || strings.Contains(strings.ToLower(p.NameEn), "fertili"))
}

// CatalogReview is a review that ships with the catalogue (other shoppers' voices).
type CatalogReview struct {
	ID        uint
	ProductID uint
	AuthorZh  string
	AuthorEn  string
	Stars     int
	TextZh    string
	TextEn    string
}

func (CatalogReview) TableName() string { return "shop_reviews" }

// Author is the reviewer's masked name in lang.
func (r *CatalogReview) Author(lang string) string { return pick(lang, r.AuthorZh, r.AuthorEn) }

// Text is the review in lang.
func (r *CatalogReview) Text(lang string) string { return pick(lang, r.TextZh, r.TextEn) }

// Secrets hashes and checks payment PINs as sign-in PINs are (the account service does).
type Secrets interface {
	HashPIN(pin string) (string, error)
	VerifyPIN(hash, pin string) bool
}

// Service is the practice shop.
type Service struct {
	db        *gorm.DB
	secrets   Secrets
	progress  Progress // nil: no practice tasks are checked (tools that only load the catalogue)
	now       func() time.Time
	Timetable *Timetable // the shipped bus and train timetable
	Scenarios *Scenarios // the shipped scam (and genuine) messages

	photoTurns chan struct{} // a token for each photo being decoded (MaxPhotoDecodes)
	photoWait  time.Duration // how long an upload waits for its turn
	decodes    decodeCount
}

// NewService returns the shop over g, recording the practice tasks its operations complete
// in progress. now is the real clock (each learner's simulated clock runs ahead of it by
// their own offset). The shipped timetable and scenarios are
// part of the program: if they do not parse, the build is broken and it panics at start.
func NewService(g *gorm.DB, secrets Secrets, progress Progress, now func() time.Time) *Service {
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	tt, err := LoadTimetable()
	if err != nil {
		panic(err)
	}
	sc, err := LoadScenarios()
	if err != nil {
		panic(err)
	}
	return &Service{db: g, secrets: secrets, progress: progress, now: now, Timetable: tt, Scenarios: sc,
		photoTurns: make(chan struct{}, MaxPhotoDecodes), photoWait: photoWait}
}

type catalogFile struct {
	Sellers []struct {
		ID         string  `json:"id"`
		NameZh     string  `json:"name_zh"`
		NameEn     string  `json:"name_en"`
		Rating     float64 `json:"rating"`
		Sales      int     `json:"sales"`
		Years      int     `json:"years"`
		LocationZh string  `json:"location_zh"`
		LocationEn string  `json:"location_en"`
	} `json:"sellers"`
	Products []struct {
		SKU          string  `json:"sku"`
		Group        string  `json:"group"`
		Category     string  `json:"category"`
		Seller       string  `json:"seller"`
		NameZh       string  `json:"name_zh"`
		NameEn       string  `json:"name_en"`
		DescZh       string  `json:"desc_zh"`
		DescEn       string  `json:"desc_en"`
		PriceCents   int64   `json:"price_cents"`
		Stock        int     `json:"stock"`
		Image        string  `json:"image"`
		Pickup       bool    `json:"pickup"`
		HomeFeeCents int64   `json:"home_fee_cents"`
		Sales        int     `json:"sales"`
		Rating       float64 `json:"rating"`
		Reviews      []struct {
			AuthorZh string `json:"author_zh"`
			AuthorEn string `json:"author_en"`
			Stars    int    `json:"stars"`
			TextZh   string `json:"text_zh"`
			TextEn   string `json:"text_en"`
		} `json:"reviews"`
	} `json:"products"`
}

// LoadCatalog brings the shipped catalogue into the database when it changed since the
// last start (compared by hash): sellers and products are upserted by id and SKU, so
// learners' orders keep pointing at the same products; products no longer shipped are
// hidden, not deleted.
func (s *Service) LoadCatalog(ctx context.Context) error {
	sum := sha256.Sum256(append(append([]byte{}, catalogJSON...), scamsJSON...))
	hash := hex.EncodeToString(sum[:])
	var stored struct{ Value string }
	g := s.db.WithContext(ctx)
	if err := g.Table("settings").Select("value").Where(clause.Eq{Column: clause.Column{Name: "key"}, Value: "shop_catalog"}).Limit(1).Scan(&stored).Error; err != nil {
		return errs.Wrap(err, "read catalogue version")
	}
	if stored.Value == hash {
		return nil
	}
	var cf catalogFile
	if err := json.Unmarshal(catalogJSON, &cf); err != nil {
		return fmt.Errorf("shop catalogue: %w", err)
	}
	// One statement per table where possible: this runs on the first start of every new
	// database, and start-up has a budget.
	sellers := make([]Seller, 0, len(cf.Sellers)+1)
	for _, x := range cf.Sellers {
		sellers = append(sellers, Seller{ID: x.ID, NameZh: x.NameZh, NameEn: x.NameEn, RatingX10: int(math.Round(x.Rating * 10)), Sales: x.Sales, Years: x.Years, LocationZh: x.LocationZh, LocationEn: x.LocationEn})
	}
	// Scam listings sit in the catalogue like any product, from a seller that looks too good.
	flash := Seller{ID: "s-flash-deals", NameZh: "闪购特卖官方旗舰", NameEn: "Flash Deals Official Flagship", RatingX10: 50, Sales: 37, Years: 0, LocationZh: "未知", LocationEn: "unknown"}
	sellers = append(sellers, flash)
	products := make([]Product, 0, len(cf.Products)+2)
	for _, x := range cf.Products {
		products = append(products, Product{SKU: x.SKU, GroupKey: x.Group, Category: x.Category, SellerID: x.Seller, NameZh: x.NameZh, NameEn: x.NameEn,
			DescZh: x.DescZh, DescEn: x.DescEn, PriceCents: x.PriceCents, Stock: x.Stock, Image: x.Image, Pickup: x.Pickup,
			HomeFeeCents: x.HomeFeeCents, Sales: x.Sales, RatingX10: int(math.Round(x.Rating * 10)), Active: true})
	}
	for _, sc := range s.Scenarios.List {
		if sc.Channel == "listing" {
			products = append(products, Product{SKU: sc.ScamSKU(), GroupKey: sc.ScamSKU(), Category: "phones", SellerID: flash.ID, NameZh: sc.NameZh, NameEn: sc.NameEn,
				DescZh: sc.DescZh, DescEn: sc.DescEn, PriceCents: sc.PriceCents, Stock: 8, Image: sc.Image, Pickup: false,
				Sales: 12, RatingX10: 50, Active: true, ScamID: sc.ID})
		}
	}
	return g.Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).CreateInBatches(sellers, 100).Error; err != nil {
			return err
		}
		if err := tx.Model(&Product{}).Where("1 = 1").Update("active", false).Error; err != nil {
			return err
		}
		err := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "sku"}},
			DoUpdates: clause.AssignmentColumns([]string{"group_key", "category", "seller_id", "name_zh", "name_en", "desc_zh", "desc_en",
				"price_cents", "stock", "image", "pickup", "home_fee_cents", "sales", "rating_x10", "active", "scam_id"}),
		}).CreateInBatches(products, 50).Error
		if err != nil {
			return err
		}
		// Product ids are stable across reloads (upserts by SKU); read them back by SKU.
		var ids []struct {
			ID  uint
			SKU string `gorm:"column:sku"`
		}
		if err := tx.Model(&Product{}).Select("id, sku").Find(&ids).Error; err != nil {
			return err
		}
		bySKU := make(map[string]uint, len(ids))
		for _, x := range ids {
			bySKU[x.SKU] = x.ID
		}
		if err := tx.Where("1 = 1").Delete(&CatalogReview{}).Error; err != nil {
			return err
		}
		var reviews []CatalogReview
		for _, x := range cf.Products {
			for _, r := range x.Reviews {
				reviews = append(reviews, CatalogReview{ProductID: bySKU[x.SKU], AuthorZh: r.AuthorZh, AuthorEn: r.AuthorEn, Stars: r.Stars, TextZh: r.TextZh, TextEn: r.TextEn})
			}
		}
		if err := tx.CreateInBatches(reviews, 100).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, "shop_catalog", hash).Error
	})
}

package sandbox

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cunlu/app/errs"
)

// MaxQty is the most of one product a cart line may hold.
const MaxQty = 20

// CartItem is one line of a sandbox cart.
type CartItem struct {
	UserID    uint `gorm:"primaryKey;autoIncrement:false"`
	ProductID uint `gorm:"primaryKey;autoIncrement:false"`
	Product   *Product
	Qty       int
	AddedAt   time.Time
}

func (CartItem) TableName() string { return "sandbox_cart_items" }

// stockOf returns the owner's stock of a product: their own count once they bought some,
// else the catalogue's.
func (s *Service) stockOf(tx *gorm.DB, userID uint, p *Product) (int, error) {
	var row struct{ Stock int }
	res := tx.Table("sandbox_stock").Select("stock").Where("user_id = ? AND product_id = ?", userID, p.ID).Limit(1).Scan(&row)
	if res.Error != nil {
		return 0, res.Error
	}
	if res.RowsAffected == 0 {
		return p.Stock, nil
	}
	return row.Stock, nil
}

func (s *Service) activeProduct(tx *gorm.DB, id uint) (*Product, error) {
	var p Product
	if err := tx.Preload("Seller").Where("id = ? AND active", id).Take(&p).Error; err != nil {
		return nil, notFound(err)
	}
	return &p, nil
}

// AddToCart adds qty of a product (to what the cart already has), within the stock.
func (s *Service) AddToCart(ctx context.Context, o Owner, productID uint, qty int, fromCompare bool) error {
	if qty < 1 || qty > MaxQty {
		return errs.Field("qty", "shop.error.qty").With("Max", MaxQty)
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		p, err := s.activeProduct(tx, productID)
		if err != nil {
			return err
		}
		var cur CartItem
		if err := tx.Where("user_id = ? AND product_id = ?", o.UserID, productID).Limit(1).Find(&cur).Error; err != nil {
			return err
		}
		total := cur.Qty + qty
		if err := s.checkQty(tx, o.UserID, p, total); err != nil {
			return err
		}
		item := CartItem{UserID: o.UserID, ProductID: productID, Qty: total, AddedAt: s.now()}
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&item).Error; err != nil {
			return err
		}
		if !fromCompare {
			return nil
		}
		w, err := s.wallet(tx, o.UserID)
		if err != nil {
			return err
		}
		return s.record(tx, o, EventCompared, ref(productID), w.SimNow(s.now()))
	})
	return errs.Wrap(err, "add to cart")
}

func (s *Service) checkQty(tx *gorm.DB, userID uint, p *Product, qty int) error {
	if qty > MaxQty {
		return errs.Field("qty", "shop.error.qty").With("Max", MaxQty)
	}
	stock, err := s.stockOf(tx, userID, p)
	if err != nil {
		return err
	}
	if stock <= 0 {
		return errs.New(errs.Conflict, "shop.error.sold_out").With("Product", p.NameZh)
	}
	if qty > stock {
		return errs.Field("qty", "shop.error.not_enough_stock").With("Stock", stock)
	}
	return nil
}

// SetCartQty changes a cart line's quantity; 0 removes it.
func (s *Service) SetCartQty(ctx context.Context, o Owner, productID uint, qty int) error {
	if qty < 0 || qty > MaxQty {
		return errs.Field("qty", "shop.error.qty").With("Max", MaxQty)
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur CartItem
		if err := tx.Where("user_id = ? AND product_id = ?", o.UserID, productID).Take(&cur).Error; err != nil {
			return notFound(err)
		}
		if qty == 0 {
			return tx.Where("user_id = ? AND product_id = ?", o.UserID, productID).Delete(&CartItem{}).Error
		}
		p, err := s.activeProduct(tx, productID)
		if err != nil {
			return err
		}
		if err := s.checkQty(tx, o.UserID, p, qty); err != nil {
			return err
		}
		return tx.Model(&CartItem{}).Where("user_id = ? AND product_id = ?", o.UserID, productID).Update("qty", qty).Error
	})
	return errs.Wrap(err, "change cart")
}

// RemoveFromCart takes a line out of the owner's cart and returns it, with its product, so
// that the page can offer to put it back. A product not in the owner's cart is NotFound.
func (s *Service) RemoveFromCart(ctx context.Context, o Owner, productID uint) (*CartItem, error) {
	var cur CartItem
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Preload("Product.Seller").Where("user_id = ? AND product_id = ?", o.UserID, productID).Take(&cur).Error; err != nil {
			return notFound(err)
		}
		return tx.Where("user_id = ? AND product_id = ?", o.UserID, productID).Delete(&CartItem{}).Error
	})
	if err != nil {
		return nil, errs.Wrap(err, "remove from cart")
	}
	return &cur, nil
}

// Product returns an active catalogue product with its seller; NotFound otherwise.
func (s *Service) Product(ctx context.Context, id uint) (*Product, error) {
	p, err := s.activeProduct(s.db.WithContext(ctx), id)
	return p, errs.Wrap(err, "find product")
}

// Cart lists the owner's cart with each product and its seller.
func (s *Service) Cart(ctx context.Context, o Owner) ([]CartItem, error) {
	var items []CartItem
	err := s.db.WithContext(ctx).Preload("Product.Seller").Where("user_id = ?", o.UserID).Order("added_at, product_id").Find(&items).Error
	return items, errs.Wrap(err, "load cart")
}

// CartTotals is what a cart costs with a delivery choice.
type CartTotals struct {
	Goods, Shipping, Total int64
	PickupOK               bool // every item can be picked up at a centre
}

// Totals prices a cart: goods, and for home delivery the highest home-delivery fee of its
// items (the sellers ship together to the county warehouse).
func Totals(items []CartItem, delivery string) CartTotals {
	t := CartTotals{PickupOK: true}
	for _, it := range items {
		t.Goods += it.Product.PriceCents * int64(it.Qty)
		t.PickupOK = t.PickupOK && it.Product.Pickup
		if delivery == DeliveryHome && it.Product.HomeFeeCents > t.Shipping {
			t.Shipping = it.Product.HomeFeeCents
		}
	}
	t.Total = t.Goods + t.Shipping
	return t
}

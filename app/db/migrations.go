package db

import (
	"context"
	"fmt"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// migrations is the ordered history of the schema. A shipped migration is never edited:
// change the schema by appending a new one. Each migration declares frozen copies of the
// tables it creates, so later changes to domain types cannot alter what it does.
func migrations() []*gormigrate.Migration {
	return []*gormigrate.Migration{
		{ID: "0001_foundation", Migrate: migrate0001},
		{ID: "0002_progress", Migrate: migrate0002},
		{ID: "0003_shop", Migrate: migrate0003},
		{ID: "0004_services", Migrate: migrate0004},
		{ID: "0005_reports", Migrate: migrate0005},
		{ID: "0006_quiz_write_indexes", Migrate: migrate0006},
		{ID: "0007_must_change_password", Migrate: migrate0007},
		{ID: "0008_refund_to", Migrate: migrate0008},
		{ID: "0009_sandbox_event_kinds", Migrate: migrate0009},
		{ID: "0010_coordinator_reads", Migrate: migrate0010},
		{ID: "0011_reminders", Migrate: migrate0011},
		{ID: "0012_lesson_audio", Migrate: migrate0012},
		{ID: "0013_training_records", Migrate: migrate0013},
		{ID: "0014_lesson_tasks", Migrate: migrate0014},
	}
}

// Migrate brings the schema up to date. On PostgreSQL an advisory lock keeps two app
// instances that start together from migrating at once; on SQLite the immediate
// transaction does the same.
func Migrate(ctx context.Context, g *gorm.DB) error {
	g = g.WithContext(ctx)
	run := func(tx *gorm.DB) error {
		opts := *gormigrate.DefaultOptions
		opts.UseTransaction = false // the caller's transaction covers the whole run
		m := gormigrate.New(tx, &opts, migrations())
		if err := m.Migrate(); err != nil {
			return fmt.Errorf("migrate database: %w", err)
		}
		return nil
	}
	if g.Dialector.Name() == "postgres" {
		return g.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(7316001)").Error; err != nil {
				return err
			}
			return run(tx)
		})
	}
	return g.Transaction(run)
}

type v1Region struct {
	ID        uint      `gorm:"primaryKey"`
	ParentID  *uint     `gorm:"index"`
	Parent    *v1Region `gorm:"foreignKey:ParentID;constraint:OnDelete:RESTRICT"`
	Level     string    `gorm:"size:16;not null"`
	Name      string    `gorm:"size:100;not null"`
	Path      string    `gorm:"size:255;not null;index"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

func (v1Region) TableName() string { return "regions" }

type v1Centre struct {
	ID        uint      `gorm:"primaryKey"`
	RegionID  uint      `gorm:"not null;index"`
	Region    *v1Region `gorm:"constraint:OnDelete:RESTRICT"`
	Name      string    `gorm:"size:100;not null"`
	Address   string    `gorm:"size:255;not null;default:''"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

func (v1Centre) TableName() string { return "centres" }

type v1User struct {
	ID             uint      `gorm:"primaryKey"`
	Login          string    `gorm:"size:64;not null;uniqueIndex"`
	Name           string    `gorm:"size:100;not null"`
	Phone          *string   `gorm:"size:20;uniqueIndex"`
	Role           string    `gorm:"size:16;not null;index"`
	RegionID       *uint     `gorm:"index"`
	Region         *v1Region `gorm:"constraint:OnDelete:RESTRICT"`
	CentreID       *uint     `gorm:"index"`
	Centre         *v1Centre `gorm:"constraint:OnDelete:RESTRICT"`
	PasswordHash   string    `gorm:"size:255;not null;default:''"`
	PINHash        string    `gorm:"column:pin_hash;size:255;not null;default:''"`
	Active         bool      `gorm:"not null;default:true"`
	Lang           string    `gorm:"size:8;not null;default:''"`
	RegisteredByID *uint
	RegisteredBy   *v1User `gorm:"foreignKey:RegisteredByID;constraint:OnDelete:SET NULL"`
	LastSeenAt     *time.Time
	CreatedAt      time.Time `gorm:"not null"`
	UpdatedAt      time.Time `gorm:"not null"`
}

func (v1User) TableName() string { return "users" }

type v1Session struct {
	ID         uint      `gorm:"primaryKey"`
	TokenHash  string    `gorm:"size:64;not null;uniqueIndex"`
	UserID     uint      `gorm:"not null;index"`
	User       *v1User   `gorm:"constraint:OnDelete:CASCADE"`
	CreatedAt  time.Time `gorm:"not null"`
	LastSeenAt time.Time `gorm:"not null"`
	ExpiresAt  time.Time `gorm:"not null"`
	IP         string    `gorm:"size:64;not null;default:''"`
	UserAgent  string    `gorm:"size:255;not null;default:''"`
}

func (v1Session) TableName() string { return "sessions" }

type v1LoginThrottle struct {
	Key         string    `gorm:"primaryKey;size:160"`
	Failures    int       `gorm:"not null"`
	WindowStart time.Time `gorm:"not null"`
}

func (v1LoginThrottle) TableName() string { return "login_throttles" }

type v1Setting struct {
	Key   string `gorm:"primaryKey;size:64"`
	Value string `gorm:"not null"`
}

func (v1Setting) TableName() string { return "settings" }

func migrate0001(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v1Region{}, &v1Centre{}, &v1User{}, &v1Session{}, &v1LoginThrottle{}, &v1Setting{})
}

type v2LessonProgress struct {
	UserID     uint      `gorm:"primaryKey;autoIncrement:false"`
	User       *v1User   `gorm:"constraint:OnDelete:CASCADE"`
	Course     string    `gorm:"primaryKey;size:64"`
	Lesson     string    `gorm:"primaryKey;size:64"`
	StartedAt  time.Time `gorm:"not null"`
	LastSeenAt time.Time `gorm:"not null"`
	Attempts   int       `gorm:"not null;default:0"`
	BestRight  int       `gorm:"not null;default:0"`
	PassedAt   *time.Time
}

func (v2LessonProgress) TableName() string { return "lesson_progress" }

type v2QuizAttempt struct {
	ID         uint      `gorm:"primaryKey"`
	UserID     uint      `gorm:"not null;uniqueIndex:idx_attempt_key,priority:1;index:idx_attempt_user,priority:1"`
	User       *v1User   `gorm:"constraint:OnDelete:CASCADE"`
	AttemptKey string    `gorm:"size:64;not null;uniqueIndex:idx_attempt_key,priority:2"`
	Course     string    `gorm:"size:64;not null;index:idx_attempt_lesson,priority:1"`
	Lesson     string    `gorm:"size:64;not null;index:idx_attempt_lesson,priority:2"`
	Lang       string    `gorm:"size:8;not null"`
	Right      int       `gorm:"not null"`
	Total      int       `gorm:"not null"`
	Passed     bool      `gorm:"not null"`
	CreatedAt  time.Time `gorm:"not null;index:idx_attempt_user,priority:2"`
}

func (v2QuizAttempt) TableName() string { return "quiz_attempts" }

type v2QuizAnswer struct {
	ID        uint           `gorm:"primaryKey"`
	AttemptID uint           `gorm:"not null;index"`
	Attempt   *v2QuizAttempt `gorm:"constraint:OnDelete:CASCADE"`
	UserID    uint           `gorm:"not null"`
	Course    string         `gorm:"size:64;not null;index:idx_answer_question,priority:1"`
	Lesson    string         `gorm:"size:64;not null;index:idx_answer_question,priority:2"`
	Question  string         `gorm:"size:8;not null;index:idx_answer_question,priority:3"`
	Chosen    int            `gorm:"not null"` // bit set of the options chosen, bit 0 = option a
	Correct   bool           `gorm:"not null"`
}

func (v2QuizAnswer) TableName() string { return "quiz_answers" }

type v2TaskCompletion struct {
	UserID      uint      `gorm:"primaryKey;autoIncrement:false"`
	User        *v1User   `gorm:"constraint:OnDelete:CASCADE"`
	TaskID      string    `gorm:"primaryKey;size:64"`
	Evidence    string    `gorm:"size:255;not null;default:''"`
	CompletedAt time.Time `gorm:"not null"`
}

func (v2TaskCompletion) TableName() string { return "task_completions" }

type v2Certificate struct {
	ID         uint      `gorm:"primaryKey"`
	Code       string    `gorm:"size:32;not null;uniqueIndex"`
	UserID     uint      `gorm:"not null;uniqueIndex:idx_cert_user_course,priority:1"`
	User       *v1User   `gorm:"constraint:OnDelete:CASCADE"`
	Course     string    `gorm:"size:64;not null;uniqueIndex:idx_cert_user_course,priority:2"`
	HolderName string    `gorm:"size:100;not null"`
	CentreName string    `gorm:"size:100;not null;default:''"`
	IssuedAt   time.Time `gorm:"not null"`
}

func (v2Certificate) TableName() string { return "certificates" }

func migrate0002(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v2LessonProgress{}, &v2QuizAttempt{}, &v2QuizAnswer{}, &v2TaskCompletion{}, &v2Certificate{})
}

// The practice shop: a shared catalogue (sellers, products, their reviews) and each
// learner's own sandbox (wallet, stock, cart, orders, after-sales, ledger, events).

type v3Seller struct {
	ID         string `gorm:"primaryKey;size:40"`
	NameZh     string `gorm:"size:100;not null"`
	NameEn     string `gorm:"size:100;not null"`
	RatingX10  int    `gorm:"not null"`
	Sales      int    `gorm:"not null"`
	Years      int    `gorm:"not null"`
	LocationZh string `gorm:"size:100;not null"`
	LocationEn string `gorm:"size:100;not null"`
}

func (v3Seller) TableName() string { return "shop_sellers" }

type v3Product struct {
	ID           uint      `gorm:"primaryKey"`
	SKU          string    `gorm:"column:sku;size:80;not null;uniqueIndex"`
	GroupKey     string    `gorm:"size:80;not null;index"`
	Category     string    `gorm:"size:20;not null;index"`
	SellerID     string    `gorm:"size:40;not null;index"`
	Seller       *v3Seller `gorm:"constraint:OnDelete:RESTRICT"`
	NameZh       string    `gorm:"size:200;not null"`
	NameEn       string    `gorm:"size:200;not null"`
	DescZh       string    `gorm:"size:2000;not null"`
	DescEn       string    `gorm:"size:2000;not null"`
	PriceCents   int64     `gorm:"not null"`
	Stock        int       `gorm:"not null"`
	Image        string    `gorm:"size:80;not null"`
	Pickup       bool      `gorm:"not null"`
	HomeFeeCents int64     `gorm:"not null"`
	Sales        int       `gorm:"not null"`
	RatingX10    int       `gorm:"not null"`
	Active       bool      `gorm:"not null;default:true"`
}

func (v3Product) TableName() string { return "shop_products" }

type v3CatalogReview struct {
	ID        uint       `gorm:"primaryKey"`
	ProductID uint       `gorm:"not null;index"`
	Product   *v3Product `gorm:"constraint:OnDelete:CASCADE"`
	AuthorZh  string     `gorm:"size:50;not null"`
	AuthorEn  string     `gorm:"size:50;not null"`
	Stars     int        `gorm:"not null"`
	TextZh    string     `gorm:"size:1000;not null"`
	TextEn    string     `gorm:"size:1000;not null"`
}

func (v3CatalogReview) TableName() string { return "shop_reviews" }

type v3Wallet struct {
	UserID         uint       `gorm:"primaryKey;autoIncrement:false"`
	User           *v1User    `gorm:"constraint:OnDelete:CASCADE"`
	BalanceCents   int64      `gorm:"not null"`
	PINHash        string     `gorm:"column:pin_hash;size:255;not null;default:''"`
	PINFailures    int        `gorm:"column:pin_failures;not null;default:0"`
	PINLockedUntil *time.Time `gorm:"column:pin_locked_until"`
	ClockOffset    int64      `gorm:"not null;default:0"` // seconds the learner's simulated clock is ahead
	CreatedAt      time.Time  `gorm:"not null"`
}

func (v3Wallet) TableName() string { return "sandbox_wallets" }

type v3Stock struct {
	UserID    uint       `gorm:"primaryKey;autoIncrement:false"`
	User      *v1User    `gorm:"constraint:OnDelete:CASCADE"`
	ProductID uint       `gorm:"primaryKey;autoIncrement:false"`
	Product   *v3Product `gorm:"constraint:OnDelete:CASCADE"`
	Stock     int        `gorm:"not null"`
}

func (v3Stock) TableName() string { return "sandbox_stock" }

type v3CartItem struct {
	UserID    uint       `gorm:"primaryKey;autoIncrement:false"`
	User      *v1User    `gorm:"constraint:OnDelete:CASCADE"`
	ProductID uint       `gorm:"primaryKey;autoIncrement:false"`
	Product   *v3Product `gorm:"constraint:OnDelete:CASCADE"`
	Qty       int        `gorm:"not null"`
	AddedAt   time.Time  `gorm:"not null"`
}

func (v3CartItem) TableName() string { return "sandbox_cart_items" }

type v3Order struct {
	ID            uint    `gorm:"primaryKey"`
	UserID        uint    `gorm:"not null;index;uniqueIndex:idx_order_key,priority:1"`
	User          *v1User `gorm:"constraint:OnDelete:CASCADE"`
	CheckoutKey   string  `gorm:"size:64;not null;uniqueIndex:idx_order_key,priority:2"`
	AssistedByID  *uint   `gorm:"index"`
	AssistedBy    *v1User `gorm:"foreignKey:AssistedByID;constraint:OnDelete:SET NULL"`
	Delivery      string  `gorm:"size:10;not null"`
	CentreID      *uint
	Centre        *v1Centre `gorm:"constraint:OnDelete:SET NULL"`
	Address       string    `gorm:"size:255;not null;default:''"`
	Payment       string    `gorm:"size:10;not null"`
	GoodsCents    int64     `gorm:"not null"`
	ShippingCents int64     `gorm:"not null"`
	TotalCents    int64     `gorm:"not null"`
	PlacedAt      time.Time `gorm:"not null"` // simulated clock
	ShipAt        time.Time `gorm:"not null"`
	WarehouseAt   time.Time `gorm:"not null"`
	ArriveAt      time.Time `gorm:"not null"`
	PickedUpAt    *time.Time
	PickupCode    string    `gorm:"size:8;not null"`
	Delayed       bool      `gorm:"not null;default:false"`
	Damaged       bool      `gorm:"not null;default:false"`
	CreatedAt     time.Time `gorm:"not null"`
}

func (v3Order) TableName() string { return "sandbox_orders" }

type v3OrderItem struct {
	ID         uint       `gorm:"primaryKey"`
	OrderID    uint       `gorm:"not null;index"`
	Order      *v3Order   `gorm:"constraint:OnDelete:CASCADE"`
	ProductID  uint       `gorm:"not null"`
	Product    *v3Product `gorm:"constraint:OnDelete:RESTRICT"`
	PriceCents int64      `gorm:"not null"`
	Qty        int        `gorm:"not null"`
}

func (v3OrderItem) TableName() string { return "sandbox_order_items" }

type v3Aftersale struct {
	ID          uint      `gorm:"primaryKey"`
	OrderID     uint      `gorm:"not null;uniqueIndex"`
	Order       *v3Order  `gorm:"constraint:OnDelete:CASCADE"`
	UserID      uint      `gorm:"not null;index"`
	Reason      string    `gorm:"size:20;not null"`
	Note        string    `gorm:"size:500;not null;default:''"`
	AmountCents int64     `gorm:"not null"`
	RequestedAt time.Time `gorm:"not null"` // simulated
	ResolveAt   time.Time `gorm:"not null"` // simulated
	RefundedAt  *time.Time
}

func (v3Aftersale) TableName() string { return "sandbox_aftersales" }

type v3LedgerEntry struct {
	ID          uint    `gorm:"primaryKey"`
	UserID      uint    `gorm:"not null;index"`
	User        *v1User `gorm:"constraint:OnDelete:CASCADE"`
	AmountCents int64   `gorm:"not null"` // + money in, - money out
	Kind        string  `gorm:"size:20;not null"`
	OrderID     *uint
	At          time.Time `gorm:"not null"` // simulated
}

func (v3LedgerEntry) TableName() string { return "sandbox_ledger" }

type v3Event struct {
	ID     uint      `gorm:"primaryKey"`
	UserID uint      `gorm:"not null;index"`
	User   *v1User   `gorm:"constraint:OnDelete:CASCADE"`
	Kind   string    `gorm:"size:30;not null"`
	Ref    string    `gorm:"size:80;not null;default:''"`
	At     time.Time `gorm:"not null"` // simulated
}

func (v3Event) TableName() string { return "sandbox_events" }

type v3LearnerReview struct {
	ID        uint      `gorm:"primaryKey"`
	UserID    uint      `gorm:"not null;uniqueIndex:idx_review_once,priority:1"`
	User      *v1User   `gorm:"constraint:OnDelete:CASCADE"`
	OrderID   uint      `gorm:"not null;uniqueIndex:idx_review_once,priority:2"`
	Order     *v3Order  `gorm:"constraint:OnDelete:CASCADE"`
	ProductID uint      `gorm:"not null;uniqueIndex:idx_review_once,priority:3;index"`
	Stars     int       `gorm:"not null"`
	Text      string    `gorm:"size:1000;not null"`
	CreatedAt time.Time `gorm:"not null"`
}

func (v3LearnerReview) TableName() string { return "sandbox_reviews" }

type v3SessionAssist struct {
	AssistUserID *uint `gorm:"column:assist_user_id"`
}

func (v3SessionAssist) TableName() string { return "sessions" }

func migrate0003(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&v3Seller{}, &v3Product{}, &v3CatalogReview{}, &v3Wallet{}, &v3Stock{}, &v3CartItem{},
		&v3Order{}, &v3OrderItem{}, &v3Aftersale{}, &v3LedgerEntry{}, &v3Event{}, &v3LearnerReview{}); err != nil {
		return err
	}
	// A partner's assisted session: the villager whose sandbox this browser is working in.
	return tx.Migrator().AddColumn(&v3SessionAssist{}, "AssistUserID")
}

// Selling, bills, travel, scams and the partners' assist log.

type v4SellShop struct {
	UserID      uint      `gorm:"primaryKey;autoIncrement:false"`
	User        *v1User   `gorm:"constraint:OnDelete:CASCADE"`
	Name        string    `gorm:"size:100;not null"`
	Description string    `gorm:"size:1000;not null"`
	CentreID    uint      `gorm:"not null"`
	Centre      *v1Centre `gorm:"constraint:OnDelete:RESTRICT"`
	Waits       int       `gorm:"not null;default:0"` // how many times simulated buyers came by
	CreatedAt   time.Time `gorm:"not null"`
}

func (v4SellShop) TableName() string { return "sell_shops" }

type v4Photo struct {
	ID        uint      `gorm:"primaryKey"`
	UserID    uint      `gorm:"not null;index"`
	User      *v1User   `gorm:"constraint:OnDelete:CASCADE"`
	Data      []byte    `gorm:"not null"`
	Width     int       `gorm:"not null"`
	Height    int       `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
}

func (v4Photo) TableName() string { return "sell_photos" }

type v4Listing struct {
	ID            uint    `gorm:"primaryKey"`
	UserID        uint    `gorm:"not null;index"`
	User          *v1User `gorm:"constraint:OnDelete:CASCADE"`
	Title         string  `gorm:"size:200;not null"`
	Description   string  `gorm:"size:2000;not null"`
	PriceCents    int64   `gorm:"not null"`
	ShippingCents int64   `gorm:"not null"`
	Stock         int     `gorm:"not null"`
	PhotoID       *uint
	Photo         *v4Photo  `gorm:"constraint:OnDelete:SET NULL"`
	Paused        bool      `gorm:"not null;default:false"`
	CreatedAt     time.Time `gorm:"not null"`
	UpdatedAt     time.Time `gorm:"not null"`
}

func (v4Listing) TableName() string { return "sell_listings" }

type v4SellOrder struct {
	ID            uint       `gorm:"primaryKey"`
	UserID        uint       `gorm:"not null;index"`
	User          *v1User    `gorm:"constraint:OnDelete:CASCADE"`
	ListingID     uint       `gorm:"not null"`
	Listing       *v4Listing `gorm:"constraint:OnDelete:CASCADE"`
	Buyer         string     `gorm:"size:50;not null"`
	BuyerCity     string     `gorm:"size:50;not null"`
	Qty           int        `gorm:"not null"`
	PriceCents    int64      `gorm:"not null"`
	ShippingCents int64      `gorm:"not null"`
	FeeCents      int64      `gorm:"not null"`
	Status        string     `gorm:"size:20;not null"`
	TrackingNo    string     `gorm:"size:30;not null;default:''"`
	PlacedAt      time.Time  `gorm:"not null"` // simulated
	ShippedAt     *time.Time
	DeliveredAt   *time.Time
	ReturnReason  string    `gorm:"size:30;not null;default:''"`
	ReturnAnswer  string    `gorm:"size:20;not null;default:''"`
	CreatedAt     time.Time `gorm:"not null"`
}

func (v4SellOrder) TableName() string { return "sell_orders" }

type v4SellMessage struct {
	ID        uint    `gorm:"primaryKey"`
	UserID    uint    `gorm:"not null;index"`
	User      *v1User `gorm:"constraint:OnDelete:CASCADE"`
	OrderID   *uint
	Order     *v4SellOrder `gorm:"constraint:OnDelete:CASCADE"`
	Question  string       `gorm:"size:30;not null"` // which buyer question (a catalog key)
	Buyer     string       `gorm:"size:50;not null"`
	Reply     string       `gorm:"size:500;not null;default:''"`
	AskedAt   time.Time    `gorm:"not null"` // simulated
	RepliedAt *time.Time
}

func (v4SellMessage) TableName() string { return "sell_messages" }

type v4BillPayment struct {
	ID          uint      `gorm:"primaryKey"`
	UserID      uint      `gorm:"not null;index"`
	User        *v1User   `gorm:"constraint:OnDelete:CASCADE"`
	Kind        string    `gorm:"size:20;not null"`
	Account     string    `gorm:"size:20;not null"`
	Holder      string    `gorm:"size:50;not null"` // masked name of the account holder
	AmountCents int64     `gorm:"not null"`
	Receipt     string    `gorm:"size:30;not null"`
	PaidAt      time.Time `gorm:"not null"` // simulated
}

func (v4BillPayment) TableName() string { return "bill_payments" }

type v4Ticket struct {
	ID          uint      `gorm:"primaryKey"`
	UserID      uint      `gorm:"not null;index"`
	User        *v1User   `gorm:"constraint:OnDelete:CASCADE"`
	TripID      string    `gorm:"size:40;not null"`
	Day         string    `gorm:"size:10;not null"` // YYYY-MM-DD on the simulated calendar
	Class       string    `gorm:"size:20;not null"`
	Seat        string    `gorm:"size:8;not null"`
	Passenger   string    `gorm:"size:50;not null"`
	PassengerID string    `gorm:"size:20;not null"` // masked: the full number is never stored
	PriceCents  int64     `gorm:"not null"`
	Code        string    `gorm:"size:12;not null"`
	BookedAt    time.Time `gorm:"not null"` // simulated
	RefundedAt  *time.Time
	RefundCents int64 `gorm:"not null;default:0"`
}

func (v4Ticket) TableName() string { return "travel_tickets" }

type v4ScamMessage struct {
	ID        uint      `gorm:"primaryKey"`
	UserID    uint      `gorm:"not null;uniqueIndex:idx_scam_once,priority:1"`
	User      *v1User   `gorm:"constraint:OnDelete:CASCADE"`
	Scenario  string    `gorm:"size:60;not null;uniqueIndex:idx_scam_once,priority:2"`
	ArrivedAt time.Time `gorm:"not null"`                    // simulated
	Action    string    `gorm:"size:20;not null;default:''"` // reported, blocked, fell, kept
	ActedAt   *time.Time
}

func (v4ScamMessage) TableName() string { return "scam_messages" }

type v4AssistLog struct {
	ID         uint      `gorm:"primaryKey"`
	PartnerID  uint      `gorm:"not null;index"`
	Partner    *v1User   `gorm:"foreignKey:PartnerID;constraint:OnDelete:CASCADE"`
	VillagerID uint      `gorm:"not null;index"`
	Villager   *v1User   `gorm:"foreignKey:VillagerID;constraint:OnDelete:CASCADE"`
	Kind       string    `gorm:"size:20;not null"`
	Note       string    `gorm:"size:500;not null;default:''"`
	CreatedAt  time.Time `gorm:"not null;index"`
}

func (v4AssistLog) TableName() string { return "assist_logs" }

type v4ProductScam struct {
	ScamID string `gorm:"column:scam_id;size:60;not null;default:''"`
}

func (v4ProductScam) TableName() string { return "shop_products" }

func migrate0004(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&v4SellShop{}, &v4Photo{}, &v4Listing{}, &v4SellOrder{}, &v4SellMessage{},
		&v4BillPayment{}, &v4Ticket{}, &v4ScamMessage{}, &v4AssistLog{}); err != nil {
		return err
	}
	// Scam listings (a ¥299 "flagship phone") live in the catalogue, marked with their scenario.
	return tx.Migrator().AddColumn(&v4ProductScam{}, "ScamID")
}

// Roll-ups the coordinators' reports read, kept exact by the writes that change them (in
// the same transaction), so a county dashboard never scans a million answers.

type v5LearnerStats struct {
	UserID          uint      `gorm:"primaryKey;autoIncrement:false"`
	User            *v1User   `gorm:"constraint:OnDelete:CASCADE"`
	LessonsPassed   int       `gorm:"not null;default:0"`
	LessonsMastered int       `gorm:"not null;default:0"`
	TasksDone       int       `gorm:"not null;default:0"`
	Certificates    int       `gorm:"not null;default:0"`
	Attempts        int       `gorm:"not null;default:0"`
	Stuck           int       `gorm:"not null;default:0"` // lessons with 3+ attempts and no pass
	UpdatedAt       time.Time `gorm:"not null"`
}

func (v5LearnerStats) TableName() string { return "learner_stats" }

type v5CourseStats struct {
	UserID   uint    `gorm:"primaryKey;autoIncrement:false"`
	User     *v1User `gorm:"constraint:OnDelete:CASCADE"`
	Course   string  `gorm:"primaryKey;size:64"`
	Mastered int     `gorm:"not null"`
	Total    int     `gorm:"not null"`
}

func (v5CourseStats) TableName() string { return "learner_course_stats" }

type v5QuestionStats struct {
	CentreID uint   `gorm:"primaryKey;autoIncrement:false"`
	Course   string `gorm:"primaryKey;size:64"`
	Lesson   string `gorm:"primaryKey;size:64"`
	Question string `gorm:"primaryKey;size:8"`
	Answers  int    `gorm:"not null"`
	Wrong    int    `gorm:"not null"`
	OptA     int    `gorm:"column:opt_a;not null"`
	OptB     int    `gorm:"column:opt_b;not null"`
	OptC     int    `gorm:"column:opt_c;not null"`
	OptD     int    `gorm:"column:opt_d;not null"`
	OptE     int    `gorm:"column:opt_e;not null"`
}

func (v5QuestionStats) TableName() string { return "question_stats" }

type v5ScoreStats struct {
	CentreID uint `gorm:"primaryKey;autoIncrement:false"`
	Bucket   int  `gorm:"primaryKey;autoIncrement:false"` // score in tenths: 0 … 10
	Attempts int  `gorm:"not null"`
}

func (v5ScoreStats) TableName() string { return "score_stats" }

type v5Activity struct {
	UserID uint    `gorm:"primaryKey;autoIncrement:false"`
	User   *v1User `gorm:"constraint:OnDelete:CASCADE"`
	Week   string  `gorm:"primaryKey;size:10"` // the Monday, YYYY-MM-DD
}

func (v5Activity) TableName() string { return "user_activity" }

// v5CentreWeek counts the distinct learners of a centre active in a week, incremented when
// a person's first activity of the week is recorded.
type v5CentreWeek struct {
	CentreID uint   `gorm:"primaryKey;autoIncrement:false"`
	Week     string `gorm:"primaryKey;size:10"`
	Active   int    `gorm:"not null"`
}

func (v5CentreWeek) TableName() string { return "centre_weekly_active" }

// v5CentreStats sums the learner_stats of a centre's partners or villagers.
type v5CentreStats struct {
	CentreID     uint   `gorm:"primaryKey;autoIncrement:false"`
	Role         string `gorm:"primaryKey;size:16"`
	Mastered     int    `gorm:"not null"`
	Tasks        int    `gorm:"not null"`
	Certificates int    `gorm:"not null"`
}

func (v5CentreStats) TableName() string { return "centre_stats" }

type v5Assignment struct {
	ID          uint      `gorm:"primaryKey"`
	Course      string    `gorm:"size:64;not null"`
	RegionID    *uint     `gorm:"index"`
	Region      *v1Region `gorm:"constraint:OnDelete:CASCADE"`
	CentreID    *uint     `gorm:"index"`
	Centre      *v1Centre `gorm:"constraint:OnDelete:CASCADE"`
	PartnerID   *uint     `gorm:"index"`
	Partner     *v1User   `gorm:"foreignKey:PartnerID;constraint:OnDelete:CASCADE"`
	Due         string    `gorm:"size:10;not null"` // YYYY-MM-DD
	CreatedByID uint      `gorm:"not null"`
	CreatedBy   *v1User   `gorm:"foreignKey:CreatedByID;constraint:OnDelete:CASCADE"`
	CreatedAt   time.Time `gorm:"not null"`
}

func (v5Assignment) TableName() string { return "assignments" }

type v5UserLastSeen struct {
	ID         uint       `gorm:"primaryKey"`
	LastSeenAt *time.Time `gorm:"index"`
}

func (v5UserLastSeen) TableName() string { return "users" }

func migrate0005(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&v5LearnerStats{}, &v5CourseStats{}, &v5QuestionStats{}, &v5ScoreStats{}, &v5Activity{}, &v5CentreWeek{}, &v5CentreStats{}, &v5Assignment{}); err != nil {
		return err
	}
	// "Inactive for 7 days" reads users by last sign-in; the roll-ups count a centre's
	// learners from an index alone.
	if err := tx.Migrator().CreateIndex(&v5UserLastSeen{}, "LastSeenAt"); err != nil {
		return err
	}
	if err := tx.Exec("CREATE INDEX idx_users_centre_role ON users (centre_id, role, active)").Error; err != nil {
		return err
	}
	// "Stuck": lessons with three or more attempts and no pass.
	return tx.Exec("CREATE INDEX idx_lesson_progress_attempts ON lesson_progress (attempts)").Error
}

// migrate0006 drops indexes that every quiz submission paid for, once for its attempt and
// once for each of its answers: two nothing reads since the reports moved to roll-up
// tables (issue 6), and a learner's attempts by time, which the partner page reads through
// the (user_id, attempt_key) index instead (at most a few hundred rows to sort).
func migrate0006(tx *gorm.DB) error {
	for _, idx := range []string{"idx_answer_question", "idx_attempt_lesson", "idx_attempt_user"} {
		if err := tx.Exec("DROP INDEX IF EXISTS " + idx).Error; err != nil {
			return err
		}
	}
	return nil
}

// migrate0007 marks accounts whose password someone else chose (a coordinator's bulk
// enrolment, an admin creating or resetting an account, the first admin's printed
// password): their owner must choose their own before doing anything else.
func migrate0007(tx *gorm.DB) error {
	return tx.Exec("ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE").Error
}

// migrate0008 records where a practice-shop refund goes: back the way the order was paid
// (the wallet, or cash at the centre). Returns still waiting for their refund take it from
// their order; those already refunded were credited to the wallet, and say so.
func migrate0008(tx *gorm.DB) error {
	if err := tx.Exec("ALTER TABLE sandbox_aftersales ADD COLUMN refund_to VARCHAR(10) NOT NULL DEFAULT 'wallet'").Error; err != nil {
		return err
	}
	return tx.Exec(`UPDATE sandbox_aftersales SET refund_to = 'cash' WHERE refunded_at IS NULL
		AND order_id IN (SELECT id FROM sandbox_orders WHERE payment = 'cash')`).Error
}

// migrate0009 indexes a sandbox's events by kind and what they are about: the practice
// tasks look for one kind of event before an order or a bill ("a declined payment, then
// an order"; "this product, from the compare page"), which the index on the user alone
// answered by reading every event of a learner's history. It replaces that index.
func migrate0009(tx *gorm.DB) error {
	if err := tx.Exec("CREATE INDEX idx_sandbox_events_kind ON sandbox_events (user_id, kind, ref)").Error; err != nil {
		return err
	}
	return tx.Exec("DROP INDEX IF EXISTS idx_sandbox_events_user_id").Error
}

// migrate0010 makes the coordinator pages cost what a region's centres cost, not its
// learners or answers (docs/PERFORMANCE.md, "Coordinator pages", has the figures and the plans):
//   - centre_stats counts each centre's active partners and villagers (learners), kept by
//     the account writes that create, move or (de)activate a learner, so the overview
//     and the matrix never count accounts; filled here from them;
//   - a region's partners are found by centre from an index that also holds their
//     names (the matrix sorts and the stuck list joins without reading the accounts);
//   - the stuck lessons (three or more attempts, no pass) get a partial index by learner
//     that holds what the alert shows, instead of an index on every row's attempts that
//     each quiz attempt rewrote and only this alert read;
//   - partners not seen for a week are walked along (role, last_seen_at), which replaces
//     the index on last_seen_at alone;
//   - a partner's page finds the villagers they registered by (registered_by_id, role),
//     which deleting an account needs too, for its ON DELETE SET NULL;
//   - difficult questions add up question_stats in question order, without sorting a
//     county's rows; the weekly chart reads its eight weeks, not the whole history.
//
// Without statistics (nothing runs ANALYZE) SQLite takes any equality on an indexed
// column to match about ten rows, so these indexes are chosen by the queries' shape;
// report's queries say which one each relies on.
func migrate0010(tx *gorm.DB) error {
	for _, stmt := range []string{
		"ALTER TABLE centre_stats ADD COLUMN learners INTEGER NOT NULL DEFAULT 0",
		`INSERT INTO centre_stats (centre_id, role, mastered, tasks, certificates, learners)
			SELECT centre_id, role, 0, 0, 0, COUNT(*) FROM users
			WHERE active AND role IN ('partner', 'villager') AND centre_id IS NOT NULL
			GROUP BY centre_id, role
			ON CONFLICT (centre_id, role) DO UPDATE SET learners = excluded.learners`,
		"CREATE INDEX idx_users_centre_role_name ON users (centre_id, role, active, name)",
		"DROP INDEX IF EXISTS idx_users_centre_role",
		"CREATE INDEX idx_lesson_progress_stuck ON lesson_progress (user_id, attempts, best_right, course, lesson) WHERE passed_at IS NULL AND attempts >= 3",
		"DROP INDEX IF EXISTS idx_lesson_progress_attempts",
		"CREATE INDEX idx_users_role_last_seen ON users (role, last_seen_at, active, centre_id)",
		"DROP INDEX IF EXISTS idx_users_last_seen_at",
		"CREATE INDEX idx_users_registered_by ON users (registered_by_id, role)",
		"CREATE INDEX idx_question_stats_question ON question_stats (course, lesson, question, centre_id)",
		"CREATE INDEX idx_centre_weekly_active_week ON centre_weekly_active (week)",
	} {
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	return nil
}

type v11Reminder struct {
	ID          uint       `gorm:"primaryKey"`
	PartnerID   uint       `gorm:"not null;index:idx_reminders_partner,priority:1"`
	Partner     *v1User    `gorm:"foreignKey:PartnerID;constraint:OnDelete:CASCADE"`
	AboutID     *uint      `gorm:"index"` // the villager the partner is asked to see; nil: the partner themselves
	About       *v1User    `gorm:"foreignKey:AboutID;constraint:OnDelete:CASCADE"`
	FromID      *uint      `gorm:"index"`
	From        *v1User    `gorm:"foreignKey:FromID;constraint:OnDelete:SET NULL"`
	CreatedAt   time.Time  `gorm:"not null"`
	DismissedAt *time.Time `gorm:"index:idx_reminders_partner,priority:2"`
}

func (v11Reminder) TableName() string { return "reminders" }

// migrate0011 adds the reminders a coordinator leaves from the alerts for a partner, about
// themselves or a villager of their centre, shown on the partner's home until dismissed;
// and, for the alerts' "never signed in since registering" lists, the learners who never
// signed in by role in order of registration. It is partial, so no query without
// "last_seen_at IS NULL" can take it, and the list stops at its limit instead of sorting
// every villager of the county who never came.
func migrate0011(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&v11Reminder{}); err != nil {
		return err
	}
	return tx.Exec("CREATE INDEX idx_users_never_signed_in ON users (role, created_at) WHERE last_seen_at IS NULL").Error
}

// v12LessonAudio is a lesson read aloud by a partner or coordinator, for the learners of
// their county who have no voice on their phone: one current recording per lesson,
// language and county (a new one replaces it), with who recorded it and when. The bytes
// (WebM/Opus, MP4/AAC or Ogg, at most about 1 MB) are in the row, as photos are, so every
// app instance sharing the database serves them.
type v12LessonAudio struct {
	ID           uint      `gorm:"primaryKey"`
	Course       string    `gorm:"size:64;not null;uniqueIndex:idx_lesson_audio_key,priority:1"`
	Lesson       string    `gorm:"size:64;not null;uniqueIndex:idx_lesson_audio_key,priority:2"`
	Lang         string    `gorm:"size:8;not null;uniqueIndex:idx_lesson_audio_key,priority:3"`
	CountyID     uint      `gorm:"not null;uniqueIndex:idx_lesson_audio_key,priority:4"`
	County       *v1Region `gorm:"foreignKey:CountyID;constraint:OnDelete:CASCADE"`
	Mime         string    `gorm:"size:32;not null"`
	Size         int       `gorm:"not null"`
	Data         []byte    `gorm:"not null"`
	RecordedByID *uint     `gorm:"index"`
	RecordedBy   *v1User   `gorm:"foreignKey:RecordedByID;constraint:OnDelete:SET NULL"`
	CreatedAt    time.Time `gorm:"not null"`
}

func (v12LessonAudio) TableName() string { return "lesson_audio" }

// migrate0012 adds the lessons' recorded audio (v12LessonAudio).
func migrate0012(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v12LessonAudio{})
}

type v13Class struct {
	ID             uint
	RegionID       uint   `gorm:"not null;index"`
	CentreID       *uint  `gorm:"index"`
	Title          string `gorm:"size:100;not null"`
	Audience       string `gorm:"size:10;not null"`
	Plan           string `gorm:"size:2000;not null"`
	TargetMinutes  int    `gorm:"not null"`
	Trainer        string `gorm:"size:50;not null"`
	TrainerProfile string `gorm:"size:500;not null"`
	CreatedByID    uint   `gorm:"not null"`
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ClosedAt       *time.Time
}

func (v13Class) TableName() string { return "training_classes" }

type v13Session struct {
	ID        uint
	ClassID   uint      `gorm:"not null;index:idx_training_sessions_class,priority:1"`
	Class     *v13Class `gorm:"foreignKey:ClassID;constraint:OnDelete:CASCADE"`
	StartsAt  time.Time `gorm:"not null;index:idx_training_sessions_class,priority:2"`
	EndsAt    time.Time `gorm:"not null"`
	Kind      string    `gorm:"size:10;not null"`
	Place     string    `gorm:"size:100;not null"`
	Trainer   string    `gorm:"size:50;not null"`
	CreatedAt time.Time
}

func (v13Session) TableName() string { return "training_sessions" }

type v13Enrolment struct {
	ClassID       uint      `gorm:"primaryKey;autoIncrement:false"`
	Class         *v13Class `gorm:"foreignKey:ClassID;constraint:OnDelete:CASCADE"`
	UserID        uint      `gorm:"primaryKey;autoIncrement:false;index"`
	User          *v1User   `gorm:"foreignKey:UserID;constraint:OnDelete:RESTRICT"`
	EnrolledAt    time.Time `gorm:"not null"`
	EnrolledByID  uint      `gorm:"not null"`
	RemovedAt     *time.Time
	RemovedByID   *uint
	RemovedReason string `gorm:"size:200;not null;default:''"`
}

func (v13Enrolment) TableName() string { return "training_enrolments" }

type v13Audit struct {
	ID       uint      `gorm:"primaryKey;autoIncrement:false"`
	At       time.Time `gorm:"not null"`
	ActorID  uint      `gorm:"not null"`
	ClassID  *uint     `gorm:"index"`
	Action   string    `gorm:"size:40;not null"`
	Subject  string    `gorm:"size:60;not null"`
	Detail   string    `gorm:"size:1000;not null"`
	Reason   string    `gorm:"size:200;not null"`
	PrevHash string    `gorm:"size:64;not null"`
	Hash     string    `gorm:"size:64;not null"`
}

func (v13Audit) TableName() string { return "audit_log" }

type v13Attendance struct {
	SessionID    uint        `gorm:"primaryKey;autoIncrement:false"`
	Session      *v13Session `gorm:"foreignKey:SessionID;constraint:OnDelete:CASCADE"`
	UserID       uint        `gorm:"primaryKey;autoIncrement:false;index"`
	User         *v1User     `gorm:"foreignKey:UserID;constraint:OnDelete:RESTRICT"`
	CheckedInAt  time.Time   `gorm:"not null"`
	CheckedOutAt *time.Time
	How          string `gorm:"size:10;not null"`
	Device       string `gorm:"size:64;not null;default:''"`
	MarkedByID   *uint
	Reason       string `gorm:"size:200;not null;default:''"`
}

func (v13Attendance) TableName() string { return "training_attendance" }

type v13StudyTime struct {
	UserID     uint    `gorm:"primaryKey;autoIncrement:false"`
	User       *v1User `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
	Course     string  `gorm:"primaryKey;size:64"`
	Lesson     string  `gorm:"primaryKey;size:64"`
	Seconds    int     `gorm:"not null"`
	LastBeatAt time.Time
}

func (v13StudyTime) TableName() string { return "study_time" }

type v13FollowUp struct {
	UserID       uint    `gorm:"primaryKey;autoIncrement:false"`
	User         *v1User `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
	Month        int     `gorm:"primaryKey;autoIncrement:false"`
	ShopOpened   bool    `gorm:"not null"`
	ShopAddress  string  `gorm:"size:200;not null"`
	SalesBand    string  `gorm:"size:16;not null"`
	FoundWork    bool    `gorm:"not null"`
	UsesServices bool    `gorm:"not null"`
	RecordedByID uint    `gorm:"not null"`
	RecordedAt   time.Time
}

func (v13FollowUp) TableName() string { return "training_followups" }

type v13Exam struct {
	ID          uint
	ClassID     uint      `gorm:"not null;index"`
	Class       *v13Class `gorm:"foreignKey:ClassID;constraint:OnDelete:CASCADE"`
	Title       string    `gorm:"size:100;not null"`
	OpensAt     time.Time `gorm:"not null"`
	ClosesAt    time.Time `gorm:"not null"`
	Minutes     int       `gorm:"not null"`
	Questions   int       `gorm:"not null"`
	Lessons     string    `gorm:"size:4000;not null"`
	Tasks       string    `gorm:"size:1000;not null;default:''"`
	Attempts    int       `gorm:"not null"`
	ProctorCode string    `gorm:"size:20;not null;default:''"`
	PassPercent int       `gorm:"not null"`
	CreatedByID uint      `gorm:"not null"`
	CreatedAt   time.Time
}

func (v13Exam) TableName() string { return "training_exams" }

type v13ExamAttempt struct {
	ID          uint
	ExamID      uint      `gorm:"not null;uniqueIndex:idx_training_exam_attempts_one,priority:1"`
	Exam        *v13Exam  `gorm:"foreignKey:ExamID;constraint:OnDelete:CASCADE"`
	UserID      uint      `gorm:"not null;uniqueIndex:idx_training_exam_attempts_one,priority:2;index"`
	User        *v1User   `gorm:"foreignKey:UserID;constraint:OnDelete:RESTRICT"`
	Number      int       `gorm:"not null;uniqueIndex:idx_training_exam_attempts_one,priority:3"`
	StartedAt   time.Time `gorm:"not null"`
	DueAt       time.Time `gorm:"not null"`
	SubmittedAt *time.Time
	Questions   string `gorm:"size:8000;not null"`
	Marks       string `gorm:"size:200;not null;default:''"`
	Right       int    `gorm:"not null;default:0"`
	Total       int    `gorm:"not null;default:0"`
	TasksDone   int    `gorm:"not null;default:0"`
}

func (v13ExamAttempt) TableName() string { return "training_exam_attempts" }

type v13ExamCandidate struct {
	ExamID        uint     `gorm:"primaryKey;autoIncrement:false"`
	Exam          *v13Exam `gorm:"foreignKey:ExamID;constraint:OnDelete:CASCADE"`
	UserID        uint     `gorm:"primaryKey;autoIncrement:false"`
	User          *v1User  `gorm:"foreignKey:UserID;constraint:OnDelete:RESTRICT"`
	Excused       bool     `gorm:"not null;default:false"`
	ExtraAttempts int      `gorm:"not null;default:0"`
	Reason        string   `gorm:"size:200;not null;default:''"`
	UpdatedAt     time.Time
}

func (v13ExamCandidate) TableName() string { return "training_exam_candidates" }

// migrate0013 adds the training records (package records): classes, their sessions,
// rosters and attendance, online study time, exams with their attempts and the trainer's
// decisions on candidates, follow-ups after the training, and the audit log, whose ids are
// the chain's order (set by the writer, not by a sequence, so they are consecutive).
func migrate0013(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v13Class{}, &v13Session{}, &v13Enrolment{}, &v13Audit{}, &v13Attendance{}, &v13StudyTime{},
		&v13Exam{}, &v13ExamAttempt{}, &v13ExamCandidate{}, &v13FollowUp{})
}

type v14Event struct{ CreatedAt time.Time }

func (v14Event) TableName() string { return "sandbox_events" }

// migrate0014: a practice task counts only what the learner did after opening its lesson,
// so events keep the real time they were recorded (their At is the simulated clock); and a
// listing may say what the goods and the courier cost the seller, which the pricing task checks.
func migrate0014(tx *gorm.DB) error {
	if err := tx.Migrator().AddColumn(&v14Event{}, "CreatedAt"); err != nil {
		return err
	}
	for _, col := range []string{"cost_cents", "postage_cents"} {
		if err := tx.Exec("ALTER TABLE sell_listings ADD COLUMN " + col + " BIGINT NOT NULL DEFAULT 0").Error; err != nil {
			return err
		}
	}
	return nil
}

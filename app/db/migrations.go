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

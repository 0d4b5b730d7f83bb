// Package audio owns the lessons' recorded audio: a partner or coordinator reads a lesson
// aloud (for learners whose phone has no voice for it), and the learners of their county
// play it. There is one current recording per lesson, language and county; a new one
// replaces it. Who may record, replace, delete and play is checked here, by role and by
// county (account.CountyOf).
package audio

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"cunlu/app/account"
	"cunlu/app/errs"
)

// MaxBytes is the most a recording may be: about five and a half minutes at the 24 kbit/s
// the page records at, and a minute at a phone recorder's usual 128 kbit/s.
const MaxBytes = 1 << 20

// Recording is one lesson's current recording for a language and a county. Data is read
// only by Data; the other queries leave it out.
type Recording struct {
	ID             uint
	Course         string
	Lesson         string
	Lang           string
	CountyID       uint
	Mime           string
	Size           int
	Data           []byte `gorm:"->:false;<-:create"`
	RecordedByID   *uint
	RecordedByName string `gorm:"->;-:migration"` // read with a join, never written
	CreatedAt      time.Time
}

func (Recording) TableName() string { return "lesson_audio" }

// Key names the lesson and language a recording is for.
type Key struct {
	Course, Lesson, Lang string
}

// Service stores and serves recordings.
type Service struct {
	db       *gorm.DB
	accounts *account.Service
	now      func() time.Time
}

// NewService returns the service; now may be nil (the wall clock).
func NewService(g *gorm.DB, accounts *account.Service, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: g, accounts: accounts, now: now}
}

// CanRecord reports whether u's role may record lessons for their county.
func CanRecord(u *account.User) bool {
	return u != nil && (u.Role == account.RolePartner || u.Role == account.RoleCoordinator)
}

// Sniff returns the audio type of data by its first bytes: WebM (the EBML header, what
// Chromium and Android record), MP4/M4A (an ftyp box: iPhones, and phone recorder apps),
// Ogg, or MP3 (an ID3 tag or a frame's sync bits: the voice recorders of many Chinese
// phones); "" for anything else. What the browser said the file was is not believed.
func Sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return "audio/webm"
	case len(data) >= 8 && string(data[4:8]) == "ftyp":
		return "audio/mp4"
	case bytes.HasPrefix(data, []byte("OggS")):
		return "audio/ogg"
	case bytes.HasPrefix(data, []byte("ID3")), len(data) >= 2 && data[0] == 0xFF && data[1]&0xE0 == 0xE0:
		return "audio/mpeg"
	}
	return ""
}

var (
	errNotFound  = errs.New(errs.NotFound, "error.not_found")
	errForbidden = errs.New(errs.Forbidden, "error.forbidden")
)

// Save makes data the current recording of k for the actor's county, replacing the one
// there was. The actor must be a partner or coordinator with a county. data must be an
// audio file (Sniff) of at most MaxBytes: otherwise an Invalid error about the field
// "audio", and nothing changes. k is not checked here: the caller knows the lessons.
func (s *Service) Save(ctx context.Context, actor *account.User, k Key, data []byte) (*Recording, error) {
	if !CanRecord(actor) {
		return nil, errForbidden
	}
	switch {
	case len(data) == 0:
		return nil, errs.Field("audio", "audio.error.missing")
	case len(data) > MaxBytes:
		return nil, errs.Field("audio", "audio.error.too_big").With("MB", MaxBytes>>20)
	}
	mime := Sniff(data)
	if mime == "" {
		return nil, errs.Field("audio", "audio.error.not_audio")
	}
	county, err := s.accounts.CountyOf(ctx, actor)
	if err != nil {
		if errs.CodeOf(err) == errs.NotFound {
			return nil, errForbidden
		}
		return nil, err
	}
	r := &Recording{Course: k.Course, Lesson: k.Lesson, Lang: k.Lang, CountyID: county, Mime: mime, Size: len(data),
		Data: data, RecordedByID: &actor.ID, CreatedAt: s.now()}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("course = ? AND lesson = ? AND lang = ? AND county_id = ?", k.Course, k.Lesson, k.Lang, county).
			Delete(&Recording{}).Error; err != nil {
			return err
		}
		return tx.Create(r).Error
	})
	if err != nil {
		// Two recorders of a county saving at the same moment on PostgreSQL: one wins.
		if strings.Contains(strings.ToLower(err.Error()), "unique") {
			return nil, errs.Field("audio", "audio.error.busy")
		}
		return nil, errs.Wrap(err, "save recording")
	}
	r.Data, r.RecordedByName = nil, actor.Name
	return r, nil
}

// meta selects a recording's columns without its bytes, with the recorder's name.
func (s *Service) meta(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Model(&Recording{}).
		Select("lesson_audio.id, lesson_audio.course, lesson_audio.lesson, lesson_audio.lang, lesson_audio.county_id, " +
			"lesson_audio.mime, lesson_audio.size, lesson_audio.recorded_by_id, lesson_audio.created_at, users.name AS recorded_by_name").
		Joins("LEFT JOIN users ON users.id = lesson_audio.recorded_by_id")
}

// Current returns the recording of k for the viewer's county, and whether there is one.
// Someone without a county (an admin) has none.
func (s *Service) Current(ctx context.Context, viewer *account.User, k Key) (*Recording, bool, error) {
	county, err := s.accounts.CountyOf(ctx, viewer)
	if errs.CodeOf(err) == errs.NotFound {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	var rs []Recording
	err = s.meta(ctx).Where("lesson_audio.course = ? AND lesson_audio.lesson = ? AND lesson_audio.lang = ? AND lesson_audio.county_id = ?",
		k.Course, k.Lesson, k.Lang, county).Limit(1).Find(&rs).Error
	if err != nil || len(rs) == 0 {
		return nil, false, errs.Wrap(err, "find recording")
	}
	return &rs[0], true, nil
}

// ForCourse lists the recordings of a course's lessons in lang for the viewer's county,
// without their bytes: what saving the course for offline study may add.
func (s *Service) ForCourse(ctx context.Context, viewer *account.User, course, lang string) ([]Recording, error) {
	county, err := s.accounts.CountyOf(ctx, viewer)
	if errs.CodeOf(err) == errs.NotFound {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var rs []Recording
	err = s.meta(ctx).Where("lesson_audio.course = ? AND lesson_audio.lang = ? AND lesson_audio.county_id = ?", course, lang, county).
		Order("lesson_audio.lesson").Find(&rs).Error
	return rs, errs.Wrap(err, "list recordings")
}

// Recording returns recording id, without its bytes, if viewer belongs to its county (a
// learner of it, or its partner or coordinator); otherwise NotFound, so recordings of other
// counties cannot be probed.
func (s *Service) Recording(ctx context.Context, viewer *account.User, id uint) (*Recording, error) {
	var r Recording
	if err := s.meta(ctx).Where("lesson_audio.id = ?", id).Take(&r).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, errNotFound
		}
		return nil, errs.Wrap(err, "find recording")
	}
	county, err := s.accounts.CountyOf(ctx, viewer)
	if errs.CodeOf(err) == errs.NotFound || (err == nil && county != r.CountyID) {
		return nil, errNotFound
	} else if err != nil {
		return nil, err
	}
	return &r, nil
}

// Data returns the bytes of a recording that Recording let the viewer see.
func (s *Service) Data(ctx context.Context, r *Recording) ([]byte, error) {
	var data [][]byte
	if err := s.db.WithContext(ctx).Model(&Recording{}).Where("id = ?", r.ID).Limit(1).Pluck("data", &data).Error; err != nil {
		return nil, errs.Wrap(err, "read recording")
	}
	if len(data) == 0 {
		return nil, errNotFound // deleted since
	}
	return data[0], nil
}

// Delete removes recording id. Only a partner or coordinator of its county may.
func (s *Service) Delete(ctx context.Context, actor *account.User, id uint) error {
	if !CanRecord(actor) {
		return errForbidden
	}
	r, err := s.Recording(ctx, actor, id)
	if err != nil {
		return err
	}
	return errs.Wrap(s.db.WithContext(ctx).Delete(&Recording{}, r.ID).Error, "delete recording")
}

package web

// A lesson's recorded audio: partners and coordinators record a lesson (in the page with
// static/record.js, or by uploading a file from the phone's recorder), and the learners of
// their county play it on the lesson page, where the phone has no voice to read it aloud.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"cunlu/app/account"
	"cunlu/app/audio"
	"cunlu/app/course"
	"cunlu/app/errs"
)

// recorders may record lessons for their county.
var recorders = []account.Role{account.RolePartner, account.RoleCoordinator}

// audioRoutes take a recording, by method and route path: a recording of at most
// audio.MaxBytes with its form, which is a little over the 1 MB of every other form
// (server.go skips its limit for them; handleAudio sets theirs).
var audioRoutes = map[string]bool{
	http.MethodPost + " /courses/:course/:lesson/audio": true,
}

// audioBodyLimit is the recording and the rest of its form.
const audioBodyLimit = "1088K" // audio.MaxBytes + 64 KB

// audioRecordSeconds is how long the page lets a recording run: at the 24 kbit/s it asks
// for (static/record.js), a tenth under audio.MaxBytes.
const audioRecordSeconds = audio.MaxBytes * 8 / 24000 * 9 / 10

// handleAudio registers a route that takes a recording: a larger body limit than other
// forms (its excess is answered with the recording's own message), the form's file kept on
// disk, then the checks of every route.
func (s *Server) handleAudio(method, path string, h echo.HandlerFunc, roles []account.Role) {
	limit := middleware.BodyLimit(audioBodyLimit)
	tooBig := func(next echo.HandlerFunc) echo.HandlerFunc {
		limited := limit(next)
		return func(c echo.Context) error {
			err := limited(c)
			if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
				// The session is not loaded yet (the body is refused before the form is
				// read): load it for the page's header, and say what is too large.
				return s.loadSession(s.audioTooLarge)(c)
			}
			return err
		}
	}
	s.add(method, path, h, tooBig, spoolUpload, s.csrfCheck, s.loadSession, s.require(roles...))
	s.routes = append(s.routes, Route{Method: method, Path: path, Roles: roles})
}

// audioTooLarge answers a recording over the body limit: 413 with the message about the
// recording's size, not the general one.
func (s *Server) audioTooLarge(c echo.Context) error {
	tr := s.translatorOf(c)
	msg := tr.T("audio.error.too_big", map[string]any{"MB": audio.MaxBytes >> 20})
	if wantsJSON(c) {
		return c.JSON(http.StatusRequestEntityTooLarge, map[string]string{"error": msg})
	}
	p := s.newPage(c, "error", nil)
	p.Data = errorView{Status: http.StatusRequestEntityTooLarge, Message: msg}
	return s.render(c, http.StatusRequestEntityTooLarge, p)
}

// lessonAudio is what the lesson page shows of its recording: the player for the county's
// learners, and for its partners and coordinators the recorder.
type lessonAudio struct {
	Current    *audio.Recording // nil: none for this language and county
	URL        string           // where Current plays from
	CanRecord  bool
	Action     string // where a recording is sent
	MaxMB      int
	MaxBytes   int
	MaxSeconds int
}

// KB is the recording's size, for people who pay for their data.
func (a *lessonAudio) KB() int { return (a.Current.Size + 1023) / 1024 }

func (s *Server) lessonAudio(c echo.Context, l *course.Lesson, lang string) (*lessonAudio, error) {
	u := currentUser(c)
	a := &lessonAudio{CanRecord: audio.CanRecord(u), Action: l.URL() + "/audio", MaxMB: audio.MaxBytes >> 20,
		MaxBytes: audio.MaxBytes, MaxSeconds: audioRecordSeconds}
	r, ok, err := s.audio.Current(c.Request().Context(), u, audio.Key{Course: l.Course.Slug, Lesson: l.Slug, Lang: lang})
	if err != nil {
		return nil, err
	}
	if ok {
		a.Current, a.URL = r, audioURL(l, r.ID)
	}
	return a, nil
}

func audioURL(l *course.Lesson, id uint) string { return fmt.Sprintf("%s/audio/%d", l.URL(), id) }

// audioLesson is the lesson of the route, if the signed-in person may see it.
func (s *Server) audioLesson(c echo.Context) (*course.Lesson, error) {
	l := s.courses.Catalog().Lesson(c.Param("course"), c.Param("lesson"))
	if l == nil || !l.For(audienceOf(currentUser(c))) {
		return nil, errNotFound
	}
	return l, nil
}

// audioUpload is POST /courses/:course/:lesson/audio (multipart: lang, audio): the
// recording of the lesson in that language for the recorder's county, replacing the one
// there was. A script asking for JSON gets {"url"} to go to, or {"error"}.
func (s *Server) audioUpload(c echo.Context) error {
	l, err := s.audioLesson(c)
	if err != nil {
		return err
	}
	lang := c.FormValue("lang")
	if !slices.Contains(course.Langs, lang) {
		lang = s.langOf(c)
	}
	data, err := readAudio(c)
	if err == nil {
		_, err = s.audio.Save(c.Request().Context(), currentUser(c), audio.Key{Course: l.Course.Slug, Lesson: l.Slug, Lang: lang}, data)
	}
	if err != nil {
		return s.audioFormError(c, err)
	}
	if wantsJSON(c) {
		return c.JSON(http.StatusOK, map[string]string{"url": l.URL() + "#lesson-audio"})
	}
	return s.redirectFlash(c, l.URL()+"#lesson-audio", "flash.audio_saved")
}

// readAudio reads the form's recording, refusing one over audio.MaxBytes before reading it.
func readAudio(c echo.Context) ([]byte, error) {
	fh, err := c.FormFile("audio")
	if errors.Is(err, http.ErrMissingFile) {
		return nil, errs.Field("audio", "audio.error.missing")
	} else if err != nil {
		return nil, errs.Field("audio", "audio.error.not_audio")
	}
	if fh.Size > audio.MaxBytes {
		return nil, errs.Field("audio", "audio.error.too_big").With("MB", audio.MaxBytes>>20)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, errs.Field("audio", "audio.error.not_audio")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, audio.MaxBytes+1))
	if err != nil {
		return nil, errs.Field("audio", "audio.error.not_audio")
	}
	return data, nil
}

// audioFormError shows a refused recording's message on the lesson page, next to the
// recorder (413 when it was too large); other errors go to the error page.
func (s *Server) audioFormError(c echo.Context, err error) error {
	e, ok := err.(*errs.Error)
	if !ok || e.Code != errs.Invalid {
		return err
	}
	status := http.StatusBadRequest
	if e.Key == "audio.error.too_big" {
		status = http.StatusRequestEntityTooLarge
	}
	if wantsJSON(c) {
		return c.JSON(status, map[string]string{"error": s.translatorOf(c).T(e.Key, e.Args)})
	}
	v, verr := s.lessonData(c, 0)
	if verr != nil {
		return verr
	}
	p := s.newPage(c, "lesson", v)
	p.Error, p.ErrField = p.T(e.Key, e.Args), e.Field
	return s.render(c, status, p)
}

// audioServe is GET /courses/:course/:lesson/audio/:id: a recording, for the learners,
// partners and coordinators of its county only (others: 404). Ranges, conditional
// requests and the length are http.ServeContent's; an unchanged recording is a 304
// without its bytes being read.
func (s *Server) audioServe(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := s.audio.Recording(ctx, currentUser(c), id)
	if err != nil {
		return err
	}
	if r.Course != c.Param("course") || r.Lesson != c.Param("lesson") {
		return errNotFound
	}
	h := c.Response().Header()
	tag := fmt.Sprintf(`"audio-%d-%d-%d"`, r.ID, r.CreatedAt.UnixNano(), r.Size)
	h.Set("ETag", tag)
	h.Set("Cache-Control", "private, no-cache")
	h.Set(echo.HeaderContentType, r.Mime)
	if etagMatches(c.Request().Header.Get("If-None-Match"), tag) {
		return c.NoContent(http.StatusNotModified)
	}
	data, err := s.audio.Data(ctx, r)
	if err != nil {
		return err
	}
	http.ServeContent(c.Response(), c.Request(), "", r.CreatedAt, bytes.NewReader(data))
	return nil
}

// audioDelete is POST /courses/:course/:lesson/audio/:id/delete: a partner or coordinator
// removes their county's recording.
func (s *Server) audioDelete(c echo.Context) error {
	l, err := s.audioLesson(c)
	if err != nil {
		return err
	}
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx, u := c.Request().Context(), currentUser(c)
	if r, err := s.audio.Recording(ctx, u, id); err != nil {
		return err
	} else if r.Course != l.Course.Slug || r.Lesson != l.Slug {
		return errNotFound // another lesson's recording, under this lesson's address
	}
	if err := s.audio.Delete(ctx, u, id); err != nil {
		return err
	}
	return s.redirectFlash(c, l.URL()+"#lesson-audio", "flash.audio_deleted")
}

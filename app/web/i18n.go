package web

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sort"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/labstack/echo/v4"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.toml
var localeFiles embed.FS

// LocaleFiles are the interface messages, <lang>.toml, for `courses lint` to check against
// the courses' glossary.
func LocaleFiles() fs.FS {
	sub, err := fs.Sub(localeFiles, "locales")
	if err != nil {
		panic(err) // a constant, valid path
	}
	return sub
}

// Languages are the interface languages, the default first.
var Languages = []string{"zh-CN", "en"}

// catalog holds the translation bundle and remembers message ids that were asked for but
// are missing, so tests can fail on them and logs show them once.
type catalog struct {
	bundle  *i18n.Bundle
	matcher language.Matcher
	tags    []language.Tag
	log     *slog.Logger

	mu      sync.Mutex
	missing map[string]bool

	// plain holds messages without arguments once rendered, by language and id: a page
	// asks for dozens of them, and go-i18n renders each through a template every time.
	plain sync.Map

	// translators holds one Translator per language: they keep no state of a request.
	translators map[string]*Translator
}

func newCatalog(log *slog.Logger) (*catalog, error) {
	b := i18n.NewBundle(language.MustParse(Languages[0]))
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &catalog{bundle: b, log: log, missing: map[string]bool{}}
	for _, l := range Languages {
		if _, err := b.LoadMessageFileFS(localeFiles, "locales/"+l+".toml"); err != nil {
			return nil, fmt.Errorf("load %s catalog: %w", l, err)
		}
		c.tags = append(c.tags, language.MustParse(l))
	}
	c.translators = make(map[string]*Translator, len(Languages))
	for _, l := range Languages {
		c.translators[l] = &Translator{Lang: l, loc: i18n.NewLocalizer(b, l), cat: c}
	}
	// zh-Hans and zh-TW readers get Simplified Chinese; everything else falls to the default too.
	c.matcher = language.NewMatcher(c.tags)
	return c, nil
}

// match picks a supported language from an Accept-Language header.
func (c *catalog) match(acceptLanguage string) string {
	prefs, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(prefs) == 0 {
		return Languages[0]
	}
	_, i, conf := c.matcher.Match(prefs...)
	if conf == language.No {
		return Languages[0]
	}
	return Languages[i]
}

func supported(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// translator returns the translator for lang (which must be supported).
func (c *catalog) translator(lang string) *Translator {
	if t := c.translators[lang]; t != nil {
		return t
	}
	return &Translator{Lang: lang, loc: i18n.NewLocalizer(c.bundle, lang), cat: c}
}

func (c *catalog) noteMissing(lang, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.missing[lang+":"+id] {
		c.missing[lang+":"+id] = true
		c.log.Error("missing translation", "lang", lang, "id", id)
	}
}

// Missing lists "lang:id" of every message asked for that a catalog lacks.
func (c *catalog) Missing() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.missing))
	for k := range c.missing {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Translator renders catalog messages in one language.
type Translator struct {
	Lang string
	loc  *i18n.Localizer
	cat  *catalog
}

// T returns message id filled with args, given as name/value pairs ("Name", "王芳") or as
// one map. A "Count" argument selects the plural form. A missing message renders as
// [[id]] and is recorded, never silently replaced by the other language.
func (t *Translator) T(id string, args ...any) string {
	if len(args) == 0 {
		key := t.Lang + "\x00" + id
		if s, ok := t.cat.plain.Load(key); ok {
			return s.(string)
		}
		s, ok := t.render(id, nil)
		if ok {
			t.cat.plain.Store(key, s)
		}
		return s
	}
	var data map[string]any
	if len(args) == 1 {
		if m, ok := args[0].(map[string]any); ok {
			data = m
		}
	}
	if data == nil && len(args) > 0 {
		data = make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			if k, ok := args[i].(string); ok {
				data[k] = args[i+1]
			}
		}
	}
	s, _ := t.render(id, data)
	return s
}

// render localizes one message; ok is false when it is missing or broken.
func (t *Translator) render(id string, data map[string]any) (string, bool) {
	cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if n, ok := data["Count"]; ok {
		cfg.PluralCount = n
	}
	s, tag, err := t.loc.LocalizeWithTag(cfg)
	var nf *i18n.MessageNotFoundErr
	if errors.As(err, &nf) || (err == nil && tag.String() != t.Lang) {
		t.cat.noteMissing(t.Lang, id)
		return "[[" + id + "]]", false
	}
	if err != nil {
		t.cat.log.Error("translate", "lang", t.Lang, "id", id, "err", err)
		return "[[" + id + "]]", false
	}
	return s, true
}

// langCookie remembers the language a browser chose, for people not signed in.
const langCookie = "lang"

// requestLang decides the interface language: the signed-in person's choice, then this
// browser's choice, then Accept-Language.
func (s *Server) requestLang(c echo.Context) string {
	if u := currentUser(c); u != nil && supported(u.Lang) {
		return u.Lang
	}
	if ck, err := c.Cookie(langCookie); err == nil && supported(ck.Value) {
		return ck.Value
	}
	return s.cat.match(c.Request().Header.Get("Accept-Language"))
}

func (s *Server) setLangCookie(c echo.Context, lang string) {
	c.SetCookie(&http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

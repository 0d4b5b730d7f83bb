package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"cunlu/app/course"
)

// A user is one virtual person in one browser: a cookie jar, one request at a time, and
// what they last saw on a page (the forms they may submit next, where they are in the
// courses, the shop and the dashboards).
type user struct {
	n        int // the account's number: lv00043 is 43
	login    string
	cacheKey string // names the browser in the saved sessions
	role     string // villager, partner or coordinator
	base     string // the server this browser talks to
	client   *http.Client
	r        *rand.Rand
	busy     bool     // taken by a step; guarded by the pools' mutex
	pools    []string // the pools the user belongs to (pools.go)

	// learners
	aud      *audience
	lesson   string // the lesson being studied (a path)
	quiz     *form  // the quiz form of the lesson last read, when it can be submitted
	grade    map[string][]string
	buyStage int
	found    []string // product ids from the last search
	product  string
	cartForm *form
	checkout *form
	// partners
	assist *form
	// coordinators
	path   []string // the regions drilled into below their county, top down
	people []string // partner pages linked from the pages seen: "id?region=r"
	table  int      // the next export's table

	b *bench // what all users share: products, lessons
}

// region is the region a coordinator is looking at: "" for their own county.
func (u *user) region() string {
	if len(u.path) == 0 {
		return ""
	}
	return u.path[len(u.path)-1]
}

const userAgent = "Mozilla/5.0 (Linux; Android 10) cunlu-countyday"

// newUser makes a browser with an empty cookie jar. All users share one transport (the
// generator's connection pool); each has its own cookies.
func newUser(n int, login, role, base string, tr http.RoundTripper, seed uint64) *user {
	jar, _ := cookiejar.New(nil)
	return &user{n: n, login: login, role: role, base: base, r: rand.New(rand.NewPCG(seed, uint64(n))),
		client: &http.Client{Transport: tr, Jar: jar, Timeout: 60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// response is what a step needs of an HTTP response.
type response struct {
	code       int
	location   string
	retryAfter bool
	body       string
	took       time.Duration
}

// do sends one request as the browser would (its cookies, Accept-Language of a Chinese
// phone, gzip by the transport) and reads the whole body.
func (u *user) do(ctx context.Context, method, path string, form url.Values) (*response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.base+path, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	req.Header.Set("User-Agent", userAgent)
	start := time.Now()
	res, err := u.client.Do(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	r := &response{code: res.StatusCode, location: res.Header.Get("Location"), retryAfter: res.Header.Get("Retry-After") != "",
		body: string(b), took: time.Since(start)}
	return r, err
}

// A form is a form found on a page: where it goes and its hidden fields (the CSRF token
// among them), and the raw HTML inside it for the fields a person fills in.
type form struct {
	action string
	hidden url.Values
	inner  string
	tag    string
}

var (
	reForm   = regexp.MustCompile(`(?s)<form\b([^>]*)>(.*?)</form>`)
	reAttr   = regexp.MustCompile(`([a-zA-Z_:-]+)="([^"]*)"`)
	reInput  = regexp.MustCompile(`<input\b[^>]*>`)
	reSelect = regexp.MustCompile(`(?s)<select\b[^>]*name="([^"]+)"[^>]*>(.*?)</select>`)
	reOption = regexp.MustCompile(`<option value="([^"]*)"([^>]*)>`)
)

func attrs(tag string) map[string]string {
	m := map[string]string{}
	for _, a := range reAttr.FindAllStringSubmatch(tag, -1) {
		m[a[1]] = html.UnescapeString(a[2])
	}
	return m
}

// findForm returns the first form on the page whose action starts with action, or nil.
func findForm(page, action string) *form {
	return findFormWhere(page, func(a string) bool { return strings.HasPrefix(a, action) })
}

// findFormWhere returns the first POST form on the page whose action pleases ok, or nil.
func findFormWhere(page string, ok func(action string) bool) *form {
	for _, m := range reForm.FindAllStringSubmatch(page, -1) {
		a := attrs(m[1])
		if !ok(a["action"]) || a["method"] != "post" {
			continue
		}
		f := &form{action: a["action"], hidden: url.Values{}, inner: m[2], tag: m[1]}
		for _, in := range reInput.FindAllString(m[2], -1) {
			ia := attrs(in)
			if ia["type"] == "hidden" && ia["name"] != "" {
				f.hidden.Add(ia["name"], ia["value"])
			}
		}
		if f.hidden.Get("_csrf") == "" {
			return nil // every form the app makes carries its token
		}
		return f
	}
	return nil
}

// values is the form's hidden fields plus what the person filled in.
func (f *form) values(pairs ...string) url.Values {
	v := url.Values{}
	for k, vs := range f.hidden {
		v[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(pairs[i], pairs[i+1])
	}
	return v
}

// options lists the values of a select in the form, and the selected one ("" if none).
func (f *form) options(name string) (all []string, selected string) {
	for _, m := range reSelect.FindAllStringSubmatch(f.inner, -1) {
		if m[1] != name {
			continue
		}
		for _, o := range reOption.FindAllStringSubmatch(m[2], -1) {
			if o[1] == "" {
				continue
			}
			all = append(all, html.UnescapeString(o[1]))
			if strings.Contains(o[2], "selected") {
				selected = html.UnescapeString(o[1])
			}
		}
	}
	return all, selected
}

var reDisabled = regexp.MustCompile(`<button\b[^>]*\bdisabled\b`)

// question is a quiz question as the form offers it.
type question struct {
	name     string
	multi    bool
	options  []string
	expected []string // the values of its right options, from the answer key
}

// answerKey knows the right options of every quiz, by the quiz's address, the question and
// the option's text as the page shows it: the page itself does not say which are right
// (issue #18), so a learner who studied is played from the course files.
type answerKey map[string]bool

// loadAnswerKey reads the courses under dir (the repository's courses/).
func loadAnswerKey(dir string) (answerKey, error) {
	cat, _, err := course.Load(os.DirFS(dir), func(string) bool { return true })
	if err != nil {
		return nil, err
	}
	k := answerKey{}
	for _, co := range cat.Courses {
		for _, l := range co.Lessons {
			for _, lang := range course.Langs {
				for _, q := range l.In(lang).Quiz.Questions {
					for _, o := range q.Options {
						if o.Correct {
							k[l.URL()+"/quiz\x00"+q.ID+"\x00"+string(o.Text)] = true
						}
					}
				}
			}
		}
	}
	return k, nil
}

var reOptionLabel = regexp.MustCompile(`(?s)<label class="option">(<input\b[^>]*>) <span>(.*?)</span></label>`)

// quizOf reads a lesson page's quiz form: nil when there is none or its button is disabled
// (a locked lesson: a browser cannot submit it).
func quizOf(page string, key answerKey) (*form, []question) {
	// A lesson page has other forms (a partner's recording, the study beat): the quiz's ends in /quiz.
	f := findFormWhere(page, func(a string) bool { return strings.HasPrefix(a, "/courses/") && strings.HasSuffix(a, "/quiz") })
	if f == nil || reDisabled.MatchString(f.inner) {
		return nil, nil
	}
	var qs []question
	idx := map[string]int{}
	for _, m := range reOptionLabel.FindAllStringSubmatch(f.inner, -1) {
		a := attrs(m[1])
		if (a["type"] != "radio" && a["type"] != "checkbox") || !strings.HasPrefix(a["name"], "q") {
			continue
		}
		i, ok := idx[a["name"]]
		if !ok {
			i = len(qs)
			idx[a["name"]] = i
			qs = append(qs, question{name: a["name"], multi: a["type"] == "checkbox"})
		}
		qs[i].options = append(qs[i].options, a["value"])
		if key[f.action+"\x00"+a["name"]+"\x00"+m[2]] {
			qs[i].expected = append(qs[i].expected, a["value"])
		}
	}
	if len(qs) == 0 {
		return nil, nil
	}
	return f, qs
}

// answer fills in a quiz: a learner who studied (about 6 in 10) gives the expected
// answers, the others pick at random; every question gets an answer.
func answer(r *rand.Rand, f *form, qs []question) url.Values {
	v := f.values()
	studied := r.IntN(10) < 6
	for _, q := range qs {
		switch {
		case studied && len(q.expected) > 0:
			v[q.name] = q.expected
		case q.multi:
			for _, o := range q.options {
				if r.IntN(2) == 0 {
					v.Add(q.name, o)
				}
			}
			if len(v[q.name]) == 0 {
				v.Add(q.name, q.options[r.IntN(len(q.options))])
			}
		default:
			v.Set(q.name, q.options[r.IntN(len(q.options))])
		}
	}
	return v
}

// signedIn reports whether a page is shown to a signed-in person (it has the sign-out form).
func signedIn(page string) bool { return strings.Contains(page, `action="/logout"`) }

// signIn signs the user in as a browser does: the sign-in page first, for its form and
// CSRF cookie, then the form posted with the token from the page.
func (u *user) signIn(ctx context.Context, password string) error {
	page, err := u.do(ctx, http.MethodGet, "/login", nil)
	if err != nil {
		return err
	}
	f := findForm(page.body, "/login")
	if page.code != http.StatusOK || f == nil {
		return fmt.Errorf("GET /login: %d, form found: %v", page.code, f != nil)
	}
	res, err := u.do(ctx, http.MethodPost, f.action, f.values("login", u.login, "password", password))
	if err != nil {
		return err
	}
	if res.code != http.StatusSeeOther || strings.HasPrefix(res.location, "/login") {
		return fmt.Errorf("POST /login as %s: %d to %q", u.login, res.code, res.location)
	}
	return nil
}

// sessions keeps signed-in browsers' cookies between runs of the generator (sessions live
// in the database, so they outlast a server restart), so that each run does not spend the
// server's time on hundreds of password hashes.
type sessions struct {
	mu   sync.Mutex
	file string
	m    map[string][]*http.Cookie // login@base → cookies
}

func loadSessions(file string) *sessions {
	s := &sessions{file: file, m: map[string][]*http.Cookie{}}
	if file == "" {
		return s
	}
	if b, err := os.ReadFile(file); err == nil {
		var saved map[string][][2]string
		if json.Unmarshal(b, &saved) == nil {
			for k, cs := range saved {
				for _, c := range cs {
					s.m[k] = append(s.m[k], &http.Cookie{Name: c[0], Value: c[1]})
				}
			}
		}
	}
	return s
}

func (s *sessions) key(u *user) string { return u.cacheKey + "@" + u.base }

// restore gives the user the cookies saved for them, if any.
func (s *sessions) restore(u *user) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.m[s.key(u)]
	if len(cs) == 0 {
		return false
	}
	base, _ := url.Parse(u.base)
	u.client.Jar.SetCookies(base, cs)
	return true
}

func (s *sessions) remember(u *user) {
	base, _ := url.Parse(u.base)
	s.mu.Lock()
	s.m[s.key(u)] = u.client.Jar.Cookies(base)
	s.mu.Unlock()
}

func (s *sessions) save() error {
	if s.file == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][][2]string{}
	for k, cs := range s.m {
		for _, c := range cs {
			out[k] = append(out[k], [2]string{c.Name, c.Value})
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	return os.WriteFile(s.file, b, 0o600)
}

// ensureSignedIn reuses a saved session when the server still knows it (its account page
// answers signed in), and signs in otherwise.
func (s *sessions) ensureSignedIn(ctx context.Context, u *user, password string) error {
	if s.restore(u) {
		if res, err := u.do(ctx, http.MethodGet, "/account", nil); err == nil && res.code == http.StatusOK && signedIn(res.body) {
			return nil
		}
		jar, _ := cookiejar.New(nil)
		u.client.Jar = jar
	}
	if err := u.signIn(ctx, password); err != nil {
		return err
	}
	s.remember(u)
	return nil
}

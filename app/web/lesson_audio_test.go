package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cunlu/app/account"
	"cunlu/app/apptest"
	"cunlu/app/audio"
	"cunlu/app/db/dbtest"
)

// The recorded-lesson routes' inputs, for TestSecurityHostileValuesInEveryParameter
// (security_suite_test.go lists the others).
func init() {
	routeInputs["POST /courses/:course/:lesson/audio"] = []string{"lang"}
	routeInputs["GET /courses/:course/:lesson/audio/:id"] = nil
	routeInputs["POST /courses/:course/:lesson/audio/:id/delete"] = nil
}

const audioLesson = "/courses/buying-online/how-online-shopping-works"

// webmBytes is a small WebM file as far as anyone checks: the EBML header's magic, then
// bytes standing for the recording.
func webmBytes(n int) []byte {
	b := append([]byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01}, []byte("webm")...)
	for len(b) < n {
		b = append(b, byte(len(b)))
	}
	return b
}

// otherCountyVillager creates a second county with a centre and a villager there, signed in.
func otherCountyVillager(t *testing.T, env *apptest.Env) *apptest.Client {
	t.Helper()
	ctx, a := context.Background(), admin(t, env)
	county, err := env.App.Accounts.CreateRegion(ctx, a, account.RegionForm{Name: "远山县", Level: account.LevelCounty})
	if err != nil {
		t.Fatal(err)
	}
	town, err := env.App.Accounts.CreateRegion(ctx, a, account.RegionForm{Name: "远山镇", Level: account.LevelTownship, ParentID: county.ID})
	if err != nil {
		t.Fatal(err)
	}
	village, err := env.App.Accounts.CreateRegion(ctx, a, account.RegionForm{Name: "远山村", Level: account.LevelVillage, ParentID: town.ID})
	if err != nil {
		t.Fatal(err)
	}
	centre, err := env.App.Accounts.CreateCentre(ctx, a, account.CentreForm{Name: "远山村服务站", Address: "村委会旁", RegionID: village.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.App.Accounts.CreateAccount(ctx, a, account.AccountForm{Login: "far-villager", Name: "远山村民",
		Role: account.RoleVillager, Phone: "13900000099", PIN: "246813", CentreID: centre.ID, Password: "far-villager-pass"}); err != nil {
		t.Fatal(err)
	}
	c := env.Client(t)
	c.SignIn("far-villager", "far-villager-pass")
	c.ChooseOwnPassword("far-villager-pass", "far-villager-own-pass")
	return c
}

var playerRE = regexp.MustCompile(`<audio controls preload="none" src="(` + regexp.QuoteMeta(audioLesson) + `/audio/\d+)" data-type="audio/[a-z]+"></audio>`)

// TestLessonAudio: a partner records a lesson; the villagers of the same county see the
// player and get the recording (whole, or a range of it); a villager of another county
// neither sees it nor gets it; villagers cannot record; a second recording replaces the
// first; the partner can delete it.
func TestLessonAudio(t *testing.T) {
	for _, kind := range dbtest.Kinds() {
		t.Run(kind, func(t *testing.T) { testLessonAudio(t, apptest.New(t, apptest.Kind(kind))) })
	}
}

func testLessonAudio(t *testing.T, env *apptest.Env) {
	partner := env.Client(t)
	partner.SignIn(signIns[account.RolePartner][0], signIns[account.RolePartner][1])
	villager := env.Client(t)
	villager.SignIn(signIns[account.RoleVillager][0], signIns[account.RoleVillager][1])
	far := otherCountyVillager(t, env)

	page := villager.Get(audioLesson)
	if page.Status != http.StatusOK || playerRE.MatchString(page.Body) || !strings.Contains(page.Body, `id="no-voice"`) ||
		!strings.Contains(page.Body, "这一课还没有录音") || strings.Contains(page.Body, `id="audio-record"`) {
		t.Fatalf("before any recording the villager's page has a player, or lacks the no-voice note, or offers to record (%d)", page.Status)
	}
	if r := villager.PostFile(audioLesson+"/audio", url.Values{"lang": {"zh-CN"}}, "audio", "a.webm", "audio/webm", webmBytes(300)); r.Status != http.StatusForbidden {
		t.Errorf("a villager's recording: %d, want 403", r.Status)
	}
	if n := countRows(t, env, "lesson_audio", "1 = 1"); n != 0 {
		t.Fatalf("%d recordings stored after the villager's upload", n)
	}

	form := partner.Get(audioLesson).Body
	if !strings.Contains(form, `id="audio-record"`) || !strings.Contains(form, `accept="audio/*"`) || !strings.Contains(form, `enctype="multipart/form-data"`) {
		t.Fatal("the partner's lesson page has no recorder with a file input")
	}
	data := webmBytes(5000)
	r := partner.PostFile(audioLesson+"/audio", url.Values{"lang": {"zh-CN"}}, "audio", "lesson.webm", "audio/webm", data)
	if r.Status != http.StatusSeeOther || r.Location != audioLesson+"#lesson-audio" {
		t.Fatalf("partner's recording: %d %q\n%s", r.Status, r.Location, r.Body)
	}

	page = villager.Get(audioLesson)
	m := playerRE.FindStringSubmatch(page.Body)
	if m == nil || !strings.Contains(page.Body, `id="play-audio"`) || !strings.Contains(page.Body, "李娜") {
		t.Fatalf("the villager's page has no player, no listen button or not who recorded it:\n%s", page.Body)
	}
	src := m[1]
	got := villager.Get(src)
	if got.Status != http.StatusOK || got.Body != string(data) || got.Header.Get("Content-Type") != "audio/webm" ||
		got.Header.Get("Content-Length") != fmt.Sprint(len(data)) || got.Header.Get("ETag") == "" {
		t.Fatalf("recording: %d, %d bytes, type %q, length %q, etag %q", got.Status, len(got.Body),
			got.Header.Get("Content-Type"), got.Header.Get("Content-Length"), got.Header.Get("ETag"))
	}
	req, _ := http.NewRequest(http.MethodGet, env.URL+src, nil)
	req.Header.Set("Range", "bytes=100-199")
	if part := villager.Do(req); part.Status != http.StatusPartialContent || part.Body != string(data[100:200]) ||
		part.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-199/%d", len(data)) {
		t.Errorf("range: %d %q, %d bytes", part.Status, part.Header.Get("Content-Range"), len(part.Body))
	}
	req, _ = http.NewRequest(http.MethodGet, env.URL+src, nil)
	req.Header.Set("If-None-Match", got.Header.Get("ETag"))
	if again := villager.Do(req); again.Status != http.StatusNotModified {
		t.Errorf("recording again with its ETag: %d, want 304", again.Status)
	}
	// In English the lesson is another recording, which the county does not have yet.
	villager.Post("/lang", url.Values{"lang": {"en"}, "next": {audioLesson}})
	if r := villager.Get(audioLesson); !strings.Contains(r.Body, "This phone cannot read English aloud") || playerRE.MatchString(r.Body) {
		t.Errorf("the English page is not in English or plays the Chinese recording")
	}
	villager.Post("/lang", url.Values{"lang": {"zh-CN"}, "next": {audioLesson}})

	if r := far.Get(src); r.Status != http.StatusNotFound {
		t.Errorf("another county's villager gets the recording: %d, want 404", r.Status)
	}
	if r := far.Get(audioLesson); r.Status != http.StatusOK || playerRE.MatchString(r.Body) {
		t.Errorf("another county's villager's lesson page (%d) has the player", r.Status)
	}
	if r := far.Post(src+"/delete", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("another county's villager deletes: %d, want 403", r.Status)
	}
	if r := villager.Get(strings.Replace(src, "how-online-shopping-works", "pickup-code", 1)); r.Status != http.StatusNotFound {
		t.Errorf("the recording under another lesson's address: %d, want 404", r.Status)
	}

	// A new recording replaces the old one.
	if r := partner.PostFile(audioLesson+"/audio", url.Values{"lang": {"zh-CN"}}, "audio", "again.webm", "audio/webm", webmBytes(800)); r.Status != http.StatusSeeOther {
		t.Fatalf("second recording: %d\n%s", r.Status, r.Body)
	}
	if n := countRows(t, env, "lesson_audio", "course = ? AND lesson = ?", "buying-online", "how-online-shopping-works"); n != 1 {
		t.Errorf("%d recordings of the lesson after recording it again, want 1", n)
	}
	if r := villager.Get(src); r.Status != http.StatusNotFound {
		t.Errorf("the replaced recording still plays: %d", r.Status)
	}
	src = playerRE.FindStringSubmatch(villager.Get(audioLesson).Body)[1]
	if r := villager.Post(src+"/delete", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("a villager deletes: %d, want 403", r.Status)
	}
	if r := partner.Post(strings.Replace(src, "how-online-shopping-works", "pickup-code", 1)+"/delete", url.Values{}); r.Status != http.StatusNotFound {
		t.Errorf("deleting the recording under another lesson's address: %d, want 404", r.Status)
	}
	if r := partner.Post(src+"/delete", url.Values{}); r.Status != http.StatusSeeOther {
		t.Fatalf("the partner deletes: %d", r.Status)
	}
	if n := countRows(t, env, "lesson_audio", "1 = 1"); n != 0 {
		t.Errorf("%d recordings after deleting", n)
	}
}

// TestLessonAudioRefused: a recording over the limit (within the route's body limit, or
// over it) or a file that is not audio is refused with its message, and nothing is stored.
// An iPhone's MP4 and an Ogg file are taken.
func TestLessonAudioRefused(t *testing.T) {
	env := apptest.New(t)
	coord := env.Client(t)
	coord.SignIn(signIns[account.RoleCoordinator][0], signIns[account.RoleCoordinator][1])
	for _, tc := range []struct {
		name   string
		data   []byte
		status int
		msg    string
	}{
		{"just over the limit", webmBytes(audio.MaxBytes + 1), http.StatusRequestEntityTooLarge, "录音太大了：最多 1 MB"},
		{"over the body limit", webmBytes(audio.MaxBytes * 3 / 2), http.StatusRequestEntityTooLarge, "录音太大了：最多 1 MB"},
		{"a picture", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 500)...), http.StatusBadRequest, "这个文件不是录音"},
		{"a photo", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{1}, 500)...), http.StatusBadRequest, "这个文件不是录音"},
		{"an AMR recording, which browsers cannot play", []byte("#!AMR\n" + strings.Repeat("\x3c", 300)), http.StatusBadRequest, "这个文件不是录音"},
		{"text", []byte("<script>alert(1)</script>"), http.StatusBadRequest, "这个文件不是录音"},
		{"empty", nil, http.StatusBadRequest, "请先选择录音文件"},
	} {
		r := coord.PostFile(audioLesson+"/audio", url.Values{"lang": {"zh-CN"}}, "audio", "x.webm", "audio/webm", tc.data)
		if r.Status != tc.status || !strings.Contains(r.Body, tc.msg) {
			t.Errorf("%s: %d, want %d with %q", tc.name, r.Status, tc.status, tc.msg)
		}
		if n := countRows(t, env, "lesson_audio", "1 = 1"); n != 0 {
			t.Fatalf("%s: %d recordings stored", tc.name, n)
		}
	}
	// A body sent without a length (chunked) is cut off at the limit the same way.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("_csrf", coord.CSRF())
	part, _ := mw.CreateFormFile("audio", "big.webm")
	part.Write(webmBytes(audio.MaxBytes * 3 / 2))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, env.URL+audioLesson+"/audio", struct{ io.Reader }{&body})
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if r := coord.Do(req); req.ContentLength > 0 || r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Body, "录音太大了") {
		t.Errorf("chunked 1.5 MB recording: %d, want 413 with the message", r.Status)
	}
	if n := countRows(t, env, "lesson_audio", "1 = 1"); n != 0 {
		t.Fatalf("chunked: %d recordings stored", n)
	}
	// A refused recording is said on the lesson page, next to the file input.
	r := coord.PostFile(audioLesson+"/audio", url.Values{"lang": {"zh-CN"}}, "audio", "x.txt", "text/plain", []byte("hello"))
	if !strings.Contains(r.Body, `id="audio-error"`) || !strings.Contains(r.Body, `aria-invalid="true"`) || !strings.Contains(r.Body, "<details class=\"card\" id=\"audio-record\" open>") {
		t.Errorf("the refusal is not next to the file input on the lesson page")
	}
	coord.Post("/lang", url.Values{"lang": {"en"}, "next": {audioLesson}})
	mp4 := append([]byte{0, 0, 0, 0x1c}, []byte("ftypM4A isomM4A mp42")...)
	mp4 = append(mp4, bytes.Repeat([]byte{7}, 400)...)
	for mime, data := range map[string][]byte{"audio/mp4": mp4, "audio/ogg": append([]byte("OggS\x00\x02"), bytes.Repeat([]byte{3}, 300)...),
		"audio/mpeg": append([]byte("ID3\x04\x00"), bytes.Repeat([]byte{5}, 300)...)} {
		if r := coord.PostFile(audioLesson+"/audio", url.Values{"lang": {"en"}}, "audio", "x", "application/octet-stream", data); r.Status != http.StatusSeeOther {
			t.Fatalf("%s: %d\n%s", mime, r.Status, r.Body)
		}
		page := coord.Get(audioLesson)
		m := regexp.MustCompile(`src="(` + regexp.QuoteMeta(audioLesson) + `/audio/\d+)"`).FindStringSubmatch(page.Body)
		if m == nil {
			t.Fatalf("%s: no player on the English page", mime)
		}
		if got := coord.Get(m[1]); got.Header.Get("Content-Type") != mime {
			t.Errorf("%s served as %q", mime, got.Header.Get("Content-Type"))
		}
	}
	// The page's recorder sends with fetch and asks for JSON: it gets where to go, or why not.
	coord.Header.Set("Accept", "application/json")
	if r := coord.PostFile(audioLesson+"/audio", url.Values{"lang": {"en"}}, "audio", "big.webm", "audio/webm", webmBytes(audio.MaxBytes*3/2)); r.Status != http.StatusRequestEntityTooLarge ||
		!strings.Contains(r.Body, `"error":"The recording is too large`) {
		t.Errorf("too large, as JSON: %d %s", r.Status, r.Body)
	}
	if r := coord.PostFile(audioLesson+"/audio", url.Values{"lang": {"en"}}, "audio", "a.webm", "audio/webm", webmBytes(900)); r.Status != http.StatusOK ||
		r.Body != `{"url":"`+audioLesson+`#lesson-audio"}`+"\n" {
		t.Errorf("saved, as JSON: %d %q", r.Status, r.Body)
	}
}

// TestOfflinePackWithRecordings: saving a course for offline study includes the lessons'
// recordings of the learner's county when the learner chooses it (?audio=1), and the size
// shown counts them; without the choice, or in another county, there are none.
func TestOfflinePackWithRecordings(t *testing.T) {
	env := apptest.New(t)
	partner := env.Client(t)
	partner.SignIn(signIns[account.RolePartner][0], signIns[account.RolePartner][1])
	villager := env.Client(t)
	villager.SignIn(signIns[account.RoleVillager][0], signIns[account.RoleVillager][1])
	far := otherCountyVillager(t, env)
	type pack struct {
		Pages, Audio []string
		Bytes        int
	}
	read := func(c *apptest.Client, path string) pack {
		t.Helper()
		r := get(t, env, c, path, "Accept", "application/json")
		var p pack
		if err := json.Unmarshal([]byte(r.Body), &p); err != nil || r.Status != http.StatusOK {
			t.Fatalf("%s: %d %v\n%s", path, r.Status, err, r.Body)
		}
		return p
	}
	const packURL = "/courses/buying-online/offline.json"
	if body := villager.Get("/courses/buying-online").Body; strings.Contains(body, `id="offline-audio"`) {
		t.Error("the course page offers to include recordings before there are any")
	}
	data := webmBytes(20000)
	if r := partner.PostFile(audioLesson+"/audio", url.Values{"lang": {"zh-CN"}}, "audio", "a.webm", "audio/webm", data); r.Status != http.StatusSeeOther {
		t.Fatalf("recording: %d", r.Status)
	}
	src := playerRE.FindStringSubmatch(villager.Get(audioLesson).Body)[1]

	plain, with := read(villager, packURL), read(villager, packURL+"?audio=1")
	if len(plain.Audio) != 0 || strings.Join(with.Audio, " ") != src {
		t.Errorf("recordings without the choice %v, with it %v; want none, then %s", plain.Audio, with.Audio, src)
	}
	if with.Bytes-plain.Bytes < len(data) || with.Bytes-plain.Bytes > len(data)+1000 {
		t.Errorf("the recording adds %d bytes to the size, want about %d", with.Bytes-plain.Bytes, len(data))
	}
	if r := get(t, env, villager, src, "Purpose", "prefetch"); r.Status != http.StatusOK || len(r.Body) != len(data) {
		t.Errorf("downloading the listed recording: %d, %d bytes", r.Status, len(r.Body))
	}
	body := villager.Get("/courses/buying-online").Body
	kb, audioKB := (plain.Bytes+1023)/1024, (with.Bytes-plain.Bytes+1023)/1024
	if !strings.Contains(body, `id="offline-audio"`) || !strings.Contains(body, fmt.Sprintf("连录音一起保存（多约 %d KB）", audioKB)) ||
		!strings.Contains(body, fmt.Sprintf(`data-save="保存本课程（约 %d KB）"`, kb+audioKB)) {
		t.Errorf("the course page lacks the choice to include the recordings with their size (%d KB more)", audioKB)
	}
	if p := read(far, packURL+"?audio=1"); len(p.Audio) != 0 {
		t.Errorf("another county's villager's pack lists %v", p.Audio)
	}
}

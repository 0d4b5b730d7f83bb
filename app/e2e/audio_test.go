package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"cunlu/app/apptest"
)

// onEveryPage runs a script before each page's own (to take away what a phone lacks), until
// the returned func is called.
func onEveryPage(t *testing.T, ctx context.Context, js string) func() {
	t.Helper()
	res, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: js})
	if err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := chromedp.Call(ctx, page.RemoveScriptToEvaluateOnNewDocument, page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: res.Identifier}); err != nil {
			t.Fatal(err)
		}
	}
}

func countAudio(t *testing.T, env *apptest.Env) int64 {
	t.Helper()
	var n int64
	if err := env.App.Accounts.DB().Table("lesson_audio").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// checkAudioPage checks the lesson page now shown as the journeys check theirs (axe finds
// nothing serious, it fits 360 px), and that what this feature shows is large enough to
// tap (44 px) and to read (14 px).
func checkAudioPage(t *testing.T, ctx context.Context, label string) {
	t.Helper()
	j := &journey{t: t, ctx: ctx, lang: "zh-CN", axe: axeScript(t), seen: map[string]bool{}}
	j.check(label)
	small := get(t, ctx, "measure", chromedp.Evaluate[string](`[...document.querySelectorAll(
		"#no-voice a, #lesson-audio audio, #audio-record summary, #audio-record button, #audio-record input[type=file], #no-voice, #audio-record p")]
		.filter(e => e.offsetParent !== null)
		.filter(e => (e.matches("a, audio, summary, button, input") && e.getBoundingClientRect().height < 44) || parseFloat(getComputedStyle(e).fontSize) < 14)
		.map(e => (e.id || e.tagName) + " " + Math.round(e.getBoundingClientRect().height) + "px/" + getComputedStyle(e).fontSize).join(", ")`))
	if small != "" {
		t.Errorf("%s: too small to tap or read: %s", label, small)
	}
}

// TestLessonRecordedInTheBrowser: a partner whose browser cannot record uploads a file
// instead; with a microphone they record the lesson in the page. A villager of the county,
// on a phone without a Chinese voice, is told so where the read-aloud button would be and
// plays the recording; saved with the course, it plays with no connection.
func TestLessonRecordedInTheBrowser(t *testing.T) {
	env := apptest.New(t)
	w := newWire(t, env.App.Handler())
	ctx := Browser(t, 360, 800, chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true), chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	const path = "/courses/buying-online/how-online-shopping-works"
	lesson := w.URL + path
	signIn(t, ctx, w.URL, "partner", "demo-partner-pass")

	restore := onEveryPage(t, ctx, `window.MediaRecorder = undefined;`)
	do(t, ctx, "open the recorder without MediaRecorder", chromedp.Navigate(lesson), chromedp.Click(css("#audio-record summary")),
		chromedp.WaitVisible(css("#no-recorder")))
	if get(t, ctx, "the recorder", chromedp.Evaluate[bool](`document.getElementById("recorder").hidden`)) != true {
		t.Error("the record button shows where the browser cannot record")
	}
	checkAudioPage(t, ctx, "the recorder without MediaRecorder")
	file := filepath.Join(t.TempDir(), "lesson.webm")
	webm := append([]byte{0x1A, 0x45, 0xDF, 0xA3}, []byte(strings.Repeat("x", 2000))...)
	if err := os.WriteFile(file, webm, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "long.m4a")
	if err := os.WriteFile(big, append([]byte("\x00\x00\x00\x1cftypM4A "), make([]byte, 1200_000)...), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "choose a file over 1 MB", chromedp.SetUploadFiles(css("#audio-file"), []string{big}),
		chromedp.Click(css(`#audio-upload button[type=submit]`)), chromedp.WaitVisible(css("#audio-too-big")))
	if n := countAudio(t, env); n != 0 {
		t.Errorf("%d recordings stored after choosing a file over the limit", n)
	}
	do(t, ctx, "upload a recording file", chromedp.SetUploadFiles(css("#audio-file"), []string{file}),
		chromedp.Click(css(`#audio-upload button[type=submit]`)), chromedp.WaitVisible(css("#lesson-audio audio")))
	uploaded := get(t, ctx, "the player", chromedp.Evaluate[string](`document.querySelector("#lesson-audio audio").getAttribute("src")`))
	restore()

	do(t, ctx, "record", chromedp.Navigate(lesson), chromedp.Click(css("#audio-record summary")), chromedp.WaitVisible(css("#rec-start")),
		chromedp.Click(css("#rec-start")), chromedp.WaitVisible(css("#rec-stop")))
	time.Sleep(2 * time.Second)
	do(t, ctx, "stop and save", chromedp.Click(css("#rec-stop")), chromedp.WaitVisible(css("#rec-save")), chromedp.Click(css("#rec-save")))
	waitFor(t, ctx, "the recording saved", `!!document.querySelector("#lesson-audio audio") && document.querySelector("#lesson-audio audio").getAttribute("src") !== "`+uploaded+`"`)
	var rec struct {
		Mime string
		Size int
	}
	if err := env.App.Accounts.DB().Table("lesson_audio").Select("mime, size").Take(&rec).Error; err != nil || (rec.Mime != "audio/webm" && rec.Mime != "audio/mp4") || rec.Size < 1000 {
		t.Fatalf("the recording stored: %+v (%v), want WebM or MP4 of some KB", rec, err)
	}
	src := get(t, ctx, "the player", chromedp.Evaluate[string](`document.querySelector("#lesson-audio audio").getAttribute("src")`))

	do(t, ctx, "sign out", chromedp.Click(css(`form[action="/logout"] button`)), chromedp.WaitVisible(css(`form[action="/login"]`)))
	signIn(t, ctx, w.URL, "villager", "demo-villager-pass")
	for name, js := range map[string]string{
		"no speech at all":      `Object.defineProperty(window, "speechSynthesis", {value: undefined, configurable: true});`,
		"no voice for the page": `speechSynthesis.getVoices = function () { return [{lang: "en-US", name: "English"}]; };`,
	} {
		restore := onEveryPage(t, ctx, js)
		do(t, ctx, name+": open the lesson", chromedp.Navigate(lesson), chromedp.WaitVisible(css("#no-voice")))
		if note := get(t, ctx, "the note", chromedp.Text(css("#no-voice"))); !strings.Contains(note, "这部手机不能朗读中文") || !strings.Contains(note, "听录音") {
			t.Errorf("%s: the note says %q", name, note)
		}
		if get(t, ctx, "the button", chromedp.Evaluate[bool](`document.getElementById("read-aloud").hidden`)) != true {
			t.Errorf("%s: the read-aloud button shows", name)
		}
		checkAudioPage(t, ctx, name)
		restore()
	}
	do(t, ctx, "listen", chromedp.Click(css("#play-audio")))
	waitFor(t, ctx, "the recording plays", `document.querySelector("#lesson-audio audio").currentTime > 0`)
	if get(t, ctx, "the format note", chromedp.Evaluate[bool](`document.getElementById("audio-unplayable").hidden`)) != true {
		t.Error("a phone that plays the recording is told it cannot")
	}
	restore = onEveryPage(t, ctx, `HTMLMediaElement.prototype.canPlayType = function () { return ""; };`)
	do(t, ctx, "open the lesson on a phone that cannot play the format", chromedp.Navigate(lesson), chromedp.WaitVisible(css("#audio-unplayable")))
	restore()

	waitServiceWorker(t, ctx)
	do(t, ctx, "open the course", chromedp.Navigate(w.URL+"/courses/buying-online"), chromedp.WaitVisible(css("#offline-save-button")))
	plain := get(t, ctx, "the size", chromedp.Text(css("#offline-save-button")))
	do(t, ctx, "include the recordings", chromedp.Click(css("#offline-audio")))
	if with := get(t, ctx, "the size", chromedp.Text(css("#offline-save-button"))); with == plain {
		t.Errorf("the size shown does not change with the recordings (%q)", with)
	}
	do(t, ctx, "save the course", chromedp.Click(css("#offline-save-button")))
	waitFor(t, ctx, "the course saved", `document.getElementById("offline-save-status").textContent.includes("已保存")`)
	setNetwork(t, ctx, w, true, 0, -1)
	do(t, ctx, "open the lesson offline", chromedp.Navigate(lesson), chromedp.WaitVisible(css("#lesson-audio audio")))
	part := get(t, ctx, "a range of the saved recording", chromedp.Evaluate[string](
		`fetch("`+src+`", {headers: {Range: "bytes=0-99"}}).then(r => r.status + " " + r.headers.get("Content-Range"))`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(part, "206 bytes 0-99/") {
		t.Errorf("a range of the saved recording offline: %q", part)
	}
	do(t, ctx, "play offline", chromedp.Evaluate[chromedp.Void](`document.querySelector("#lesson-audio audio").play()`))
	waitFor(t, ctx, "the saved recording plays offline", `document.querySelector("#lesson-audio audio").currentTime > 0`)
	setNetwork(t, ctx, w, false, 0, -1)
}

// Package e2e drives real Chromium against a real Cunlu: the journeys people take, checked
// in the browser they use. Tests run when Chromium is installed; CI sets
// CUNLU_TEST_BROWSER=1, which makes a missing Chromium a failure instead of a skip.
package e2e

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// BrowserEnv is the variable that makes the browser tests mandatory.
const BrowserEnv = "CUNLU_TEST_BROWSER"

// chromium finds Debian's Chromium, or skips (or fails, when required) the test.
func chromium(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CUNLU_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv(BrowserEnv) != "" {
		t.Fatalf("%s is set but Chromium is not installed (apt-get install chromium)", BrowserEnv)
	}
	t.Skip("Chromium not installed; set " + BrowserEnv + "=1 to require it")
	return ""
}

// Browser starts a headless Chromium with a narrow phone-sized window and returns a
// context for chromedp actions, ended with the test. extra adds to Chromium's options.
func Browser(t testing.TB, width, height int, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.WindowSize(width, height),
		chromedp.UserDataDir(t.TempDir()),
	)
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	// The first action starts the browser; its context must not have a deadline, or the
	// deadline would stop the whole browser. Later actions share a bounded context.
	// A phone's viewport: headless windows have a minimum width, emulation does not.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(int64(width), int64(height), chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		cancelB()
		cancelA()
		t.Fatalf("start Chromium: %v", err)
	}
	ctx, cancelC := context.WithTimeout(bctx, 3*time.Minute)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	return ctx
}

// waitFor evaluates a JavaScript condition until it is true. Errors while the page is
// being replaced by the next one (after a form submit) are expected and retried.
func waitFor(t testing.TB, ctx context.Context, what, condition string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && (`+condition+`)`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after 30 s (%v)", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

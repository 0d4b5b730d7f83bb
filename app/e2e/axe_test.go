package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// axe-core, the accessibility engine most audits use, comes from npm: .ci/run installs
// the version pinned in testdata/axe/package-lock.json with `npm ci`. It is not vendored:
// the test reads the file the package manager verified against the lock's checksum.
var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// axePath is where `npm ci --prefix app/e2e/testdata/axe` puts axe-core.
func axePath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", "axe", "node_modules", "axe-core", "axe.min.js")
}

// axeScript returns axe-core's source, or skips the test (fails it when the browser tests
// are mandatory) when it is not installed.
func axeScript(t testing.TB) string {
	t.Helper()
	axeOnce.Do(func() {
		b, err := os.ReadFile(axePath())
		axeSource, axeErr = string(b), err
	})
	if axeErr != nil {
		msg := fmt.Sprintf("axe-core is not installed (npm ci --prefix app/e2e/testdata/axe): %v", axeErr)
		if os.Getenv(BrowserEnv) != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return axeSource
}

// AxeViolation is one rule axe-core found broken on a page, with where.
type AxeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

func (v AxeViolation) String() string {
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "))
}

// axeRun is evaluated in the page: it loads axe-core once per document and returns the
// violations of the WCAG 2.1 A and AA rules and axe's best practices.
const axeRun = `(async () => {
	const r = await axe.run(document, {
		runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
		resultTypes: ["violations"],
	});
	return r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
		targets: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
})()`

// seriousOrWorse keeps the findings the journeys must not have: axe's "serious" and
// "critical" impacts (missing labels, contrast below AA, keyboard traps, ...).
func seriousOrWorse(vs []AxeViolation) []AxeViolation {
	var out []AxeViolation
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			out = append(out, v)
		}
	}
	return out
}

package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium package.
const chromiumPath = "/usr/bin/chromium"

// widths are the two sizes every page is checked and photographed at: a
// phone (an iPhone 12-15 in CSS pixels) and a desktop.
var widths = []struct {
	name          string
	width, height int64
}{
	{"phone", 390, 844},
	{"desktop", 1280, 800},
}

// browser is one headless Chromium with one tab, and every console
// message the pages wrote.
type browser struct {
	t   *testing.T
	ctx context.Context
	axe string

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// newBrowser starts headless Chromium with a fresh profile, reading
// Swedish first like a member's phone in Sweden. It is closed when the
// test ends.
func newBrowser(t *testing.T, axe string) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		unavailable(t, "%s is missing: apt-get install -y chromium chromium-driver", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("lang", "sv-SE"),
		chromedp.Flag("accept-lang", "sv-SE,sv"),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); acancel() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no timeout
		unavailable(t, "chromium does not start: %v", err)
	}
	b := &browser{t: t, ctx: ctx, axe: axe}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	return b
}

// do runs actions with a deadline, failing the test on an error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// run runs one action that returns a value.
func run[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// open loads a URL and waits for its main landmark.
func (b *browser) open(u string) {
	b.t.Helper()
	b.do("open "+u, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("main")))
}

// click presses the element and waits for the page it leads to.
func (b *browser) click(sel string, waitFor string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

// text returns the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return run(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
}

// url returns the page's address.
func (b *browser) url() string {
	b.t.Helper()
	return run(b, "location", chromedp.Location())
}

// count returns how many elements match sel.
func (b *browser) count(sel string) int {
	b.t.Helper()
	return run(b, "count "+sel, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
}

func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// check looks at the current page as each width: a full-page screenshot
// saved as artifacts/<name>-<width>.png, and axe-core's WCAG 2.1 A/AA
// rules, failing on serious or critical violations. It also fails if the
// page broke its Content Security Policy.
func (b *browser) check(name string) {
	b.t.Helper()
	for _, w := range widths {
		b.do("viewport "+w.name, chromedp.EmulateViewport(w.width, w.height), chromedp.WaitReady(chromedp.CSS("main")))
		png := run(b, "screenshot", chromedp.FullScreenshot(100))
		saveArtifact(b.t, name+"-"+w.name+".png", png)
		b.accessibility(name + " at " + w.name + " width")
	}
	b.do("reset viewport", chromedp.EmulateViewport(widths[0].width, widths[0].height))
	b.cspClean(name)
}

// axeResult is what the tests keep of an axe-core run: how many rules
// passed, and the violations.
type axeResult struct {
	Passes     int            `json:"passes"`
	Violations []axeViolation `json:"violations"`
}

// axeViolation is one rule the page breaks.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// accessibility runs axe-core on the page and fails on serious or
// critical violations.
func (b *browser) accessibility(where string) {
	b.t.Helper()
	res := b.axeRun()
	if res.Passes < 10 {
		b.t.Errorf("%s: axe-core passed only %d rules: did it run?", where, res.Passes)
	}
	for _, v := range res.Violations {
		msg := v.Impact + " " + v.ID + ": " + v.Help + " " + strings.Join(v.Nodes, ", ")
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Errorf("%s: accessibility: %s", where, msg)
		} else {
			b.t.Logf("%s: accessibility (%s, not failing): %s", where, v.Impact, msg)
		}
	}
}

// axeRun injects axe-core into the page (once per page) and runs its
// WCAG 2.1 A and AA rules.
func (b *browser) axeRun() axeResult {
	b.t.Helper()
	if run(b, "axe loaded?", chromedp.Evaluate[bool](`typeof window.axe === "object"`)) == false {
		b.do("inject axe-core", chromedp.Evaluate[chromedp.Void](b.axe))
	}
	const script = `axe.run(document, {
		runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
		resultTypes: ["violations"]
	}).then(r => ({
		passes: r.passes.length,
		violations: r.violations.map(v => ({
			id: v.id, impact: v.impact || "", help: v.help,
			nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))
		}))
	}))`
	return run(b, "axe.run", chromedp.Evaluate[axeResult](script, chromedp.EvalAwaitPromise))
}

// cspClean fails the test when the browser reported a Content Security
// Policy violation since the last check.
func (b *browser) cspClean(where string) {
	b.t.Helper()
	for _, m := range b.takeConsole() {
		if strings.Contains(m.Text, "Content Security Policy") {
			b.t.Errorf("%s: CSP violation: %s", where, m.Text)
		} else if m.Type == "error" || m.IsException() {
			b.t.Logf("%s: console: %s", where, m)
		}
	}
}

// takeConsole returns the console messages so far and forgets them.
func (b *browser) takeConsole() []chromedp.ConsoleMessage {
	// Messages arrive asynchronously; give the last ones a moment.
	time.Sleep(100 * time.Millisecond)
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.console
	b.console = nil
	return out
}

// printMedia switches the page to print styles (true) or back.
func (b *browser) printMedia(on bool) {
	b.t.Helper()
	media := ""
	if on {
		media = "print"
	}
	_, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
	if err != nil {
		b.t.Fatalf("emulate media %q: %v", media, err)
	}
}

// saveArtifact writes a test artifact under artifacts/.
func saveArtifact(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll("artifacts", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("artifacts", name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

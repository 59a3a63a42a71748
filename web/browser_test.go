package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's Chromium: CANDOUR_CHROMIUM, or chromium on
// the PATH. The browser tests never skip: without it they fail, and say how
// to install it (make test runs scripts/test-setup.sh first).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CANDOUR_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-headless-shell", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("Chromium is not installed: run scripts/test-setup.sh (make test does)")
	return ""
}

// axeSource is axe-core, pinned in web/frontend/package.json and installed
// by scripts/test-setup.sh.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("frontend", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core is not installed (%v): run scripts/test-setup.sh (make test does)", err)
	}
	return string(b)
}

// tab is one Chromium tab.
type tab struct {
	t       *testing.T
	ctx     context.Context
	base    string
	axe     string
	shots   string
	checked int
}

// newTab starts a headless Chromium with a profile of its own and returns
// a tab; with jsOff, the page's scripts do not run.
func newTab(t *testing.T, base string, jsOff bool) *tab {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1024, 768),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("Chromium did not start: %v", err)
	}
	if jsOff {
		// Every script of Candour's pages is an external file (the
		// Content-Security-Policy allows no other), so blocking them is
		// the page with JavaScript off. Chromium's own switch would also
		// stop the test's axe-core and chromedp's clicks, which run as
		// script from the test.
		if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, tg, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: []*network.BlockPattern{
				{URLPattern: "*://*:*/*.js", Block: true}, {URLPattern: "*://*:*/*.mjs", Block: true}}})
			return err
		})); err != nil {
			t.Fatal(err)
		}
	}
	shots := os.Getenv("CANDOUR_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	return &tab{t: t, ctx: ctx, base: base, axe: axeSource(t), shots: shots}
}

func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("%v (at %s)", err, tb.location())
	}
}

func get[T any](tb *tab, a chromedp.Action[T]) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, a)
	if err != nil {
		tb.t.Fatal(err)
	}
	return v
}

func (tb *tab) open(path string) { tb.t.Helper(); tb.do(chromedp.Navigate(tb.base + path)) }

// click clicks an element that changes the page in place (a radio, a
// checkbox).
func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// follow clicks a link or a button that loads another page, and waits for
// it to load.
func (tb *tab) follow(sel string) {
	tb.t.Helper()
	tb.expectPage(func() { tb.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)) })
}

// expectPage runs act, which must load a new document, and waits until it
// has loaded.
func (tb *tab) expectPage(act func()) {
	tb.t.Helper()
	eval[bool](tb, `window.candourOldPage = true`)
	act()
	var err error
	for range 800 { // 20 s: the machine may be busy
		// An evaluation that meets the navigation itself fails ("Inspected
		// target navigated or closed"): that is no answer, so ask again.
		var loaded bool
		loaded, err = chromedp.Run(tb.ctx, chromedp.Evaluate[bool](
			`window.candourOldPage === undefined && document.readyState === "complete"`, chromedp.EvalAwaitPromise))
		if err == nil && loaded {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	tb.t.Fatalf("no new page loaded (still at %s; last error: %v)", tb.location(), err)
}

func (tb *tab) setValue(sel, v string) {
	tb.t.Helper()
	eval[bool](tb, fmt.Sprintf(`document.querySelector(%q).value = %q, true`, sel, v))
}
func (tb *tab) typeInto(sel, v string) { tb.t.Helper(); tb.do(chromedp.SendKeys(chromedp.CSS(sel), v)) }
func (tb *tab) value(sel string) string {
	tb.t.Helper()
	return get(tb, chromedp.Value(chromedp.CSS(sel)))
}
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return get(tb, chromedp.Text(chromedp.CSS(sel)))
}
func (tb *tab) title() string { tb.t.Helper(); return get(tb, chromedp.Title()) }
func (tb *tab) location() string {
	tb.t.Helper()
	return strings.TrimPrefix(get(tb, chromedp.Location()), tb.base)
}

// eval evaluates JavaScript from the test (not the page: the page's
// Content-Security-Policy does not apply, and it runs with the page's
// scripts off too), awaiting a promise.
func eval[T any](tb *tab, js string) T {
	tb.t.Helper()
	return get(tb, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

func (tb *tab) emulate(width int64) {
	tb.t.Helper()
	tb.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if width == 0 {
			_, err := cdp.Call(ctx, tg, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
			return err
		}
		_, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: width, Height: 640, DeviceScaleFactor: 1, Mobile: true})
		return err
	}))
	// Let the page settle at its new width (the navigation's script
	// answers the media query change) before anything is measured or
	// clicked: two frames after the change.
	eval[bool](tb, `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
}

// axeViolation is what axe-core reports of one broken rule.
type axeViolation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// check runs axe-core's WCAG 2.2 A and AA rules on the page as it is, fails
// the test on any violation, checks that nothing scrolls sideways at 320
// CSS pixels, and saves screenshots at both widths.
func (tb *tab) check(name string) {
	tb.t.Helper()
	if !eval[bool](tb, `typeof axe !== "undefined"`) {
		eval[bool](tb, tb.axe+";true")
	}
	if body := tb.text("body"); strings.Contains(body, "%!") {
		tb.t.Errorf("%s: a formatting error reached the page: %q", name, body[strings.Index(body, "%!"):min(len(body), strings.Index(body, "%!")+40)])
	}
	violations := eval[[]axeViolation](tb, `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]}, resultTypes: ["violations"]}).then(r => r.violations)`)
	for _, v := range violations {
		b, _ := json.Marshal(v.Nodes)
		tb.t.Errorf("%s: axe %s: %s at %s", name, v.ID, v.Help, b)
	}
	tb.shot(name + "-1024")
	tb.emulate(320)
	scroll := eval[struct{ Scroll, Client int }](tb, `({Scroll: document.documentElement.scrollWidth, Client: document.documentElement.clientWidth})`)
	if scroll.Scroll > scroll.Client {
		tb.t.Errorf("%s: at 320 CSS pixels the page is %d pixels wide (it scrolls sideways)", name, scroll.Scroll)
	}
	tb.shot(name + "-320")
	tb.emulate(0)
	tb.checked++
}

func (tb *tab) shot(name string) {
	tb.t.Helper()
	png := get(tb, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(tb.shots, name+".png"), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// press sends keys as a keyboard would (Tab is "\t", Enter "\r").
func (tb *tab) press(keys string) {
	tb.t.Helper()
	tb.do(chromedp.KeyEvent(keys))
}

// pressToPage sends keys that load another page, and waits for it.
func (tb *tab) pressToPage(keys string) {
	tb.t.Helper()
	tb.expectPage(func() { tb.do(chromedp.KeyEvent(keys)) })
}

// tabTo presses Tab until the element matching sel has the focus, as a
// keyboard user would, and fails if it never does.
func (tb *tab) tabTo(sel string) {
	tb.t.Helper()
	for range 200 {
		if eval[bool](tb, fmt.Sprintf(`document.activeElement !== null && document.activeElement.matches(%q)`, sel)) {
			return
		}
		tb.do(chromedp.KeyEvent("\t"))
	}
	tb.t.Fatalf("%s cannot be reached with the Tab key", sel)
}

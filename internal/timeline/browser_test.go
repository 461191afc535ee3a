package timeline_test

import (
	"context"
	"flag"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "write the emulator page's screenshot to docs/timeline.png")

// chromiumPath finds Debian's chromium, "" when there is none
// (RETRYSCOPE_CHROMIUM names another binary instead).
func chromiumPath() string {
	names := []string{"/usr/bin/chromium", "chromium", "chromium-browser"}
	if p := os.Getenv("RETRYSCOPE_CHROMIUM"); p != "" {
		names = []string{p}
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is one headless Chromium with one tab, and what the tab wrote
// to its console and asked of the network.
type browser struct {
	ctx      context.Context
	mu       sync.Mutex
	console  []string // errors and exceptions
	requests []string // URLs the page asked for
}

// chromiumRequired says whether a missing Chromium fails the browser tests
// rather than skipping them: under CI (CI set, not "false" or "0") and
// with RETRYSCOPE_REQUIRE_CHROMIUM=1, which .ci/run sets.
func chromiumRequired() bool {
	ci := os.Getenv("CI")
	return os.Getenv("RETRYSCOPE_REQUIRE_CHROMIUM") == "1" || ci != "" && ci != "false" && ci != "0"
}

// newBrowser starts headless Chromium for tb; it is stopped at cleanup.
// Without Chromium the test skips, unless chromiumRequired: then it fails.
func newBrowser(tb testing.TB) *browser {
	tb.Helper()
	path := chromiumPath()
	if path == "" {
		if chromiumRequired() {
			tb.Fatal("chromium not found and CI (or RETRYSCOPE_REQUIRE_CHROMIUM=1) is set: .ci/run installs it (apt-get install -y chromium)")
		}
		tb.Skip("chromium not found: install it (apt-get install -y chromium) to run the browser tests")
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(1180, 900),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	b := &browser{ctx: ctx}
	var wg sync.WaitGroup
	listenCtx, stopListening := context.WithCancel(ctx)
	messages := chromedp.Console(listenCtx)
	requests := chromedp.Events(listenCtx, network.RequestWillBeSent)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.console = append(b.console, m.String())
				b.mu.Unlock()
			}
		}
	}()
	go func() {
		defer wg.Done()
		for ev, err := range requests {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.requests = append(b.requests, ev.Request.URL)
			b.mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		stopListening()
		wg.Wait()
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	return b
}

// load opens the file in the tab and waits for its load event.
func (b *browser) load(tb testing.TB, file string) {
	tb.Helper()
	u := (&url.URL{Scheme: "file", Path: file}).String()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(u)); err != nil {
		tb.Fatalf("loading %s: %v", file, err)
	}
}

// eval runs a JavaScript expression in the page.
func eval[T any](tb testing.TB, b *browser, js string) T {
	tb.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		tb.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// checkQuiet fails when the page wrote an error to its console or asked
// the network for anything but the page itself.
func (b *browser) checkQuiet(tb testing.TB, page string) {
	tb.Helper()
	// Let late events arrive.
	_ = chromedp.Do(b.ctx, chromedp.Sleep(100*time.Millisecond))
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range b.console {
		tb.Errorf("console: %s", m)
	}
	for _, u := range b.requests {
		if u != (&url.URL{Scheme: "file", Path: page}).String() && u != "about:blank" {
			tb.Errorf("the page asked for %s: it must be self-contained", u)
		}
	}
}

// laneDOM is what a lane shows, read from the rendered page.
type laneDOM struct {
	Classes  string    `json:"classes"`
	Bars     int       `json:"bars"`
	BarRight []float64 `json:"barRight"` // right edge of each attempt bar, px
	Verdicts []string  `json:"verdicts"`
	Labels   []string  `json:"labels"`
	Marks    []float64 `json:"marks"`    // integration timeout lines, px
	LateEnd  []float64 `json:"lateEnd"`  // right edge of each "still running" part, px
	LateFrom []float64 `json:"lateFrom"` // its left edge
	Notes    []string  `json:"notes"`
	Evidence []string  `json:"evidence"`
	Visible  bool      `json:"visible"`
}

const lanesJS = `[...document.querySelectorAll('section.lane')].map(l => ({
	classes: l.className,
	bars: l.querySelectorAll('rect.att').length,
	barRight: [...l.querySelectorAll('rect.att')].map(r => r.getBoundingClientRect().right),
	verdicts: [...l.querySelectorAll('text.verdict')].map(t => t.textContent),
	labels: [...l.querySelectorAll('text.in, text.out')].map(t => t.textContent),
	marks: [...l.querySelectorAll('line.mark')].map(m => m.getBoundingClientRect().left),
	lateEnd: [...l.querySelectorAll('rect.exec.late')].map(r => r.getBoundingClientRect().right),
	lateFrom: [...l.querySelectorAll('rect.exec.late')].map(r => r.getBoundingClientRect().left),
	notes: [...l.querySelectorAll('text.note')].map(t => t.textContent),
	evidence: [...l.querySelectorAll('.evidence')].map(t => t.textContent),
	visible: getComputedStyle(l).display !== 'none',
}))`

// TestBrowserEmulatorPage loads the page of an emulator run in headless
// Chromium and checks what it draws: a bar per attempt with its status and
// verdict, the integration timeout, and the POST's function run going on
// past the 504; no console errors, nothing fetched; then a screenshot.
func TestBrowserEmulatorPage(t *testing.T) {
	b := newBrowser(t)
	run := runEmulator(t)
	b.load(t, run.page)
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(1180, 900)); err != nil {
		t.Fatal(err)
	}
	lanes := eval[[]laneDOM](t, b, lanesJS)
	if len(lanes) != 3 {
		t.Fatalf("%d lanes, want 3 (POST, PUT, GET)", len(lanes))
	}
	wantBars := []int{1, 2, 1}
	for i, l := range lanes {
		if l.Bars != wantBars[i] || len(l.Verdicts) != l.Bars {
			t.Errorf("lane %d: %d bars, %d verdict labels, want %d", i+1, l.Bars, len(l.Verdicts), wantBars[i])
		}
		for _, v := range l.Verdicts {
			if v != "ran" {
				t.Errorf("lane %d: verdict label %q, want ran", i+1, v)
			}
		}
		for _, e := range l.Evidence {
			if !strings.Contains(e, ".log:") {
				t.Errorf("lane %d: evidence %q is not file:line", i+1, e)
			}
		}
	}
	post, put := lanes[0], lanes[1]
	if h := eval[string](t, b, `document.querySelector('section.lane h3').textContent`); !strings.HasPrefix(h, "request 1 · POST /prod/orders ") {
		t.Errorf("first lane's heading %q, want it to name POST /prod/orders", h)
	}
	if len(post.Labels) == 0 || !strings.HasPrefix(post.Labels[0], "504 · ") {
		t.Errorf("POST's bar label %q, want 504 and its request id", post.Labels)
	}
	if len(post.Marks) != 1 || len(post.LateEnd) != 1 {
		t.Fatalf("POST lane: %d timeout lines, %d late execution bars, want 1 and 1", len(post.Marks), len(post.LateEnd))
	}
	// The function's run outlives the 504: its late part starts at the
	// timeout line and ends after both the line and the 504's bar.
	if post.LateEnd[0] <= post.Marks[0]+5 || post.LateEnd[0] <= post.BarRight[0] || post.LateFrom[0] < post.Marks[0]-3 {
		t.Errorf("POST's late run spans %.0f-%.0f px, timeout line at %.0f px, 504 bar ends at %.0f px: the run must go on past both",
			post.LateFrom[0], post.LateEnd[0], post.Marks[0], post.BarRight[0])
	}
	if len(post.Notes) != 1 || !strings.Contains(post.Notes[0], "past the timeout") {
		t.Errorf("POST's note %q", post.Notes)
	}
	for _, c := range []string{"late", "st-504"} {
		if !strings.Contains(" "+post.Classes+" ", " "+c+" ") {
			t.Errorf("POST lane classes %q lack %s", post.Classes, c)
		}
	}
	if !strings.Contains(" "+put.Classes+" ", " dup ") {
		t.Errorf("PUT lane classes %q: its function ran twice", put.Classes)
	}
	summary := eval[string](t, b, `document.getElementById('summary').innerText`)
	for _, want := range []string{"3\nlogical requests", "4\nattempts", "2\n504s whose function ran anyway\n2 still running when the gateway gave up", "1\nrequests run more than once\n1 duplicate execution", "duplicate_execution", "What to do:"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}

	// The filters: "ran past the timeout" leaves the POST and the PUT.
	if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(`label[for="f-late"]`))); err != nil {
		t.Fatal(err)
	}
	visible := 0
	for _, l := range eval[[]laneDOM](t, b, lanesJS) {
		if l.Visible {
			visible++
		}
	}
	if visible != 2 {
		t.Errorf("%d lanes shown after filtering on ran past the timeout, want 2", visible)
	}
	if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(`label[for="f-v-all"]`))); err != nil {
		t.Fatal(err)
	}
	b.checkQuiet(t, run.page)

	// For the picture: the POST's evidence open, the others folded.
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('section.lane details')].slice(1).map(d => d.open = false).length`)); err != nil {
		t.Fatal(err)
	}
	// Lanes off screen are not painted (content-visibility): make the
	// viewport as tall as the page.
	height := eval[int64](t, b, `document.documentElement.scrollHeight`)
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(1180, height)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "timeline.png")
	if *updateScreenshot {
		out = filepath.Join("..", "..", "docs", "timeline.png")
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(png))
}

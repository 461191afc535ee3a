package timeline_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/retryscope/retryscope/internal/timeline"
)

// largeInput makes n logical requests of one to three attempts, with the
// mix a bad day gives: 200s, 504s whose function ran on (or did not run),
// 429s, 502s, connections refused; retried after a backoff.
func largeInput(n int) (timeline.Input, map[string]int) {
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	counts := map[string]int{} // lanes per filter class
	in := timeline.Input{Title: fmt.Sprintf("%d logical requests", n), IntegrationTimeout: 29 * time.Second}
	for i := range n {
		start := t0.Add(time.Duration(i) * 100 * time.Millisecond)
		req := timeline.Request{ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)}
		attempts := 1 + rng.IntN(3)
		has504, hasRan, late := false, 0, false
		for k := range attempts {
			a := timeline.Attempt{Number: k + 1, RequestID: fmt.Sprintf("%08x-%04x-4000-8000-000000000000", i, k), Sent: start}
			switch kind := rng.IntN(10); {
			case k == attempts-1 || kind < 4:
				a.Status, a.Reach, a.Verdict = 200, "backend", timeline.VerdictRan
				a.Answered = start.Add(time.Duration(50+rng.IntN(400)) * time.Millisecond)
				a.Function = &timeline.Execution{LambdaRequestID: a.RequestID + "-l", Start: start.Add(5 * time.Millisecond), End: a.Answered.Add(-5 * time.Millisecond)}
			case kind < 7:
				a.Status, a.Reach, a.GatewayTimedOut = 504, "backend_timeout", true
				a.Answered = start.Add(29*time.Second + 20*time.Millisecond)
				a.Deadline, a.GaveUp = start.Add(29*time.Second), start.Add(29*time.Second)
				has504 = true
				if kind < 6 {
					a.Verdict = timeline.VerdictRan
					a.Function = &timeline.Execution{LambdaRequestID: a.RequestID + "-l", Start: start.Add(10 * time.Millisecond), End: start.Add(time.Duration(30+rng.IntN(6)) * time.Second)}
					late = true
				} else {
					a.Verdict = timeline.VerdictNotRun
				}
			case kind < 8:
				a.Status, a.Reach, a.Verdict = 429, "gateway", timeline.VerdictNotRun
				a.Answered = start.Add(3 * time.Millisecond)
			case kind < 9:
				a.Status, a.Reach, a.Verdict = 502, "backend", timeline.VerdictRan
				a.Answered = start.Add(300 * time.Millisecond)
				a.Function = &timeline.Execution{Start: start.Add(5 * time.Millisecond), End: start.Add(290 * time.Millisecond)}
			default:
				a.Reach, a.Verdict, a.Error = "not_sent", timeline.VerdictNotRun, "connection refused"
				a.Answered = start.Add(time.Millisecond)
			}
			if a.Verdict == timeline.VerdictRan {
				hasRan++
			}
			a.Reason = "the function ran: a lambdalog line names this request: lambda.log:" + fmt.Sprint(i*3+k+1)
			if i == 949 {
				// Logs are not markup, even in the lanes added later.
				a.Reason += ` <img src=x onerror=alert(1)></textarea><script>alert(2)</script>`
			}
			a.Evidence = "lambda.log:" + fmt.Sprint(i*3+k+1)
			if k < attempts-1 {
				a.Wait = time.Duration(100+rng.IntN(900)) * time.Millisecond
			}
			req.Attempts = append(req.Attempts, a)
			start = a.Answered.Add(a.Wait)
		}
		if has504 {
			counts["st-504"]++
		}
		if late {
			counts["late"]++
		}
		if hasRan > 1 {
			counts["dup"]++
		}
		in.Requests = append(in.Requests, req)
	}
	return in, counts
}

func writeLargePage(tb testing.TB, n int) (string, map[string]int) {
	tb.Helper()
	in, counts := largeInput(n)
	path := filepath.Join(tb.TempDir(), "large.html")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := timeline.WriteInput(f, in); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, counts
}

// readyJS resolves, once the page has loaded and drawn its first frame
// after that, to the milliseconds since navigation started.
const readyJS = `new Promise(r => {
	const done = () => requestAnimationFrame(() => setTimeout(() => r(performance.now())));
	if (document.readyState === 'complete') done(); else addEventListener('load', done);
})`

func visibleLanes(tb testing.TB, b *browser) int {
	return eval[int](tb, b, `[...document.querySelectorAll('section.lane')].filter(l => getComputedStyle(l).display !== 'none').length`)
}

// TestBrowserLargePage: 1,000 logical requests load, every lane is there,
// the verdict and status filters narrow them to the right ones, and the
// console stays clean. It logs the load time; BenchmarkBrowserLoad1000
// measures it.
func TestBrowserLargePage(t *testing.T) {
	b := newBrowser(t)
	page, counts := writeLargePage(t, 1000)
	b.load(t, page)
	ms, err := chromedp.Run(b.ctx, chromedp.Evaluate[float64](readyJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(page)
	t.Logf("1,000 logical requests: %d KiB, loaded and drawn %.0f ms after navigation started", info.Size()>>10, ms)
	// The first 100 lanes are markup; scrolling near the end adds the
	// next 100; a filter adds them all.
	if n := visibleLanes(t, b); n != 100 {
		t.Fatalf("%d lanes shown after loading, want the first 100", n)
	}
	eval[int](t, b, `(window.scrollTo(0, document.body.scrollHeight), 0)`)
	if err := chromedp.Do(b.ctx, chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n := visibleLanes(t, b); n <= 100 || n >= 1000 {
		t.Errorf("%d lanes shown after scrolling to the end, want the next chunk", n)
	}
	// A link to a lane not added yet (a finding's) adds them all.
	eval[int](t, b, `(location.hash = '#r700', 0)`)
	if err := chromedp.Do(b.ctx, chromedp.Sleep(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n := eval[int](t, b, `document.querySelectorAll('section.lane').length`); n != 1000 {
		t.Errorf("%d lanes after following a link to request 700, want 1000", n)
	}
	if y := eval[float64](t, b, `document.getElementById('r700').getBoundingClientRect().top`); y < -150 || y > 900 {
		t.Errorf("request 700 is at %.0f px from the top of the window, want it in view", y)
	}
	if n := visibleLanes(t, b); n != 1000 {
		t.Fatalf("%d lanes shown, want 1000", n)
	}
	// The hostile texts of lane 950 stayed text.
	if n := eval[int](t, b, `document.querySelectorAll('img, script').length`); n != 1 {
		t.Errorf("%d img or script elements, want only the page's own script", n)
	}
	if !strings.Contains(eval[string](t, b, `document.querySelector('#r950 ul.ev').textContent`), "<img src=x onerror=alert(1)>") {
		t.Error("lane 950's hostile reason is not shown as text")
	}
	for _, f := range []string{"st-504", "late", "dup"} {
		if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(`label[for="f-`+f+`"]`))); err != nil {
			t.Fatal(err)
		}
		if n := visibleLanes(t, b); n != counts[f] || n == 0 {
			t.Errorf("filter %s shows %d lanes, want %d", f, n, counts[f])
		}
		// Reset both groups.
		if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(`label[for="f-v-all"]`)), chromedp.Click(chromedp.CSS(`label[for="f-s-all"]`))); err != nil {
			t.Fatal(err)
		}
	}
	// The two groups combine: 504s that ran more than once.
	if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(`label[for="f-dup"]`)), chromedp.Click(chromedp.CSS(`label[for="f-st-504"]`))); err != nil {
		t.Fatal(err)
	}
	both := eval[int](t, b, `[...document.querySelectorAll('section.lane.dup.st-504')].length`)
	if n := visibleLanes(t, b); n != both || n == 0 {
		t.Errorf("dup and 504 show %d lanes, want %d", n, both)
	}
	// A lane's evidence shows on a click of its "evidence" link.
	evidenceShown := `getComputedStyle(document.querySelector('#r500 ul.ev')).display !== 'none'`
	if eval[bool](t, b, evidenceShown) {
		t.Error("lane 500's evidence shows before any click")
	}
	// Off screen, the lane has no box to click at (content-visibility):
	// the link is followed from script as a click would.
	eval[int](t, b, `(document.querySelector('#r500 a.evl').click(), 0)`)
	if !eval[bool](t, b, evidenceShown) {
		t.Error("lane 500's evidence hidden after a click on its link")
	}
	if text := eval[string](t, b, `document.querySelector('#r500 ul.ev').innerText`); !strings.Contains(text, "lambda.log:") {
		t.Errorf("lane 500's evidence %q names no file:line", text)
	}
	b.checkQuiet(t, page)
}

// BenchmarkBrowserLoad1000 loads a page of 1,000 logical requests in
// headless Chromium and reports the time from navigation start to the
// first frame drawn after the load event (ms/ready, from the page's own
// clock); it fails when that is a second or more.
func BenchmarkBrowserLoad1000(b *testing.B) {
	br := newBrowser(b)
	page, _ := writeLargePage(b, 1000)
	var total float64
	for b.Loop() {
		if err := chromedp.Do(br.ctx, chromedp.Navigate("about:blank")); err != nil {
			b.Fatal(err)
		}
		br.load(b, page)
		ms, err := chromedp.Run(br.ctx, chromedp.Evaluate[float64](readyJS, chromedp.EvalAwaitPromise))
		if err != nil {
			b.Fatal(err)
		}
		total += ms
	}
	mean := total / float64(b.N)
	b.ReportMetric(mean, "ms/ready")
	if mean >= 1000 {
		b.Errorf("a page of 1,000 logical requests took %.0f ms to load and draw, want under 1000", mean)
	}
}

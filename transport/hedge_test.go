package transport_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// slowAnswer answers "done" after d, or gives up when the client does (a
// cancelled hedge).
func slowAnswer(d time.Duration) answer {
	return answer{serve: func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
		io.WriteString(w, "done")
	}}
}

// byAttempt answers each attempt by its amz-sdk-request number.
func byAttempt(answers map[string]answer) answer {
	return answer{serve: func(w http.ResponseWriter, r *http.Request) {
		n, _, _ := strings.Cut(strings.TrimPrefix(r.Header.Get("Amz-Sdk-Request"), "attempt="), ";")
		a, ok := answers[n]
		if !ok {
			a = answers["*"]
		}
		if a.serve != nil {
			a.serve(w, r)
			return
		}
		if a.errType != "" {
			w.Header().Set("x-amzn-ErrorType", a.errType)
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}}
}

// TestHedgeWins: the first attempt hangs, the hedge answers; the hedge's
// body is read in full after RoundTrip returned (the winner is never
// cancelled), the first attempt is cancelled and recorded as lost.
func TestHedgeWins(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	loserGone := make(chan struct{})
	var once sync.Once
	first, rest := "hedge:", strings.Repeat("z", 256<<10)
	loser := answer{serve: func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		once.Do(func() { close(loserGone) })
	}}
	g := newGateway(t, byAttempt(map[string]answer{
		"1": loser,
		"2": gatedBody(first, rest, gate),
		"*": loser, // a third attempt, should the machine be slow
	}))
	ct := newCounting(t)
	rt := transport.New(ct, fast(transport.WithHedging(30*time.Millisecond))...)
	resp, err, as := do(t, rt, newRequest(t, "GET", g.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-loserGone:
	case <-time.After(10 * time.Second):
		t.Fatal("the losing attempt was not cancelled")
	}
	time.Sleep(100 * time.Millisecond) // several hedge delays: nothing may cancel the winner meanwhile
	close(gate)
	if got := readAll(t, resp.Body); got != first+rest {
		t.Errorf("winner's body: %d bytes, want %d", len(got), len(first+rest))
	}
	resp.Body.Close()
	if len(as) < 2 {
		t.Fatalf("attempts: %+v", as)
	}
	win := as[0]
	if win.Number != 2 || !win.Hedge || win.Status != 200 || win.Rule != policy.RuleNotRetryable {
		t.Errorf("winner %+v", win)
	}
	for _, lost := range as[1:] {
		if lost.Number == 2 || lost.Hedge != (lost.Number > 1) || lost.Rule != policy.RuleHedgeLost || lost.Cause != policy.CauseCanceled || lost.Status != 0 {
			t.Errorf("loser %+v", lost)
		}
	}
	if as[1].Number != 1 {
		t.Errorf("the first attempt was not recorded as lost: %+v", as[1])
	}
	if g.hits() != len(as) {
		t.Errorf("%d hits, %d attempts", g.hits(), len(as))
	}
	if ct.open() != 0 {
		t.Errorf("%d bodies open", ct.open())
	}
}

// TestHedgeFirstWins: a first attempt that answers before the delay sends
// no hedge.
func TestHedgeFirstWins(t *testing.T) {
	t.Parallel()
	g := newGateway(t, ok200)
	rt := transport.New(newBase(t), fast(transport.WithHedging(time.Hour))...)
	for i := 0; i < 3; i++ {
		resp, err, as := do(t, rt, newRequest(t, "GET", g.URL, nil))
		if err != nil || resp.StatusCode != 200 {
			t.Fatal(resp, err)
		}
		if readAll(t, resp.Body) != ok200.body {
			t.Error("body")
		}
		resp.Body.Close()
		if len(as) != 1 || as[0].Hedge {
			t.Errorf("attempts %+v", as)
		}
	}
	if g.hits() != 3 {
		t.Errorf("%d hits", g.hits())
	}
}

// TestHedgeNotForUnsafe: a POST without Idempotency-Key is never hedged,
// however slow; with a key it is.
func TestHedgeNotForUnsafe(t *testing.T) {
	t.Parallel()
	slow := slowAnswer(300 * time.Millisecond)
	for _, tt := range []struct {
		name string
		opts []transport.Option
		key  string
		hits int
	}{
		{"no key", nil, "", 1},
		{"caller key", nil, `"k"`, 3},
		{"transport keys", []transport.Option{transport.WithIdempotencyKeys()}, "", 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGateway(t, slow)
			rt := transport.New(newBase(t), fast(append(tt.opts, transport.WithHedging(20*time.Millisecond))...)...)
			req := newRequest(t, "POST", g.URL, strings.NewReader("pay"))
			if tt.key != "" {
				req.Header.Set("Idempotency-Key", tt.key)
			}
			resp, err, _ := do(t, rt, req)
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, resp.Body); got != "done" {
				t.Errorf("body %q", got)
			}
			resp.Body.Close()
			if got := g.hits(); got != tt.hits && (tt.hits == 1 || got < 2) {
				t.Errorf("%d hits, want %d", got, tt.hits)
			}
			for i, s := range g.seen() {
				if string(s.Body) != "pay" {
					t.Errorf("attempt %d body %q", i+1, s.Body)
				}
			}
		})
	}
}

// TestBugHedgeSendsEmptyBody pins a bug: a body too large to buffer could
// still be hedged, and the hedge went out with an empty body. A request
// whose body cannot be replayed is never hedged.
func TestBugHedgeSendsEmptyBody(t *testing.T) {
	t.Parallel()
	slow := slowAnswer(200 * time.Millisecond)
	g := newGateway(t, slow)
	rt := transport.New(newBase(t), fast(transport.WithHedging(10*time.Millisecond), transport.WithBodyLimit(4))...)
	req := newRequest(t, "PUT", g.URL, nil)
	req.Body = newRequestBody("0123456789")
	resp, err, _ := do(t, rt, req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := g.seen()
	if len(got) != 1 {
		t.Errorf("%d requests sent, want 1", len(got))
	}
	for i, s := range got {
		if string(s.Body) != "0123456789" {
			t.Errorf("request %d body %q", i+1, s.Body)
		}
	}
}

// TestHedgeRetriesAfterFailure: in hedged mode an attempt that fails with
// nothing else in flight is retried as usual.
func TestHedgeRetriesAfterFailure(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504, ok200)
	rt := transport.New(newBase(t), fast(transport.WithHedging(time.Hour))...)
	resp, err, as := do(t, rt, newRequest(t, "GET", g.URL, nil))
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(resp, err)
	}
	if readAll(t, resp.Body) != ok200.body {
		t.Error("body")
	}
	if rules(as) != "retry,not_retryable" {
		t.Errorf("rules %s", rules(as))
	}
}

// signalHandler calls fn for every log record's rule.
type signalHandler struct{ fn func(rule string) }

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h signalHandler) WithGroup(string) slog.Handler            { return h }
func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "rule" {
			h.fn(a.Value.String())
		}
		return true
	})
	return nil
}

// TestHedgePending: an attempt that fails while a hedge is in flight does
// not end the call; the hedge's answer does. Ordered without sleeps: the
// hedge answers only after the first attempt's failure was recorded.
func TestHedgePending(t *testing.T) {
	t.Parallel()
	hedgeStarted := make(chan struct{})
	pending := make(chan struct{})
	var once sync.Once
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			r.Body.Close()
		}
		resp := &http.Response{StatusCode: 200, Header: http.Header{}, Request: r}
		if r.Header.Get("Amz-Sdk-Request") == "attempt=1; max=3" {
			<-hedgeStarted
			resp.StatusCode = 504
			resp.Header.Set("x-amzn-ErrorType", "InternalServerErrorException")
			resp.Body = io.NopCloser(strings.NewReader(gw504.body))
			return resp, nil
		}
		close(hedgeStarted)
		select {
		case <-pending:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
		resp.Body = io.NopCloser(strings.NewReader("hedge"))
		return resp, nil
	})
	log := slog.New(signalHandler{fn: func(rule string) {
		if rule == string(policy.RuleHedgePending) {
			once.Do(func() { close(pending) })
		}
	}})
	rt := transport.New(base, fast(transport.WithHedging(10*time.Millisecond), transport.WithLogger(log))...)
	resp, err, as := do(t, rt, newRequest(t, "GET", "http://example.invalid/", nil))
	if err != nil || resp.StatusCode != 200 {
		t.Fatal(resp, err)
	}
	if got := readAll(t, resp.Body); got != "hedge" {
		t.Errorf("body %q", got)
	}
	if rules(as) != "hedge_pending,not_retryable" || as[0].Number != 1 || as[1].Number != 2 || !as[1].Hedge {
		t.Errorf("attempts %s: %+v", rules(as), as)
	}
}

// TestBugHedgeCallerCancelRecordedAsLost pins a bug: when the caller
// cancelled a hedged call, its attempts were recorded as "hedge_lost"
// ("another attempt answered first") though none had answered. Cancelling
// stops every attempt and returns context.Canceled; no goroutine outlives
// RoundTrip (goleak).
func TestBugHedgeCallerCancelRecordedAsLost(t *testing.T) {
	t.Parallel()
	g := newGateway(t, blocked)
	rt := transport.New(newBase(t), fast(transport.WithHedging(10*time.Millisecond))...)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for g.hits() < 3 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	resp, err, as := do(t, rt, newRequest(t, "GET", g.URL, nil).WithContext(ctx))
	if resp != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("resp %v err %v", resp, err)
	}
	if len(as) != 3 {
		t.Fatalf("%d attempts recorded", len(as))
	}
	for _, a := range as {
		if a.Rule != policy.RuleCanceled {
			t.Errorf("attempt %d rule %s, want canceled", a.Number, a.Rule)
		}
	}
}

// TestHedgeCallerCancelWhileLaunching: the caller gives up while the
// transport prepares a hedge (its GetBody, which runs on the call's
// goroutine, cancels the context), so that when the call next looks, an
// attempt that failed for the caller's cancellation may be its answer
// before the cancellation itself is seen. Either way every attempt ends
// as canceled, none as a hedge that lost to another's answer.
func TestHedgeCallerCancelWhileLaunching(t *testing.T) {
	t.Parallel()
	g := newGateway(t, blocked)
	rt := transport.New(newBase(t), fast(transport.WithHedging(5*time.Millisecond))...)
	for i := range 20 {
		ctx, cancel := context.WithCancel(context.Background())
		req := newRequest(t, "PUT", g.URL, strings.NewReader("x")).WithContext(ctx)
		getBody := req.GetBody
		req.GetBody = func() (io.ReadCloser, error) {
			cancel() // the hedge's body: the caller gives up meanwhile,
			// and the first attempt has failed for it by the time the
			// call looks again
			time.Sleep(20 * time.Millisecond)
			return getBody()
		}
		resp, err, as := do(t, rt, req)
		cancel()
		if resp != nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("call %d: resp %v err %v", i, resp, err)
		}
		for _, a := range as {
			if a.Rule != policy.RuleCanceled {
				t.Errorf("call %d: attempt %d rule %s, want canceled (%s)", i, a.Number, a.Rule, rules(as))
			}
		}
	}
}

// TestHedgeSpendsBudget: hedges are paid from the retry budget; with none
// left no hedge is sent.
func TestHedgeSpendsBudget(t *testing.T) {
	t.Parallel()
	slow := slowAnswer(300 * time.Millisecond)
	g := newGateway(t, slow)
	rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBreaker(),
		transport.WithBudget(policy.BudgetConfig{Ratio: -1, MinRetriesPerSecond: -1, MaxTokens: 1}),
		transport.WithHedging(10*time.Millisecond))
	resp, err, _ := do(t, rt, newRequest(t, "GET", g.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if g.hits() != 2 {
		t.Errorf("first request: %d hits, want 2 (one hedge paid by the only token)", g.hits())
	}
	resp, err, _ = do(t, rt, newRequest(t, "GET", g.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if g.hits() != 3 {
		t.Errorf("second request: %d hits in all, want 3 (no hedge)", g.hits())
	}
}

// TestBugHedgeBreakerOpensBetweenAttempts pins a bug: in hedged mode the
// breaker was asked only after the last answer had been discarded, so a
// breaker that opened between attempts gave ErrCircuitOpen instead of the
// last response. With WithFailFast a hedged request to an open breaker
// fails fast (without it, it waits for the host as any request does:
// TestHedgedWaitsForHost).
func TestBugHedgeBreakerOpensBetweenAttempts(t *testing.T) {
	t.Parallel()
	g := newGateway(t, gw504)
	rt := transport.New(newBase(t), transport.WithPolicy(fastPolicy()), transport.WithoutBudget(), transport.WithFailFast(),
		transport.WithBreaker(tripAfter(1, time.Minute, nil)), transport.WithHedging(time.Hour))
	body := newRequestBody("x")
	req := newRequest(t, "PUT", g.URL, nil)
	req.Body = body
	resp, err, as := do(t, rt, req)
	if err != nil || resp.StatusCode != 504 || rules(as) != "circuit_open" {
		t.Fatalf("first: %v %v %s", resp, err, rules(as))
	}
	body2 := newRequestBody("y")
	req = newRequest(t, "PUT", g.URL, nil)
	req.Body = body2
	_, err, _ = do(t, rt, req)
	if !errors.Is(err, transport.ErrCircuitOpen) {
		t.Errorf("second: %v", err)
	}
	if body.closed.Load() == 0 || body2.closed.Load() == 0 {
		t.Error("a body was not closed")
	}
	if g.hits() != 1 {
		t.Errorf("%d hits", g.hits())
	}
}

// TestHedgeWithAttemptTimeout: with both hedging and an attempt timeout, the
// winner's body outlives the attempt timeout. It runs in a synctest bubble
// over an in-memory base: the first attempt (and any other but the hedge)
// blocks until its context ends; the hedge, sent after exactly the hedge
// delay, answers at once with a body that fails, as net/http's does, once
// the attempt's context ends (ctxBody). The body is read two attempt
// timeouts later, and must come whole.
func TestHedgeWithAttemptTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		want := "h" + strings.Repeat("y", 32<<10)
		var open atomic.Int32
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Header.Get("Amz-Sdk-Request") != "attempt=2; max=3" {
				<-r.Context().Done()
				return nil, r.Context().Err()
			}
			body := newCtxBody(r.Context(), want, 4<<10, 0, &open)
			return &http.Response{StatusCode: 200, Header: http.Header{}, Request: r, ContentLength: int64(len(want)), Body: body}, nil
		})
		p := fastPolicy()
		p.AttemptTimeout = time.Second
		const hedgeDelay = 20 * time.Millisecond
		rt := transport.New(base, transport.WithPolicy(p), transport.WithoutBreaker(), transport.WithoutBudget(),
			transport.WithHedging(hedgeDelay))
		start := time.Now()
		resp, err, as := do(t, rt, newRequest(t, "GET", memURL, nil))
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != hedgeDelay {
			t.Errorf("RoundTrip returned after %v, want the hedge delay %v", d, hedgeDelay)
		}
		time.Sleep(2 * p.AttemptTimeout)
		if got, err := io.ReadAll(resp.Body); err != nil || string(got) != want {
			t.Errorf("body: %d bytes of %d: %v", len(got), len(want), err)
		}
		resp.Body.Close()
		if len(as) != 2 || as[0].Number != 2 || !as[0].Hedge || as[0].Status != 200 ||
			as[1].Number != 1 || as[1].Rule != policy.RuleHedgeLost {
			t.Errorf("attempts %s: %+v; want the hedge (2) to win, the first to lose", rules(as), as)
		}
		if n := open.Load(); n != 0 {
			t.Errorf("%d response bodies left open", n)
		}
	})
}

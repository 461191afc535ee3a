package transport_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
	"go.uber.org/goleak"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// The invariant test drives a Transport, directly and inside http.Client,
// against a real local server whose every answer is drawn at random
// (stalls, resets, trickles, huge headers, 1xx, error statuses), with
// random caller cancellations and deadlines, hedging on and off, GET, PUT
// and POST, and checks what must hold whatever happens:
//
//   - exactly one of a response and an error;
//   - the returned body is complete, or fails only after the caller gave up;
//   - every response body the base handed out is closed;
//   - no goroutine is left behind (goleak);
//   - a POST without Idempotency-Key is never sent again once an attempt
//     may have run it (counted at the server);
//   - no attempt that failed because the caller gave up is counted by the
//     breaker (seen through its IsSuccessful callback): the breaker counts
//     no more failures without an answer than the base returned before
//     the caller had given up (checked in order, with no clock margin; see
//     runScenario);
//   - RoundTrip does not hang: it returns within invariantSlack of the
//     caller giving up, and without the caller giving up within a bound
//     that allows for the server's delays (stallCap, which a stall until
//     RoundTrip returns would reach, is well past both).
//
// A scenario is read from bytes (each decision takes one), so the fuzzer
// can mutate it; TestTransportInvariants draws random ones for a few
// seconds and FuzzTransportInvariants explores further.

var errCallerBody = errors.New("the caller's body failed")

// invariantSlack is how long after the caller gives up RoundTrip may still
// take: the base noticing the cancellation, scheduling on a loaded machine.
// It bounds a hang, not a delay: a loaded machine may take a second or
// more, and a transport that ignored the caller would be held by a stall
// until stallCap.
const invariantSlack = 5 * time.Second

// stallCap ends a stall that lasts "until RoundTrip returns", should
// RoundTrip never return: well past invariantSlack and the bound on
// RoundTrip without the caller giving up, so that a RoundTrip held by
// such a stall fails either.
const stallCap = 30 * time.Second

// dice reads decisions from bytes; past the end every draw is 0.
type dice struct {
	b []byte
	i int
}

func (d *dice) n(k int) int {
	if d.i >= len(d.b) {
		return 0
	}
	v := int(d.b[d.i])
	d.i++
	return v % k
}

func (d *dice) pick(ds ...time.Duration) time.Duration { return ds[d.n(len(ds))] }

// What the server does with one request.
const (
	bAnswer        = iota // status and body, the body perhaps stalling part way
	bSlowHeaders          // waits, then answers
	bReset                // reads the request, then closes the connection
	bHugeHeader           // a header larger than the base accepts
	bInformational        // 103 Early Hints, then the answer
	bTrickle              // the body in small pieces
	nBehaviours
)

// stallUntilReturn is a body stall that lasts until RoundTrip returns: a
// transport that waits for the body never returns (but for stallCap).
const stallUntilReturn = -1

type behaviour struct {
	kind    int
	status  int
	size    int           // body bytes
	stallAt int           // stall after this many body bytes, fewer than all; -1: none
	stall   time.Duration // how long a stall lasts (the server then goes on)
}

func (b behaviour) String() string {
	name := [...]string{"answer", "slow-headers", "reset", "huge-header", "1xx", "trickle"}[b.kind]
	return fmt.Sprintf("%s %d/%dB/stall@%d:%v", name, b.status, b.size, b.stallAt, b.stall)
}

// mayHaveRun reports whether the request may have been executed by this
// answer: everything but a 429 refusal.
func (b behaviour) mayHaveRun() bool {
	return b.kind == bReset || b.kind == bHugeHeader || b.status != http.StatusTooManyRequests
}

// The request bodies of a scenario; the last two are the caller's own
// mistakes, which must never be retried nor counted against the host.
const (
	bodyNone        = iota
	bodyGetBody     // strings.Reader: GetBody set by http.NewRequest
	bodyNoGetBody   // buffered by the transport for replay
	bodyReadFails   // its Read fails after a few bytes (GetBody set)
	bodyWrongLength // ContentLength larger than the body
	bodyTooLarge    // over the body limit, without GetBody: sent once at most
	nBodies
)

type scenario struct {
	method         string
	body           int // one of the body* constants
	idemKeys       bool
	maxAttempts    int
	attemptTimeout time.Duration
	hedge          time.Duration
	viaClient      bool
	clientTimeout  time.Duration // http.Client.Timeout
	ctxTimeout     time.Duration // context.WithTimeout
	cancelAfter    time.Duration // the context cancelled after this
	reqCancel      time.Duration // Request.Cancel closed after this; -1: before sending
	middleware     time.Duration // a pause after the base returns (slow middleware, GC)
	script         []behaviour   // answer i goes to request i; the last repeats
}

func (s scenario) String() string {
	return fmt.Sprintf("%s body=%d idem=%v max=%d attemptTimeout=%v hedge=%v client=%v clientTimeout=%v ctxTimeout=%v cancelAfter=%v reqCancel=%v middleware=%v script=%v",
		s.method, s.body, s.idemKeys, s.maxAttempts, s.attemptTimeout, s.hedge, s.viaClient, s.clientTimeout, s.ctxTimeout, s.cancelAfter, s.reqCancel, s.middleware, s.script)
}

func readScenario(data []byte) scenario {
	d := &dice{b: data}
	s := scenario{
		method:         [...]string{"GET", "PUT", "POST"}[d.n(3)],
		body:           d.n(nBodies),
		idemKeys:       d.n(2) == 1,
		maxAttempts:    1 + d.n(4),
		attemptTimeout: d.pick(0, 0, 30*time.Millisecond, 80*time.Millisecond),
		hedge:          d.pick(0, 0, 10*time.Millisecond, 40*time.Millisecond),
		viaClient:      d.n(2) == 1,
	}
	if s.method == "GET" {
		s.body %= 2
	}
	if s.viaClient {
		s.clientTimeout = d.pick(0, 0, 20*time.Millisecond, 60*time.Millisecond, 150*time.Millisecond)
	} else {
		s.reqCancel = d.pick(0, 0, 0, -1, 15*time.Millisecond, 70*time.Millisecond)
	}
	s.ctxTimeout = d.pick(0, 0, 25*time.Millisecond, 90*time.Millisecond, 200*time.Millisecond)
	s.cancelAfter = d.pick(0, 0, 0, 10*time.Millisecond, 50*time.Millisecond)
	n := 1 + d.n(4)
	s.middleware = d.pick(0, 0, 0, 20*time.Millisecond, 45*time.Millisecond)
	for range n {
		b := behaviour{
			kind:    d.n(nBehaviours),
			status:  [...]int{200, 200, 201, 404, 429, 500, 502, 503, 504}[d.n(9)],
			size:    [...]int{0, 10, 600, 5000, 70000}[d.n(5)],
			stallAt: -1,
			stall:   d.pick(5*time.Millisecond, 40*time.Millisecond, 120*time.Millisecond, stallUntilReturn),
		}
		if b.size > 0 && d.n(3) == 0 {
			// Before the last byte: a body whose bytes have all been sent
			// is complete for the client (Content-Length), and a handler
			// that then holds on only delays the next request on the same
			// connection, up to the stall's cap, which the bound on
			// RoundTrip's time does not allow for.
			b.stallAt = d.n(b.size)
		}
		s.script = append(s.script, b)
	}
	return s
}

// scriptServer plays a scenario's script and records what it received.
type scriptServer struct {
	*httptest.Server
	release chan struct{} // closed when RoundTrip has returned
	script  []behaviour
	mu      sync.Mutex
	hits    []behaviour
}

func invariantBody(hit, size int) string {
	if size == 0 {
		return ""
	}
	unit := "hit" + strconv.Itoa(hit) + "-0123456789abcdef;"
	return strings.Repeat(unit, size/len(unit)+1)[:size]
}

func (s *scriptServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	i := len(s.hits)
	b := s.script[min(i, len(s.script)-1)]
	s.hits = append(s.hits, b)
	s.mu.Unlock()
	wait := func(d time.Duration) bool {
		release := s.release
		if d >= 0 {
			release = nil
		} else {
			d = stallCap // should RoundTrip never return
		}
		select {
		case <-r.Context().Done():
			return false
		case <-release:
			return true
		case <-time.After(d):
			return true
		}
	}
	h := w.Header()
	h.Set("X-Hit", strconv.Itoa(i))
	switch b.kind {
	case bReset:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case bHugeHeader:
		h.Set("X-Huge", strings.Repeat("h", 20<<10))
	case bInformational:
		h.Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		h.Del("Link")
	case bSlowHeaders:
		if !wait(max(b.stall, 0)) {
			return
		}
	}
	body := invariantBody(i, b.size)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(b.status)
	step := len(body)
	if b.kind == bTrickle {
		step = max(1, len(body)/8)
	}
	for off := 0; off < len(body); {
		end := min(off+step, len(body))
		if b.stallAt >= off && b.stallAt < end {
			end = b.stallAt
		}
		if _, err := io.WriteString(w, body[off:end]); err != nil {
			return
		}
		off = end
		if off == b.stallAt || b.kind == bTrickle {
			w.(http.Flusher).Flush()
			d := b.stall
			if b.kind == bTrickle && off != b.stallAt {
				d = time.Millisecond
			}
			if !wait(d) {
				return
			}
		}
		if off == b.stallAt {
			b.stallAt = -1 // stall once
		}
	}
}

func (s *scriptServer) received() []behaviour {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]behaviour(nil), s.hits...)
}

// givenUp records when the caller gave up, as a window: early is a moment
// at or before it (a body failing before early was not the caller's
// doing), late a moment at or after it (the transport must know by then).
// Both are 0 until the caller gives up.
type givenUp struct{ early, late atomic.Int64 }

func (g *givenUp) mark(early, late time.Time) {
	setMin(&g.early, early.UnixNano())
	setMin(&g.late, late.UnixNano())
}

func setMin(a *atomic.Int64, n int64) {
	for {
		at := a.Load()
		if (at != 0 && at <= n) || a.CompareAndSwap(at, n) {
			return
		}
	}
}

func before(a *atomic.Int64, t time.Time) bool {
	at := a.Load()
	return at != 0 && at <= t.UnixNano()
}

// runScenario sends one request as the scenario says and checks the
// invariants; it reports violations through t.
func runScenario(t testing.TB, data []byte) {
	s := readScenario(data)
	callerBodyFails := s.body == bodyReadFails || s.body == bodyWrongLength
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("scenario %x (%v): %s", data, s, fmt.Sprintf(format, args...))
	}

	srv := &scriptServer{script: s.script, release: make(chan struct{})}
	srv.Server = httptest.NewServer(srv)
	defer srv.Close()
	base := &http.Transport{MaxResponseHeaderBytes: 16 << 10}
	defer base.CloseIdleConnections()
	ct := &countingTransport{base: base}

	var gave givenUp
	var counted sync.Mutex
	var countedLate []string
	// What the breaker may count without an answer (status 0), checked in
	// order rather than against a clock: the transport decides whether the
	// caller gave up (callerDone, then excluded) after the base has
	// returned, so an attempt whose base returned once the caller had
	// given up (callerGone, the same signals, which once true stay true)
	// must be excluded. The breaker's callback cannot tell which attempt
	// it hears of, so the check counts: failures without an answer counted
	// (noAnswer; slow calls apart, slowNoAnswer, since the slow-call rule
	// makes one of any attempt) against base returns before the caller had
	// given up that may end without an answer (mayFail: an error, or any
	// answer with an AttemptTimeout, which may fire as the base returns)
	// and against all of them (returnedBefore, for slow calls too).
	var (
		callerReq                                       atomic.Pointer[http.Request]
		mayFail, returnedBefore, noAnswer, slowNoAnswer atomic.Int64
		noAnswerSeen                                    []string
	)
	callerGone := func() bool {
		r := callerReq.Load()
		if r.Context().Err() != nil {
			return true
		}
		if dl, ok := r.Context().Deadline(); ok && !time.Now().Before(dl) {
			return true
		}
		select {
		case <-r.Cancel: // nil, never ready, unless set
			return true
		default:
			return false
		}
	}
	p := fastPolicy()
	p.MaxAttempts = s.maxAttempts
	p.AttemptTimeout = s.attemptTimeout
	opts := []transport.Option{
		transport.WithPolicy(p),
		transport.WithoutBudget(),
		transport.WithBreaker(gobreaker.Settings{
			ReadyToTrip: func(gobreaker.Counts) bool { return false },
			IsSuccessful: func(err error) bool {
				// Called for every attempt the breaker counts.
				var oe *transport.OutcomeError
				if errors.As(err, &oe) {
					if oe.Status == 0 {
						if oe.Outcome.Cause == policy.CauseSlowCall {
							slowNoAnswer.Add(1)
						} else {
							noAnswer.Add(1)
						}
						counted.Lock()
						noAnswerSeen = append(noAnswerSeen, oe.Error())
						counted.Unlock()
					}
					if oe.Outcome.Cause == policy.CauseCanceled || (oe.Status == 0 && callerBodyFails) ||
						(oe.Outcome.Cause == policy.CauseAttemptTimeout && s.attemptTimeout == 0) {
						counted.Lock()
						countedLate = append(countedLate, oe.Error())
						counted.Unlock()
					}
				}
				return err == nil
			},
		}),
	}
	if s.hedge > 0 {
		opts = append(opts, transport.WithHedging(s.hedge))
	}
	if s.idemKeys {
		opts = append(opts, transport.WithIdempotencyKeys())
	}
	if s.body == bodyTooLarge {
		opts = append(opts, transport.WithBodyLimit(16))
	}
	tr := transport.New(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := ct.RoundTrip(r)
		time.Sleep(s.middleware)
		// Returned to the transport now: was the caller still there?
		if !callerGone() {
			returnedBefore.Add(1)
			if err != nil || s.attemptTimeout > 0 {
				mayFail.Add(1)
			}
		}
		return resp, err
	}), opts...)
	// rt keeps the request the transport is given (http.Client's own, with
	// its Timeout as a deadline and Request.Cancel, when viaClient).
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		callerReq.Store(r)
		return tr.RoundTrip(r)
	})

	ctx, rec := transport.Record(context.Background())
	if s.ctxTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.ctxTimeout)
		defer cancel()
		dl, _ := ctx.Deadline()
		gave.mark(dl, dl)
	}
	if s.cancelAfter > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		timer := time.AfterFunc(s.cancelAfter, func() {
			setMin(&gave.early, time.Now().UnixNano())
			cancel()
			setMin(&gave.late, time.Now().UnixNano())
		})
		defer timer.Stop()
		defer cancel()
	}
	var body io.Reader
	want := "order=" + strings.Repeat("x", 100)
	switch s.body {
	case bodyGetBody, bodyWrongLength:
		body = strings.NewReader(want)
	case bodyNoGetBody, bodyTooLarge:
		body = newRequestBody(want)
	}
	req, err := http.NewRequestWithContext(ctx, s.method, srv.URL+"/orders", body)
	if err != nil {
		t.Fatal(err)
	}
	switch s.body {
	case bodyWrongLength:
		req.ContentLength = int64(len(want)) + 10
	case bodyReadFails:
		req.GetBody = func() (io.ReadCloser, error) {
			return io.NopCloser(io.MultiReader(strings.NewReader("order="), errReader{errCallerBody})), nil
		}
		req.Body, _ = req.GetBody()
	}
	switch {
	case s.reqCancel < 0:
		c := make(chan struct{})
		setMin(&gave.early, time.Now().UnixNano())
		close(c)
		setMin(&gave.late, time.Now().UnixNano())
		req.Cancel = c //nolint:staticcheck // the deprecated field is the one under test
	case s.reqCancel > 0:
		c := make(chan struct{})
		timer := time.AfterFunc(s.reqCancel, func() {
			setMin(&gave.early, time.Now().UnixNano())
			close(c)
			setMin(&gave.late, time.Now().UnixNano())
		})
		defer timer.Stop()
		req.Cancel = c //nolint:staticcheck // the deprecated field is the one under test
	}

	var resp *http.Response
	returned := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(returned)
		if s.viaClient {
			client := &http.Client{Transport: rt, Timeout: s.clientTimeout}
			if s.clientTimeout > 0 {
				now := time.Now()
				gave.mark(now.Add(s.clientTimeout), now.Add(s.clientTimeout+5*time.Millisecond))
			}
			resp, err = client.Do(req)
		} else {
			resp, err = rt.RoundTrip(req)
		}
	}()
	select {
	case <-returned:
	case <-time.After(2 * stallCap):
		fail("RoundTrip has not returned after %v", 2*stallCap)
		<-returned
	}
	end := time.Now()
	close(srv.release) // stalls "until RoundTrip returns" end
	if at := gave.early.Load(); at != 0 {
		if late := end.Sub(time.Unix(0, at)); late > invariantSlack {
			fail("RoundTrip returned %v after the caller gave up", late)
		}
	} else if took, bound := end.Sub(start), time.Duration(len(srv.received()))*2*time.Second+invariantSlack; took > bound {
		// Without the caller giving up, only the server's header delays
		// (at most 120ms an attempt) and the transport's bounded peeks
		// and drains may hold RoundTrip: never a stalled body (stallCap).
		// The bound is about a hang: a loaded machine may stretch the
		// rest well past their nominal times.
		fail("RoundTrip took %v for %d attempts (bound %v)", took, len(srv.received()), bound)
	}
	// A decision to retry is taken after its attempt ended: if the caller
	// had given up by then, the transport knew, and must not retry. The
	// caller's own failing body is never retried.
	for _, a := range rec.Attempts() {
		if a.Retry && callerBodyFails {
			fail("attempt %d with the caller's failing body was retried: %s", a.Number, describe(rec.Attempts(), start))
		}
		if a.Retry && before(&gave.late, a.Start.Add(a.Duration)) {
			fail("attempt %d was retried though the caller gave up %v before it ended: %s", a.Number,
				a.Start.Add(a.Duration).Sub(time.Unix(0, gave.late.Load())), describe(rec.Attempts(), start))
		}
	}
	switch {
	case resp != nil && err != nil:
		fail("both a response and an error: %v", err)
		resp.Body.Close()
	case resp == nil && err == nil:
		fail("neither a response nor an error")
	case resp != nil:
		hit, herr := strconv.Atoi(resp.Header.Get("X-Hit"))
		got, rerr := io.ReadAll(resp.Body)
		readEnd := time.Now()
		resp.Body.Close()
		switch {
		case herr != nil || hit >= len(srv.received()):
			fail("a response the server did not send (X-Hit %q)", resp.Header.Get("X-Hit"))
		case rerr != nil:
			if !before(&gave.early, readEnd) {
				fail("the body failed (%v after %d bytes) before the caller gave up", rerr, len(got))
			}
		default:
			b := srv.received()[hit]
			if w := invariantBody(hit, b.size); string(got) != w {
				fail("body of %d bytes, want %d: %.40q", len(got), len(w), got)
			}
		}
	}

	if n := ct.open(); n != 0 {
		fail("%d of %d response bodies left open", n, ct.responses())
	}

	hits := srv.received()
	if s.body == bodyTooLarge && len(hits) > 1 {
		fail("a body that could not be replayed was sent %d times", len(hits))
	}
	if s.method == "POST" && !s.idemKeys {
		for i, b := range hits[:max(0, len(hits)-1)] {
			if b.mayHaveRun() {
				fail("POST sent again after attempt %d (%v) may have run it: %d hits %v", i+1, b, len(hits), hits)
				break
			}
		}
	}
	counted.Lock()
	if len(countedLate) > 0 {
		fail("the breaker counted the caller's own failures: %v", countedLate)
	}
	if n, slow := noAnswer.Load(), slowNoAnswer.Load(); n > mayFail.Load() || n+slow > returnedBefore.Load() {
		fail("the breaker counted %d failures without an answer (%d more as slow calls), but the base returned only %d attempts "+
			"that may fail (%d in all) before the caller gave up: it counted the caller's own failures: %v",
			n, slow, mayFail.Load(), returnedBefore.Load(), noAnswerSeen)
	}
	counted.Unlock()
}

// invariantSeeds are scenarios worth keeping. Each byte is one decision,
// in readScenario's order: method, body, idempotency keys, attempts-1,
// AttemptTimeout, hedging, via http.Client, its Timeout (or else when
// Request.Cancel closes), context timeout, context cancel, answers-1,
// middleware pause; then per answer: kind, status, size, stall, and for a
// body whether and where it stalls.
var invariantSeeds = [][]byte{
	// GET, one plain 200.
	{0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0 /**/, 0, 0, 1, 0, 1},
	// GET, AttemptTimeout 30ms, 504 then 200.
	{0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 1, 0 /**/, 0, 8, 1, 0, 1 /**/, 0, 0, 1, 0, 1},
	// POST without key: reset then 500; never sent twice.
	{2, 1, 0, 3, 0, 0, 0, 0, 0, 0, 1, 0 /**/, 2, 0, 0, 0 /**/, 0, 5, 1, 0, 1},
	// GET hedged after 10ms: a 503 whose body stalls until RoundTrip returns, then 200.
	{0, 0, 0, 3, 0, 2, 0, 0, 0, 0, 1, 0 /**/, 0, 7, 2, 3, 0, 100 /**/, 0, 0, 1, 0, 1},
	// http.Client Timeout 20ms, headers after 120ms.
	{0, 0, 0, 2, 0, 0, 1, 2, 0, 0, 0, 0 /**/, 1, 0, 1, 2, 1},
	// Request.Cancel closed at 15ms; a 500 whose body stalls.
	{0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0 /**/, 0, 5, 2, 3, 0, 10},
	// PUT with key: a header too large for the base, then 200.
	{1, 1, 1, 3, 0, 0, 0, 0, 0, 0, 1, 0 /**/, 3, 0, 1, 0, 1 /**/, 0, 0, 1, 0, 1},
	// 103 Early Hints, then 200, through http.Client.
	{0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0 /**/, 4, 0, 2, 0, 1},
	// AttemptTimeout 80ms, a trickling 404 of 5000 bytes.
	{0, 0, 0, 2, 3, 0, 0, 0, 0, 0, 0, 0 /**/, 5, 3, 3, 0, 1},
	// POST, Request.Cancel closed before sending.
	{2, 2, 0, 3, 0, 0, 0, 3, 0, 0, 0, 0 /**/, 0, 4, 1, 0, 1},
	// AttemptTimeout 30ms, a 45ms pause after the base returns.
	{0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 4 /**/, 0, 0, 3, 0, 1},
	// PUT, hedged, a body whose Read fails.
	{1, 3, 0, 3, 0, 2, 0, 0, 0, 0, 0, 0 /**/, 0, 0, 1, 0, 1},
	// POST with key, ContentLength larger than the body.
	{2, 4, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0 /**/, 0, 0, 1, 0, 1},
	// Context deadline 25ms through http.Client; a 504 whose body stalls.
	{0, 0, 0, 3, 0, 0, 1, 0, 2, 0, 0, 0 /**/, 0, 8, 2, 3, 0, 50},
}

// TestTransportInvariants runs random scenarios for a few seconds, two at
// a time, then checks that no goroutine is left.
func TestTransportInvariants(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	budget := 3 * time.Second
	if testing.Short() {
		budget = time.Second
	}
	for _, seed := range invariantSeeds {
		runScenario(t, seed)
	}
	stop := time.Now().Add(budget)
	var wg sync.WaitGroup
	var ran atomic.Int32
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
			data := make([]byte, 40)
			for time.Now().Before(stop) {
				for i := range data {
					data[i] = byte(rng.UintN(256))
				}
				runScenario(t, data)
				ran.Add(1)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d random scenarios", ran.Load())
	goleak.VerifyNone(t, ignore)
}

// FuzzTransportInvariants explores scenarios beyond the random ones:
//
//	go test -run '^$' -fuzz FuzzTransportInvariants ./transport/
func FuzzTransportInvariants(f *testing.F) {
	for _, seed := range invariantSeeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ignore := goleak.IgnoreCurrent()
		runScenario(t, data)
		goleak.VerifyNone(t, ignore)
	})
}

// describe lists attempts for a failure message.
func describe(as []transport.Attempt, start time.Time) string {
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "\n\t#%d hedge=%v at %v for %v: status %d err %v cause %s rule %s", a.Number, a.Hedge,
			a.Start.Sub(start).Round(time.Millisecond), a.Duration.Round(time.Millisecond), a.Status, a.Err, a.Cause, a.Rule)
	}
	return b.String()
}

func TestInvariantScenario(t *testing.T) {
	data := os.Getenv("SCENARIO")
	if data == "" {
		t.Skip("SCENARIO=<hex> replays one scenario")
	}
	b, err := hex.DecodeString(data)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		runScenario(t, b)
	}
}

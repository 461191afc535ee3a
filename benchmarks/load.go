package benchmarks

import (
	"bytes"
	"context"
	"errors"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/sony/gobreaker/v2"

	"github.com/retryscope/retryscope/transport"
)

// arrivals draws the scenario's Poisson arrivals (emulated offsets, sorted,
// cooldown included) by
// thinning: candidates at the peak rate, each kept with probability
// rate(t)/peak. The source depends on the seed and the scenario's name only,
// so every policy sees the same arrivals.
func arrivals(sc *Scenario, seed int64) []time.Duration {
	h := fnv.New64a()
	h.Write([]byte(sc.Name))
	rng := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
	peak := sc.maxRate()
	if peak <= 0 {
		return nil
	}
	var out []time.Duration
	t := 0.0
	for {
		t += rng.ExpFloat64() / peak
		at := time.Duration(t * float64(time.Second))
		if at >= sc.Duration+sc.Cooldown {
			return out
		}
		if rng.Float64()*peak < sc.rateAt(at) {
			out = append(out, at)
		}
	}
}

// counter is the transport under every policy's library: it counts the
// attempts of each logical request (by HeaderRequest) and sends them.
type counter struct {
	base     http.RoundTripper
	attempts []atomic.Int32
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	if i, err := strconv.Atoi(req.Header.Get(HeaderRequest)); err == nil && i >= 0 && i < len(c.attempts) {
		c.attempts[i].Add(1)
	}
	return c.base.RoundTrip(req)
}

// maxRequestTime bounds a logical request (emulated), a safety net only:
// no policy's defaults come near it.
const maxRequestTime = 10 * time.Minute

// orderBody is what a POST sends.
var orderBody = []byte(`{"item":"book","quantity":1}`)

// generator offers a scenario's load to one client, open loop.
type generator struct {
	sc    *Scenario
	scale float64
	url   string
	// clients are the members' clients: request i goes to i mod their
	// number.
	clients []Client
	workers int
	// deadline is every logical request's deadline (emulated); 0: none.
	deadline time.Duration
	recs     []Record
}

// run issues every arrival at its time (real = t0 + at x scale) while a
// worker is free, and waits for the logical requests to end.
//
// A worker is a goroutine that sends one logical request after another:
// an arrival goes to an idle worker, or to a new one while fewer than
// g.workers are busy, else it is dropped. Reusing goroutines keeps their
// stacks, grown once to the depth of a policy's client (a new goroutine
// per request grew its stack by copying, each time).
func (g *generator) run(ctx context.Context, t0 time.Time, times []time.Duration) {
	sem := make(chan struct{}, g.workers)
	idle := make(chan int) // unbuffered: a send succeeds only into a waiting worker
	var wg sync.WaitGroup
	worker := func(i int) {
		defer wg.Done()
		for {
			g.send(ctx, i)
			<-sem
			var ok bool
			if i, ok = <-idle; !ok {
				return
			}
		}
	}
	// One timer for every wait until the next arrival.
	next := time.NewTimer(time.Hour)
	next.Stop()
	defer next.Stop()
	wait := func(d time.Duration) error {
		if d <= 0 {
			return ctx.Err()
		}
		next.Reset(d)
		select {
		case <-ctx.Done():
			next.Stop()
			return ctx.Err()
		case <-next.C:
			return nil
		}
	}
	for i, at := range times {
		g.recs[i].Issued = at
		if err := wait(time.Until(t0.Add(scaled(at, g.scale)))); err != nil {
			for j := i; j < len(times); j++ {
				g.recs[j] = Record{Issued: times[j], Dropped: true, Outcome: "canceled"}
			}
			break
		}
		select {
		case sem <- struct{}{}:
		default:
			g.recs[i].Dropped, g.recs[i].Outcome = true, "dropped"
			continue
		}
		select {
		case idle <- i:
		default:
			wg.Add(1)
			go worker(i)
		}
	}
	close(idle)
	wg.Wait()
}

// send sends logical request i and records how it ended.
func (g *generator) send(ctx context.Context, i int) {
	start := time.Now()
	limit := maxRequestTime
	if g.deadline > 0 {
		limit = g.deadline
	}
	ctx, cancel := context.WithTimeout(ctx, scaled(limit, g.scale))
	defer cancel() // also ends whatever a library left open
	var body io.Reader
	if g.sc.method() != http.MethodGet {
		body = bytes.NewReader(orderBody)
	}
	req, err := http.NewRequestWithContext(ctx, g.sc.method(), g.url, body)
	if err != nil {
		g.recs[i].Outcome = "error"
		return
	}
	// Both names are canonical: set as Header.Set would, without its
	// canonicalisation on every request.
	req.Header[HeaderRequest] = []string{strconv.Itoa(i)}
	if body != nil {
		req.Header["Content-Type"] = []string{"application/json"}
	}
	resp, err := g.clients[i%len(g.clients)].Do(req)
	rec := &g.recs[i]
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		rec.OK = resp.StatusCode >= 200 && resp.StatusCode < 300
		rec.Outcome = strconv.Itoa(resp.StatusCode)
	} else {
		rec.Outcome = errorClass(err)
	}
	rec.Latency = time.Duration(float64(time.Since(start)) / g.scale)
}

// errorClass names an error for Result.Outcomes: a request retryscope
// refused by the name its spans give it (error.type), a request a peer's
// circuit breaker refused as "circuit_open" too (sony/gobreaker's open and
// half-open refusals, failsafe-go's circuitbreaker.ErrOpen, also when
// failsafe-go's retry policy gave up on it), else how it ended.
func errorClass(err error) string {
	var te *transport.Error
	if errors.As(err, &te) && (errors.Is(te, transport.ErrCircuitOpen) || errors.Is(te, transport.ErrThrottledLocally)) {
		return te.ErrorType()
	}
	switch {
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests),
		errors.Is(err, circuitbreaker.ErrOpen):
		return "circuit_open"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "error"
}

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/retryscope/retryscope/internal/httpsyntax"
	"github.com/retryscope/retryscope/internal/redact"
	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

func init() {
	register("probe", "send requests through the retrying transport and show every attempt with its ids", runProbe)
}

const probeUsage = `usage: retryscope probe [flags] URL

Sends -n logical requests (-c at a time) to URL through retryscope's
transport and prints, per request, every attempt: status or error, duration,
the x-amzn-RequestId sent and received, x-amz-apigw-id (or apigw-requestid),
the X-Ray trace id, how far the attempt got (reach) and the retry decision
with its reason. Then the CloudWatch Logs Insights queries that find these
requests in API Gateway's and the function's logs, ready to paste.

Credentials are sent but never shown: the values of headers whose names
carry them (Authorization, Cookie, X-Api-Key, X-Amz-Security-Token,
X-Auth-Token, X-Session-Id: any name with a word such as auth, session,
credential or signature, a word ending in token, secret or password, or an
api, access or subscription key), URL userinfo, query values (a query
part without '=' whole) and path parameter values (;jsessionid=...) print
as REDACTED. URL userinfo (http://user:password@host/) is sent
as Basic authorization, as curl does, unless -H gives an Authorization.

With -L, redirects are followed as curl -L follows them (at most
-max-redirs; 301, 302 and 303 turn a POST into a GET without a body, 307
and 308 repeat the request as it was); credentials (userinfo, Authorization,
Cookie and the other headers above) are not sent to another host or port.

The transport's circuit breaker is off: a diagnostic probe should see every
answer, not refusals of its own. -breaker turns it on to rehearse what a
client with retryscope's defaults would see; probe then says so in one line
when it opens. The retry budget stays on (-no-budget turns it off).

Each answer's body is read up to 10 MiB (API Gateway's own limit); a
longer one is said to be, and not read further.

At most 10000 requests (-n) and 256 at a time (-c). Each request's table is
printed as it ends, in request order; the tables fit 120 columns (-wide
prints every column in full).

Exit status: 0 when every request ended in a 2xx, 3xx or 4xx answer; 1 when
any ended in an error or a 5xx; 2 for bad flags.

Flags:`

// Probe defaults.
const (
	// defaultProbeTimeout bounds each logical request, retries included:
	// enough for three 29 s integration timeouts and their backoff.
	defaultProbeTimeout = 2 * time.Minute
	// probeBodyLimit is how much of each response body probe reads (and
	// counts) before closing it: API Gateway's own limit, so a longer body
	// did not come from it. Probe says when a body went on past it.
	probeBodyLimit = 10 << 20
	// maxProbeData bounds -d @FILE's file, read whole before the first
	// request: well above API Gateway's 10 MB payload limit, so a probe
	// can still see the gateway refuse a body too large.
	maxProbeData = 64 << 20
	// maxProbeRequests bounds -n: the -json document holds every request,
	// and the text output's queries list every id.
	maxProbeRequests = 10000
	// maxProbeConcurrency bounds -c: goroutines and connections.
	maxProbeConcurrency = 256
	// defaultMaxRedirs is curl's default for --max-redirs.
	defaultMaxRedirs = 50
	// probeReorderWindow is how many requests may be in flight or finished
	// but not yet printed: a slow request holds back at most this many
	// results, whatever -n.
	probeReorderWindow = 4 * maxProbeConcurrency
)

// probeConfig is what the flags ask for.
type probeConfig struct {
	method         string
	url            *url.URL
	body           []byte
	hasBody        bool
	header         headerList
	n, c           int
	json           bool
	timeout        time.Duration
	attemptTimeout time.Duration
	attempts       int
	idemKeys       bool
	xray           bool
	noBreaker      bool // -no-breaker: the default, kept for scripts
	breaker        bool
	noBudget       bool
	follow         bool // -L
	maxRedirs      int
	wide           bool
	basicUser      string // from URL userinfo
	basicPassword  string
	hasBasic       bool
	attemptLog     string
	html           string       // -html FILE
	logger         *slog.Logger // set when attemptLog is
}

// runProbe is the probe command. SIGINT or SIGTERM stops it early:
// requests in flight are cancelled, the rest are not sent, and what was
// seen is printed with its queries.
func runProbe(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return probe(ctx, args, stdout, stderr, nil)
}

// probe runs the command under ctx; base is the transport under
// retryscope's (nil: a clone of http.DefaultTransport).
func probe(ctx context.Context, args []string, stdout, stderr io.Writer, base http.RoundTripper) int {
	cfg, code := parseProbeFlags(args, stderr)
	if code >= 0 {
		return code
	}
	if cfg.attemptLog != "" {
		f, err := os.OpenFile(cfg.attemptLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return usageError(stderr, "probe", "-attempt-log: %v", errors.Unwrap(err))
		}
		defer f.Close()
		cfg.logger = slog.New(slog.NewJSONHandler(f, nil))
	}
	page, code := openProbeHTML(cfg, stderr)
	if code >= 0 {
		return code
	}
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = cfg.c
		defer t.CloseIdleConnections()
		base = t
	}
	rt := transport.New(base, cfg.transportOptions()...)
	out := newProbeOutput(cfg, stdout)
	tally := newProbeTally(cfg)
	skipped := 0
	for r := range cfg.run(ctx, rt) {
		if r.skipped {
			skipped++
			continue
		}
		tally.add(r)
		out.request(r)
	}
	if writeProbeHTML(page, cfg, tally.results, stderr) != 0 {
		return 1
	}
	if skipped > 0 {
		fmt.Fprintf(stderr, "retryscope probe: interrupted: %d of %d request(s) not sent\n", skipped, cfg.n)
	}
	if msg, ok := tally.unreachable(); ok {
		if cfg.json {
			out.finish(tally)
		}
		fmt.Fprintln(stderr, "retryscope probe: "+msg)
		return 1
	}
	out.finish(tally)
	if skipped > 0 || tally.failed {
		return 1
	}
	return 0
}

// run sends the cfg.n logical requests, cfg.c at a time, and yields their
// results in request order. Nothing is allocated in proportion to cfg.n: a
// request is dispatched only when fewer than probeReorderWindow requests
// before it are still unprinted, so the results waiting for an earlier one
// stay bounded. The channel closes when every request has been yielded.
func (cfg *probeConfig) run(ctx context.Context, rt http.RoundTripper) <-chan probeResult {
	window := min(probeReorderWindow, cfg.n)
	slots := make(chan struct{}, window) // one per request dispatched and not yet yielded
	next := make(chan int)
	done := make(chan probeResult, window)
	ordered := make(chan probeResult)
	go func() {
		defer close(next)
		for i := range cfg.n {
			slots <- struct{}{}
			next <- i
		}
	}()
	var workers sync.WaitGroup
	for range cfg.c {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for i := range next {
				if ctx.Err() != nil {
					done <- probeResult{index: i, skipped: true}
					continue
				}
				done <- cfg.send(ctx, rt, i)
			}
		}()
	}
	go func() {
		workers.Wait()
		close(done)
	}()
	go func() {
		defer close(ordered)
		pending := make(map[int]probeResult, window)
		want := 0
		for r := range done {
			pending[r.index] = r
			for {
				r, ok := pending[want]
				if !ok {
					break
				}
				delete(pending, want)
				ordered <- r
				<-slots
				want++
			}
		}
	}()
	return ordered
}

// parseProbeFlags parses the command line; code is -1 when the probe
// should run, else the exit code.
func parseProbeFlags(args []string, stderr io.Writer) (cfg *probeConfig, code int) {
	cfg = &probeConfig{}
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.StringVar(&cfg.method, "X", "", "request `method` (default GET, or POST with -d)")
	data := fs.String("d", "", "request body `data`; @FILE reads it from FILE, at most 64 MiB (implies POST unless -X is given)")
	fs.Var(&cfg.header, "H", "request header `'Name: value'` (repeatable)")
	fs.IntVar(&cfg.n, "n", 1, "number of logical requests (at most 10000)")
	fs.IntVar(&cfg.c, "c", 1, "how many requests run at once (at most 256)")
	fs.BoolVar(&cfg.json, "json", false, "print JSON instead of text")
	fs.DurationVar(&cfg.timeout, "timeout", defaultProbeTimeout, "bound on each logical request, retries and waits included (0: none)")
	fs.DurationVar(&cfg.attemptTimeout, "attempt-timeout", 0, "bound on each attempt (0: none but -timeout)")
	fs.IntVar(&cfg.attempts, "attempts", policy.DefaultMaxAttempts, "attempts per request in all, the first included (1: no retries)")
	fs.BoolVar(&cfg.idemKeys, "idempotency-key", false, "add an Idempotency-Key to POST and PATCH requests, which makes them safe to retry against servers that honour it")
	fs.BoolVar(&cfg.xray, "xray", false, "send an X-Amzn-Trace-Id with a new X-Ray Root per logical request (the same on each of its attempts)")
	fs.BoolVar(&cfg.breaker, "breaker", false, "turn the transport's per-host circuit breaker on (off by default: probe shows every answer)")
	fs.BoolVar(&cfg.noBreaker, "no-breaker", false, "the circuit breaker off (the default; kept for scripts)")
	fs.BoolVar(&cfg.follow, "L", false, "follow redirects, as curl -L does")
	fs.IntVar(&cfg.maxRedirs, "max-redirs", defaultMaxRedirs, "with -L, how many redirects a request may follow")
	fs.BoolVar(&cfg.wide, "wide", false, "print every column of the tables in full (default: fit 120 columns)")
	fs.BoolVar(&cfg.noBudget, "no-budget", false, "turn the transport's per-host retry budget off")
	fs.StringVar(&cfg.attemptLog, "attempt-log", "", "append the transport's attempt log (one JSON line per attempt, what retryscope diagnose reads) to `FILE`")
	fs.StringVar(&cfg.html, "html", "", htmlFlagUsage)
	pos, err := parseFlags(fs, splitAttached(args, "HXd"))
	if err != nil {
		return nil, flagError(stderr, fs, probeUsage, err)
	}
	switch {
	case cfg.header.err != nil:
		return nil, usageError(stderr, "probe", "-H: %v", cfg.header.err)
	case len(pos) == 0:
		return nil, usageError(stderr, "probe", "missing URL")
	case len(pos) > 1:
		return nil, usageError(stderr, "probe", "one URL expected, got %d arguments", len(pos))
	case cfg.n < 1:
		return nil, usageError(stderr, "probe", "-n must be at least 1, got %d", cfg.n)
	case cfg.n > maxProbeRequests:
		return nil, usageError(stderr, "probe", "-n must be at most %d, got %d (run probe again for more)", maxProbeRequests, cfg.n)
	case cfg.c < 1:
		return nil, usageError(stderr, "probe", "-c must be at least 1, got %d", cfg.c)
	case cfg.c > maxProbeConcurrency:
		return nil, usageError(stderr, "probe", "-c must be at most %d, got %d", maxProbeConcurrency, cfg.c)
	case cfg.maxRedirs < 0:
		return nil, usageError(stderr, "probe", "-max-redirs must not be negative, got %d", cfg.maxRedirs)
	case cfg.breaker && cfg.noBreaker:
		return nil, usageError(stderr, "probe", "-breaker and -no-breaker contradict each other")
	case cfg.attempts < 1:
		return nil, usageError(stderr, "probe", "-attempts must be at least 1, got %d", cfg.attempts)
	case cfg.timeout < 0 || cfg.attemptTimeout < 0:
		return nil, usageError(stderr, "probe", "timeouts must not be negative")
	}
	cfg.c = min(cfg.c, cfg.n)
	if cfg.url, err = parseProbeURL(pos[0]); err != nil {
		return nil, usageError(stderr, "probe", "%v", err)
	}
	if u := cfg.url.User; u != nil {
		// Sent as Basic authorization, as curl does; never printed
		// (redact.URL drops userinfo).
		cfg.basicUser = u.Username()
		cfg.basicPassword, _ = u.Password()
		cfg.hasBasic = true
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "d" {
			cfg.hasBody = true
		}
	})
	if cfg.hasBody {
		if cfg.body, err = readData(*data); err != nil {
			return nil, usageError(stderr, "probe", "-d: %v", err)
		}
	}
	if cfg.method == "" {
		cfg.method = http.MethodGet
		if cfg.hasBody {
			cfg.method = http.MethodPost
		}
	}
	if !httpsyntax.IsToken(cfg.method) {
		return nil, usageError(stderr, "probe", "-X %q is not a valid method", cfg.method)
	}
	if cfg.hasBody && cfg.header.get("Content-Type") == "" {
		// What curl sends with -d.
		cfg.header.add("Content-Type", "application/x-www-form-urlencoded")
	}
	return cfg, -1
}

// parseProbeURL accepts an absolute http or https URL; like curl, a URL
// without a scheme is taken as http. Errors never show userinfo or query
// values.
func parseProbeURL(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("the URL does not parse")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL scheme %q is not http or https", u.Scheme)
	}
	if u.Hostname() == "" {
		// "http://:80/" would dial this machine's every address.
		return nil, fmt.Errorf("URL %s has no host", redact.URL(u))
	}
	return u, nil
}

// readData returns -d's body: the text itself, or the contents of FILE for
// @FILE.
func readData(v string) ([]byte, error) {
	name, ok := strings.CutPrefix(v, "@")
	if !ok {
		return []byte(v), nil
	}
	if name == "" {
		return nil, errors.New("@ needs a file name")
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", name, unwrapPath(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxProbeData+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", name, unwrapPath(err))
	}
	if len(b) > maxProbeData {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, maxProbeData>>20)
	}
	return b, nil
}

// unwrapPath returns an *os.PathError's own error, without the path and
// operation the caller's message gives.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (cfg *probeConfig) transportOptions() []transport.Option {
	p := policy.Default()
	p.MaxAttempts = cfg.attempts
	p.AttemptTimeout = cfg.attemptTimeout
	// A probe reports what the host answers now: it never queues behind
	// an open breaker or a stalled host (transport.WithFailFast).
	opts := []transport.Option{transport.WithPolicy(p), transport.WithFailFast()}
	if cfg.idemKeys {
		opts = append(opts, transport.WithIdempotencyKeys())
	}
	if !cfg.breaker {
		opts = append(opts, transport.WithoutBreaker())
	}
	if cfg.noBudget {
		opts = append(opts, transport.WithoutBudget())
	}
	if cfg.logger != nil {
		opts = append(opts, transport.WithLogger(cfg.logger))
	}
	return opts
}

// probeResult is one logical request as probe saw it.
type probeResult struct {
	index     int
	status    int   // final status, 0 when it ended in an error
	err       error // final error
	duration  time.Duration
	bodyBytes int64
	bodyLong  bool // the body went on past probeBodyLimit, not read further
	bodyErr   error
	attempts  []transport.Attempt
	redirects []probeRedirect // followed with -L, in order
	skipped   bool            // not sent: the probe was interrupted first
}

// failed reports whether the request ended in an error or a 5xx.
func (r *probeResult) failed() bool {
	return r.err != nil || r.bodyErr != nil || r.status >= 500
}

// send makes logical request i, following redirects with -L.
func (cfg *probeConfig) send(ctx context.Context, rt http.RoundTripper, i int) (res probeResult) {
	res.index = i
	if cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.timeout)
		defer cancel()
	}
	ctx, rec := transport.Record(ctx)
	trace := ""
	if cfg.xray && cfg.header.get(policy.HeaderTraceID) == "" {
		trace = "Root=" + newXRayRoot(time.Now()) + ";Sampled=1"
	}
	hop := probeHop{method: cfg.method, url: withoutUserinfo(cfg.url), body: cfg.body, hasBody: cfg.hasBody}
	start := time.Now()
	defer func() {
		res.duration = time.Since(start)
		res.attempts = rec.Attempts()
		for i := range res.attempts {
			a := &res.attempts[i]
			a.RequestID, a.ExtendedRequestID, a.HTTPAPIRequestID = boundID(a.RequestID), boundID(a.ExtendedRequestID), boundID(a.HTTPAPIRequestID)
		}
	}()
	for {
		req, err := cfg.newRequest(ctx, hop, trace)
		if err != nil {
			res.err = err
			return res
		}
		resp, err := rt.RoundTrip(req)
		if err != nil {
			res.err = err
			return res
		}
		res.status = resp.StatusCode
		next, follow, err := cfg.redirect(hop, resp, len(res.redirects))
		if err != nil || !follow {
			res.bodyBytes, res.bodyErr = io.Copy(io.Discard, io.LimitReader(resp.Body, probeBodyLimit+1))
			if res.bodyBytes > probeBodyLimit {
				res.bodyBytes, res.bodyLong = probeBodyLimit, true
			}
			resp.Body.Close()
			res.err = err
			return res
		}
		// The redirect's own body is read (so the connection can be reused)
		// and not counted.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, probeBodyLimit))
		resp.Body.Close()
		res.redirects = append(res.redirects, probeRedirect{status: resp.StatusCode, url: next.url})
		hop = next
	}
}

// newXRayRoot returns a new X-Ray trace id: "1-", the epoch seconds in 8
// hex digits, "-", 24 random hex digits.
func newXRayRoot(now time.Time) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("1-%08x-%x", uint32(now.Unix()), b)
}

// maxIDBytes bounds the request ids probe keeps of an answer: AWS's are
// 16 to 36 characters, and a server answering ids of megabytes made -json
// hold them for every attempt of every request (gigabytes), and the
// tables print them whole. Longer ids are cut there, ending in "…"; at
// 131 bytes they are no id a query lists (validQueryID).
const maxIDBytes = 128

// boundID returns id, or a copy of its first maxIDBytes bytes (whole
// runes) and "…" when longer: a copy, so the answer's header can be freed.
func boundID(id string) string {
	if len(id) <= maxIDBytes {
		return id
	}
	n := maxIDBytes
	for n > 0 && !utf8.RuneStart(id[n]) {
		n--
	}
	return id[:n] + "…"
}

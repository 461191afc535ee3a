package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/retryscope/retryscope/policy"
	"github.com/retryscope/retryscope/transport"
)

// seenRequest is what a test server saw of one request.
type seenRequest struct {
	method, path, body, auth, cookie, apiKey, authToken string
}

// recordingServer answers with answer and records every request.
func recordingServer(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, func() []seenRequest) {
	t.Helper()
	var mu sync.Mutex
	var seen []seenRequest
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, seenRequest{r.Method, r.URL.Path, string(b), r.Header.Get("Authorization"), r.Header.Get("Cookie"), r.Header.Get("X-Api-Key"), r.Header.Get("X-Auth-Token")})
		mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(s.Close)
	return s, func() []seenRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]seenRequest(nil), seen...)
	}
}

func TestProbeUserinfoIsBasicAuth(t *testing.T) {
	t.Parallel()
	s, seen := recordingServer(t, func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "pw s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	u := strings.Replace(s.URL, "http://", "http://user:pw%20s3cret@", 1) + "/x"
	stdout, stderr, code := runProbeCmd(t, u)
	if code != 0 || !strings.Contains(stdout, "request 1: 200 OK") {
		t.Errorf("exit %d, want 200 with the userinfo sent as Basic auth\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "s3cret") || strings.Contains(stdout+stderr, "user:") {
		t.Errorf("userinfo printed:\n%s%s", stdout, stderr)
	}
	// An explicit Authorization wins, as with curl.
	_, _, _ = runProbeCmd(t, "-H", "Authorization: Bearer t0ken", u)
	got := seen()
	if len(got) != 2 || got[1].auth != "Bearer t0ken" {
		t.Errorf("requests %+v, want the second with the -H Authorization", got)
	}
}

func TestProbeFollowsRedirects(t *testing.T) {
	t.Parallel()
	other, otherSeen := recordingServer(t, func(w http.ResponseWriter, r *http.Request) {})
	s, seen := recordingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/302":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/307":
			http.Redirect(w, r, "/final", http.StatusTemporaryRedirect)
		case "/away":
			http.Redirect(w, r, other.URL+"/elsewhere?sig=s3cret", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	})
	u := strings.Replace(s.URL, "http://", "http://user:s3cret@", 1)

	// Without -L, the redirect is the answer.
	stdout, _, code := runProbeCmd(t, s.URL+"/302")
	if code != 0 || !strings.Contains(stdout, "request 1: 302 Found") {
		t.Errorf("without -L: exit %d\n%s", code, stdout)
	}

	// 302: a POST turns into a GET without its body, as curl -L does.
	stdout, _, code = runProbeCmd(t, "-L", "-d", "a=1", s.URL+"/302")
	if code != 0 || !strings.Contains(stdout, "request 1: 200 OK") || !strings.Contains(stdout, "followed 302 Found to "+s.URL+"/final") {
		t.Errorf("-L 302: exit %d\n%s", code, stdout)
	}
	// 307: the POST is repeated with its body.
	_, _, _ = runProbeCmd(t, "-L", "-d", "a=2", s.URL+"/307")
	got := seen()
	want := []seenRequest{{method: "GET", path: "/302"}, {method: "POST", path: "/302", body: "a=1"}, {method: "GET", path: "/final"},
		{method: "POST", path: "/307", body: "a=2"}, {method: "POST", path: "/final", body: "a=2"}}
	if len(got) != len(want) {
		t.Fatalf("requests %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d: %+v, want %+v", i, got[i], want[i])
		}
	}

	// Credentials go to the URL's own origin only.
	stdout, stderr, code := runProbeCmd(t, "-L", "-H", "Cookie: c=s3cret", "-H", "X-Api-Key: s3cret", "-H", "X-Auth-Token: s3cret", u+"/away")
	if code != 0 {
		t.Errorf("-L to another host: exit %d\n%s%s", code, stdout, stderr)
	}
	if o := otherSeen(); len(o) != 1 || o[0].auth != "" || o[0].cookie != "" || o[0].apiKey != "" || o[0].authToken != "" {
		t.Errorf("the other host saw %+v, want no credentials", o)
	}
	if g := seen(); g[len(g)-1].auth == "" || g[len(g)-1].cookie != "c=s3cret" || g[len(g)-1].authToken != "s3cret" {
		t.Errorf("the first host saw %+v, want its credentials", g[len(g)-1])
	}
	if strings.Contains(stdout, "s3cret") {
		t.Errorf("a credential printed:\n%s", stdout)
	}

	// Bounded.
	stdout, _, code = runProbeCmd(t, "-L", "-max-redirs", "3", s.URL+"/loop")
	if code != 1 || !strings.Contains(stdout, "stopped after 3 redirect(s)") || strings.Count(stdout, "followed 302") != 3 {
		t.Errorf("redirect loop: exit %d\n%s", code, stdout)
	}
}

// probe is a diagnostic tool: by default it sees every answer, so a host
// that fails many times in a row is not cut off by probe's own breaker.
func TestProbeBreakerOffByDefault(t *testing.T) {
	t.Parallel()
	s, seen := recordingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	stdout, _, code := runProbeCmd(t, "-n", "15", "-attempts", "1", s.URL+"/x")
	if code != 1 || len(seen()) != 15 || strings.Contains(stdout, "circuit breaker open") {
		t.Errorf("exit %d, %d requests reached the server, want 15\n%s", code, len(seen()), stdout)
	}

	// -breaker rehearses the default transport, and says when it opens.
	stdout, _, _ = runProbeCmd(t, "-breaker", "-n", "15", "-attempts", "1", s.URL+"/x")
	if n := len(seen()) - 15; n >= 15 {
		t.Errorf("-breaker: all %d requests reached the server", n)
	}
	if strings.Count(stdout, "note: probe's circuit breaker") != 1 || !strings.Contains(stdout, "Drop -breaker") {
		t.Errorf("-breaker: want one hint line\n%s", stdout)
	}
}

// Every line of a default table fits 120 columns, whatever the values.
func TestProbeTableFits120Columns(t *testing.T) {
	t.Parallel()
	u, _ := url.Parse("http://127.0.0.1:1/prod/orders")
	cfg := &probeConfig{method: "GET", url: u, n: 1, c: 1, attempts: 3}
	long := strings.Repeat("a reason that goes on and on ", 10)
	r := probeResult{status: 504, duration: 90 * time.Second, attempts: []transport.Attempt{
		{Number: 1, Status: 504, Duration: 29 * time.Second, RequestIDSent: "c0ffee00-0000-4000-8000-000000000001",
			RequestID: "c0ffee00-0000-4000-8000-000000000002", ExtendedRequestID: "K2Ib_G66IAMEF6g=", TraceID: "1-6b078dcb-a5bec618945743f800a3c83f",
			Reach: policy.ReachBackendTimeout, Retry: true, Wait: 1234 * time.Millisecond, Reason: long},
		{Number: 2, Hedge: true, Duration: time.Second, RequestIDSent: "c0ffee00-0000-4000-8000-000000000003",
			Reach: policy.ReachUnknown, Rule: policy.RuleMaxAttempts, Err: io.ErrUnexpectedEOF, Reason: long},
		{Number: 3, Status: 503, HTTPAPIRequestID: "U9euFi_ySQ0EPsw=", Reach: policy.ReachBackendTimeout, Rule: policy.RuleNotRetryable, Reason: "ü" + long},
	}}
	var b strings.Builder
	newProbeOutput(cfg, &b).table(r)
	for _, line := range strings.Split(b.String(), "\n") {
		if n := utf8.RuneCountInString(line); n > tableWidth {
			t.Errorf("%d columns: %q", n, line)
		}
	}
	out := b.String()
	if !strings.Contains(out, "…") || !strings.Contains(out, "attempt 1 sent request id c0ffee00-0000-4000-8000-000000000001; API Gateway answered") || !strings.Contains(out, "U9euFi_ySQ0EPsw=") {
		t.Errorf("table:\n%s", out)
	}
	// -wide shows everything.
	cfg.wide = true
	b.Reset()
	newProbeOutput(cfg, &b).table(r)
	if !strings.Contains(b.String(), strings.TrimSpace(long)) || !strings.Contains(b.String(), "K2Ib_G66IAMEF6g=") {
		t.Errorf("-wide table:\n%s", b.String())
	}
}

// nthBlocking answers every request at once except the first, which waits
// for release.
type nthBlocking struct {
	calls   atomic.Int64
	release chan struct{}
}

func (b *nthBlocking) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.calls.Add(1) == 1 {
		select {
		case <-b.release:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
}

// A slow request holds back a bounded number of later ones, whatever -n:
// results wait in request order in a window, not in a buffer of size -n.
// In a synctest bubble over an in-memory base: synctest.Wait returns once
// every goroutine of the run is blocked, so dispatching has stopped for
// good (no pause of a loaded machine passes for it), and the count of
// requests sent while the first is unanswered is exact.
func TestProbeRunIsBounded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		u, _ := url.Parse("http://127.0.0.1:1/x")
		n := probeReorderWindow + 500
		cfg := &probeConfig{method: "GET", url: u, n: n, c: 8, attempts: 1}
		rt := &nthBlocking{release: make(chan struct{})}
		results := cfg.run(context.Background(), rt)
		synctest.Wait() // dispatching has stopped: the window is full behind request 1
		if sent := rt.calls.Load(); sent != int64(probeReorderWindow) {
			t.Errorf("%d requests sent while the first was unanswered, want %d (the reorder window)", sent, probeReorderWindow)
		}
		close(rt.release)
		want := 0
		for r := range results {
			if r.index != want || r.err != nil {
				t.Fatalf("result %d (err %v), want %d", r.index, r.err, want)
			}
			want++
		}
		if want != n {
			t.Errorf("%d results, want %d", want, n)
		}
	})
}

func TestProbeBounds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "10001", "http://127.0.0.1:1"}, "-n must be at most 10000"},
		{[]string{"-n", "1000000000", "http://127.0.0.1:1"}, "-n must be at most 10000"},
		{[]string{"-c", "257", "http://127.0.0.1:1"}, "-c must be at most 256"},
		{[]string{"-max-redirs", "-1", "http://127.0.0.1:1"}, "-max-redirs must not be negative"},
		{[]string{"-breaker", "-no-breaker", "http://127.0.0.1:1"}, "contradict"},
	} {
		stdout, stderr, code := runProbeCmd(t, tc.args...)
		if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q, want one line with %q", tc.args, code, stderr, tc.want)
		}
	}
	if cfg, code := parseProbeFlags([]string{"-n", "10000", "-c", "256", "http://127.0.0.1:1"}, io.Discard); code != -1 || cfg.n != 10000 || cfg.c != 256 {
		t.Errorf("the maxima themselves refused: code %d", code)
	}
}

// Every field a query filters, parses or displays is a CloudWatch field
// (@...) or one an earlier clause of the same query parsed or listed: a
// field that is never defined matches nothing.
func TestProbeQueriesUseDefinedFields(t *testing.T) {
	t.Parallel()
	ident := regexp.MustCompile(`^[A-Za-z_@][A-Za-z0-9_@.]*`)
	for _, q := range insightsQueries([]string{"c0ffee00-0000-4000-8000-000000000001"}) {
		defined := map[string]bool{}
		for _, clause := range strings.Split(q.Query, "\n") {
			clause = strings.TrimPrefix(clause, "| ")
			cmd, rest, _ := strings.Cut(clause, " ")
			var used []string
			switch cmd {
			case "fields":
				for _, f := range strings.Split(rest, ",") {
					defined[strings.TrimSpace(f)] = true
				}
			case "parse":
				src, as, _ := strings.Cut(rest, " as ")
				used = append(used, ident.FindString(src))
				for _, f := range strings.Split(as, ",") {
					defined[strings.TrimSpace(f)] = true
				}
			case "filter", "display", "sort":
				for _, f := range strings.Split(rest, ",") {
					used = append(used, ident.FindString(strings.TrimSpace(f)))
				}
			}
			for _, f := range used {
				if f != "" && !strings.HasPrefix(f, "@") && !defined[f] {
					t.Errorf("%q: %s uses %q, which no earlier clause defines", q.Title, cmd, f)
				}
			}
		}
	}
}

func TestProbeCut(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"API Gateway integration timeout: the gateway stopped waiting", 25, "API Gateway integration…"},
		{"not retried: 3 of 3 attempts made", 22, "not retried: 3 of 3…"},
		{"averyveryverylongwordwithoutspaces", 10, "averyvery…"},
		{"ééééé ééééé", 8, "ééééé…"},
	} {
		if got := cut(tc.s, tc.n); got != tc.want || utf8.RuneCountInString(got) > tc.n {
			t.Errorf("cut(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

// FuzzProbeRedirect: whatever Location a server sends, -L follows only to
// an http or https URL with a host, and never sends the credentials of the
// first URL to another origin.
func FuzzProbeRedirect(f *testing.F) {
	for _, s := range []string{"/final", "http://other.example/x?sig=1", "https://127.0.0.1:1/", "//evil.example/x",
		"ftp://x/", "javascript:alert(1)", "http://[::1", "", "http://user:pw@127.0.0.1:1/x", "?q=1", "../../up", "HTTP://127.0.0.1:1/X"} {
		f.Add(s, 302)
		f.Add(s, 307)
	}
	f.Fuzz(func(t *testing.T, loc string, status int) {
		cfg, code := parseProbeFlags([]string{"-L", "-H", "Cookie: c=1", "-d", "x", "http://u:p@127.0.0.1:1/start"}, io.Discard)
		if code != -1 {
			t.Fatal(code)
		}
		hop := probeHop{method: "POST", url: withoutUserinfo(cfg.url), body: []byte("x"), hasBody: true}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Location": {loc}}}
		next, follow, err := cfg.redirect(hop, resp, 0)
		if !follow {
			return
		}
		if err != nil || (next.url.Scheme != "http" && next.url.Scheme != "https") || next.url.Hostname() == "" || next.url.User != nil {
			t.Fatalf("%d %q: followed to %v (err %v)", status, loc, next.url, err)
		}
		req, err := cfg.newRequest(context.Background(), next, "")
		if err != nil {
			return
		}
		if !sameOrigin(next.url, cfg.url) && (req.Header.Get("Authorization") != "" || req.Header.Get("Cookie") != "") {
			t.Fatalf("%q: credentials sent to %v", loc, next.url)
		}
	})
}

// FuzzProbeCut: a cut reason is valid UTF-8 (when the input is), at most n
// runes, and a prefix of the input plus an ellipsis.
func FuzzProbeCut(f *testing.F) {
	f.Add("API Gateway integration timeout: the gateway stopped waiting", 25)
	f.Add("ééé ééé", 4)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 2 || n > 1000 || !utf8.ValidString(s) {
			return
		}
		got := cut(s, n)
		if utf8.RuneCountInString(got) > n || !utf8.ValidString(got) {
			t.Fatalf("cut(%q, %d) = %q", s, n, got)
		}
		if got != s && !strings.HasPrefix(s, strings.TrimSuffix(got, "…")) {
			t.Fatalf("cut(%q, %d) = %q is not a prefix", s, n, got)
		}
	})
}

package main

import (
	"bytes"
	"context"
	"flag"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/retryscope/retryscope/apigwtest"
	"github.com/retryscope/retryscope/internal/httpsyntax"
	"github.com/retryscope/retryscope/internal/xray"
)

// The golden files are rewritten with `go test ./cmd/retryscope -run Probe -update`.
// Another test file of this package may register -update first; both share it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata")
	}
}

func updatingGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// firstAttemptFault applies f to the first attempt of every logical request
// (the transport's amz-sdk-request header says "attempt=1; ..."), so the
// scenario is the same whatever the concurrency.
func firstAttemptFault(f apigwtest.Fault) apigwtest.Option {
	return apigwtest.WithFaultFunc(func(m apigwtest.Moment) apigwtest.Fault {
		if strings.HasPrefix(m.Header.Get("Amz-Sdk-Request"), "attempt=1;") {
			return f
		}
		return apigwtest.Fault{}
	})
}

func alwaysFault(f apigwtest.Fault) apigwtest.Option {
	return apigwtest.WithFault(f)
}

// newProbeServer starts the emulator with emulate's echo function, 20
// times faster than real time: a 29 s timeout takes 1.45 s, far above the
// delays of a loaded test machine, so a 200 never turns into a 504.
func newProbeServer(t *testing.T, opts ...apigwtest.Option) *apigwtest.Server {
	t.Helper()
	opts = append([]apigwtest.Option{apigwtest.WithTimeScale(0.05)}, opts...)
	s := apigwtest.NewServer(echoFunction, opts...)
	t.Cleanup(s.Close)
	return s
}

func runProbeCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = probe(context.Background(), args, &out, &errOut, nil)
	return out.String(), errOut.String(), code
}

func TestProbeGolden(t *testing.T) {
	t.Parallel()
	timeout := apigwtest.Fault{Outage: apigwtest.OutageTimeout}
	tests := []struct {
		name string
		opts []apigwtest.Option
		args []string // the server URL + "/orders" is appended
		code int
	}{
		{"get_504_then_200", []apigwtest.Option{firstAttemptFault(timeout)}, []string{"-xray"}, 0},
		{"get_504_then_200_json", []apigwtest.Option{firstAttemptFault(timeout)}, []string{"-json", "-xray"}, 0},
		{"get_504_then_200_wide", []apigwtest.Option{firstAttemptFault(timeout)}, []string{"-wide"}, 0},
		{"post_504_not_retried", []apigwtest.Option{alwaysFault(timeout)}, []string{"-d", `{"item":1}`, "-H", "Content-Type: application/json"}, 1},
		{"post_504_idempotency_key", []apigwtest.Option{firstAttemptFault(timeout)}, []string{"-idempotency-key", "-d", `{"item":1}`}, 0},
		{"post_lambda_throttled_retried", []apigwtest.Option{firstAttemptFault(apigwtest.Fault{Outage: apigwtest.OutageThrottle})}, []string{"-X", "POST"}, 0},
		{"gateway_throttle", []apigwtest.Option{apigwtest.WithThrottle(0, 1)}, []string{"-n", "2", "-no-budget"}, 0},
		{"function_error_get", []apigwtest.Option{alwaysFault(apigwtest.Fault{Outage: apigwtest.OutageFunctionError})}, []string{"-attempts", "2"}, 1},
		{"http_api_503_then_200", []apigwtest.Option{apigwtest.WithHTTPAPI(), firstAttemptFault(timeout)}, nil, 0},
		{"concurrent", nil, []string{"-n", "4", "-c", "2"}, 0},
		{"timeout_before_the_gateway_answers", []apigwtest.Option{alwaysFault(timeout)}, []string{"-timeout", "300ms"}, 1},
		{"credentials_redacted", nil, []string{"-H", "Authorization: Bearer s3cret", "-H", "X-Api-Key: s3cret", "-H", "Cookie: session=s3cret", "-H", "X-Team: retries"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newProbeServer(t, tt.opts...)
			url := s.URL + "/orders"
			if tt.name == "credentials_redacted" {
				url = strings.Replace(s.URL, "http://", "http://user:s3cret@", 1) + "/orders?token=s3cret&page=2"
			}
			stdout, stderr, code := runProbeCmd(t, append(tt.args, url)...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			if stderr != "" {
				t.Errorf("stderr: %s", stderr)
			}
			if strings.Contains(stdout, "s3cret") {
				t.Errorf("a credential leaked into the output:\n%s", stdout)
			}
			checkGolden(t, filepath.Join("testdata", "probe", tt.name+".golden"), normalizeProbe(stdout))
		})
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if updatingGolden() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept it)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

var (
	uuidRE     = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	traceRE    = regexp.MustCompile(`1-[0-9a-f]{8}-[0-9a-f]{24}`)
	apigwIDRE  = regexp.MustCompile(`(^|[\s"])([A-Za-z0-9_+/-]{15}=)`)
	portRE     = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	durationRE = regexp.MustCompile(`\b(\d+h)?(\d+m)?\d+(\.\d+)?(ns|µs|ms|s|m|h)\b`)
	jsonNumRE  = regexp.MustCompile(`"(duration_ms|wait_ms|body_bytes)": [0-9.e+-]+`)
	jsonTimeRE = regexp.MustCompile(`"start": "[^"]*"`)
	spacesRE   = regexp.MustCompile(`\S {2,}`)
)

// normalizeProbe replaces what changes from run to run (ids, ports,
// durations) with stable placeholders, numbering ids in order of
// appearance so that "sent" = "received" and shared trace ids still show,
// then re-aligns the tables.
func normalizeProbe(s string) string {
	s = numberMatches(s, uuidRE, "<id-%d>")
	s = numberMatches(s, traceRE, "<trace-%d>")
	seen := map[string]int{}
	s = apigwIDRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := apigwIDRE.FindStringSubmatch(m)
		n, ok := seen[sub[2]]
		if !ok {
			n = len(seen) + 1
			seen[sub[2]] = n
		}
		return sub[1] + "<apigw-" + strconv.Itoa(n) + ">"
	})
	s = portRE.ReplaceAllString(s, "127.0.0.1:PORT")
	s = durationRE.ReplaceAllString(s, "<dur>")
	s = jsonNumRE.ReplaceAllString(s, `"$1": 0`)
	s = jsonTimeRE.ReplaceAllString(s, `"start": "<time>"`)
	if strings.HasPrefix(s, "{") {
		return s
	}
	// Re-align: columns are separated by two or more spaces.
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, line := range strings.SplitAfter(s, "\n") {
		indent := len(line) - len(strings.TrimLeft(line, " "))
		body := spacesRE.ReplaceAllStringFunc(line[indent:], func(m string) string { return m[:1] + "\t" })
		tw.Write([]byte(line[:indent] + body))
	}
	tw.Flush()
	return b.String()
}

func numberMatches(s string, re *regexp.Regexp, format string) string {
	seen := map[string]string{}
	return re.ReplaceAllStringFunc(s, func(m string) string {
		if r, ok := seen[m]; ok {
			return r
		}
		r := strings.Replace(format, "%d", strconv.Itoa(len(seen)+1), 1)
		seen[m] = r
		return r
	})
}

func TestProbeCredentialsAreSent(t *testing.T) {
	t.Parallel()
	s := newProbeServer(t)
	_, _, code := runProbeCmd(t, "-H", "Authorization: Bearer s3cret", "-H", "X-Api-Key: k3y", s.URL+"/orders")
	if code != 0 {
		t.Fatalf("exit code %d", code)
	}
	invs := s.Invocations()
	if len(invs) != 1 {
		t.Fatalf("%d invocations, want 1", len(invs))
	}
	if got := invs[0].Header.Get("Authorization"); got != "Bearer s3cret" {
		t.Errorf("Authorization sent as %q", got)
	}
	if got := invs[0].Header.Get("X-Api-Key"); got != "k3y" {
		t.Errorf("X-Api-Key sent as %q", got)
	}
}

func TestProbeDataFromFile(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bodies, methods, teams []string
	s := apigwtest.NewServer(func(_ context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		mu.Lock()
		bodies = append(bodies, ev.Body)
		methods = append(methods, ev.HTTPMethod)
		teams = append(teams, ev.Headers["X-Team"])
		mu.Unlock()
		return events.APIGatewayProxyResponse{StatusCode: 201}, nil
	})
	defer s.Close()
	file := filepath.Join(t.TempDir(), "order.json")
	if err := os.WriteFile(file, []byte(`{"item":42}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runProbeCmd(t, s.URL+"/orders", "-d@"+file, "-XPUT", "-n", "2", "-HX-Team: a")
	if code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 || bodies[0] != `{"item":42}` || bodies[1] != `{"item":42}` {
		t.Errorf("bodies %q", bodies)
	}
	if methods[0] != "PUT" || teams[0] != "a" {
		t.Errorf("method %s, X-Team %q; want PUT and a (curl's attached -XPUT, -HName: value)", methods[0], teams[0])
	}
}

func TestProbeXRayRootPerRequest(t *testing.T) {
	t.Parallel()
	s := newProbeServer(t, firstAttemptFault(apigwtest.Fault{Outage: apigwtest.OutageTimeout}))
	_, _, code := runProbeCmd(t, "-xray", "-n", "2", s.URL+"/orders")
	if code != 0 {
		t.Fatalf("exit code %d", code)
	}
	s.Wait()
	roots := map[string]map[string]bool{} // invocation id -> roots
	for _, inv := range s.Invocations() {
		tr, ok := xray.Parse(inv.TraceID)
		if !ok {
			t.Fatalf("invocation %s: trace %q", inv.RequestID, inv.TraceID)
		}
		id := inv.Header.Get("Amz-Sdk-Invocation-Id")
		if roots[id] == nil {
			roots[id] = map[string]bool{}
		}
		roots[id][tr.Root] = true
	}
	if len(roots) != 2 {
		t.Fatalf("%d logical requests reached the function, want 2", len(roots))
	}
	all := map[string]bool{}
	for id, rs := range roots {
		if len(rs) != 1 {
			t.Errorf("request %s: %d trace roots across its attempts, want 1", id, len(rs))
		}
		for r := range rs {
			all[r] = true
		}
	}
	if len(all) != 2 {
		t.Errorf("%d distinct roots for 2 requests", len(all))
	}
}

func TestProbeInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := apigwtest.NewServer(func(ctx context.Context, _ events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		cancel() // as if the user pressed Ctrl-C while the first request runs
		<-ctx.Done()
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}, apigwtest.WithCloseGrace(0))
	defer s.Close()
	var out, errOut bytes.Buffer
	code := probe(ctx, []string{"-n", "3", s.URL + "/orders"}, &out, &errOut, nil)
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if got := errOut.String(); got != "retryscope probe: interrupted: 2 of 3 request(s) not sent\n" {
		t.Errorf("stderr %q", got)
	}
	if !strings.Contains(out.String(), "request 1: error: context canceled") || !strings.Contains(out.String(), "stop: canceled") ||
		strings.Contains(out.String(), "request 2") || !strings.Contains(out.String(), "filter requestId in [") {
		t.Errorf("stdout:\n%s", out.String())
	}
}

func TestProbeUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, args := range [][]string{{}, {"-n", "3", "-c", "2"}} {
		stdout, stderr, code := runProbeCmd(t, append(args, "-H", "Authorization: s3cret", "http://u:s3cret@"+addr+"/x?k=s3cret")...)
		if code != 1 {
			t.Errorf("%v: exit code %d, want 1", args, code)
		}
		if stdout != "" {
			t.Errorf("%v: stdout %q, want nothing", args, stdout)
		}
		if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "cannot reach "+addr) ||
			!strings.Contains(stderr, "connection refused") || !strings.Contains(stderr, "nothing was sent") {
			t.Errorf("%v: stderr %q, want one line saying the host cannot be reached", args, stderr)
		}
		if strings.Contains(stderr, "s3cret") {
			t.Errorf("credential in %q", stderr)
		}
	}
}

func TestProbeUnreachableJSON(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	stdout, stderr, code := runProbeCmd(t, "-json", "-attempts", "2", "http://"+addr+"/")
	if code != 1 || !strings.Contains(stdout, `"reach": "not_sent"`) || !strings.Contains(stdout, `"ok": false`) ||
		strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
}

func TestProbeBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{nil, "missing URL"},
		{[]string{"-n", "0", "http://127.0.0.1:1"}, "-n must be at least 1"},
		{[]string{"-c", "-1", "http://127.0.0.1:1"}, "-c must be at least 1"},
		{[]string{"-attempts", "0", "http://127.0.0.1:1"}, "-attempts must be at least 1"},
		{[]string{"-H", "Authorization Bearer s3cret", "http://127.0.0.1:1"}, "no ':' found"},
		{[]string{"-H", "Bad Name: x", "http://127.0.0.1:1"}, "not a valid HTTP token: byte 4 is a space"},
		{[]string{"-X", "GE T", "http://127.0.0.1:1"}, "not a valid method"},
		{[]string{"-bogus", "http://127.0.0.1:1"}, "flag provided but not defined: -bogus"},
		{[]string{"-Authorization:Bearer-s3cret", "http://127.0.0.1:1"}, "unknown flag (not shown"},
		{[]string{"-HAuthorization Bearer s3cret", "http://127.0.0.1:1"}, "-H: want 'Name: value'"},
		{[]string{"-n", "many", "http://127.0.0.1:1"}, `invalid value "many" for flag -n`},
		{[]string{"ftp://example.com/"}, `scheme "ftp"`},
		{[]string{"http://127.0.0.1:1", "http://127.0.0.1:2"}, "one URL expected"},
		{[]string{"-d", "@/nonexistent/file", "http://127.0.0.1:1"}, "-d: reading /nonexistent/file: no such file or directory"},
		{[]string{"-timeout", "-1s", "http://127.0.0.1:1"}, "must not be negative"},
		{[]string{"-attempt-log", "/nonexistent/dir/attempts.log", "http://127.0.0.1:1"}, "-attempt-log: no such file or directory"},
	}
	for _, tt := range tests {
		stdout, stderr, code := runProbeCmd(t, tt.args...)
		if code != 2 {
			t.Errorf("%q: exit code %d, want 2", tt.args, code)
		}
		if stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: stderr %q, want one line with %q", tt.args, stderr, tt.want)
		}
		if strings.Contains(stderr, "s3cret") {
			t.Errorf("%q: credential in %q", tt.args, stderr)
		}
	}
}

func TestProbeHelp(t *testing.T) {
	t.Parallel()
	_, stderr, code := runProbeCmd(t, "-h")
	if code != 0 || !strings.Contains(stderr, "usage: retryscope probe") || !strings.Contains(stderr, "-idempotency-key") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
}

func TestProbeQueriesManyIDs(t *testing.T) {
	t.Parallel()
	ids := make([]string, 250)
	for i := range ids {
		ids[i] = strconv.Itoa(100000 + i)
	}
	qs := insightsQueries(ids)
	if len(qs) != 2+3*3 {
		t.Fatalf("%d queries, want 11", len(qs))
	}
	for _, q := range qs {
		if len(q.Query) > 10000 {
			t.Errorf("query of %d characters: over Logs Insights' limit", len(q.Query))
		}
	}
	if !strings.Contains(qs[2].Title, "part 1 of 3") {
		t.Errorf("title %q", qs[2].Title)
	}
}

func TestProbeQueryIDsAreSafe(t *testing.T) {
	t.Parallel()
	for _, id := range []string{`a"b`, `a\b`, "a b", "", strings.Repeat("a", 200), "x]"} {
		if validQueryID(id) {
			t.Errorf("validQueryID(%q) = true", id)
		}
	}
	for _, id := range []string{"c0ffee00-0000-4000-8000-000000000001", "K2G9wEbUoAMEvag="} {
		if !validQueryID(id) {
			t.Errorf("validQueryID(%q) = false", id)
		}
	}
}

func TestProbeXRayRootFormat(t *testing.T) {
	t.Parallel()
	for range 20 {
		r := newXRayRoot(time.Now())
		if _, ok := xray.Parse("Root=" + r); !ok || !traceRE.MatchString(r) || len(r) != 35 {
			t.Fatalf("root %q is not an X-Ray trace id", r)
		}
	}
}

func FuzzParseHeaderLine(f *testing.F) {
	for _, s := range []string{
		"Authorization: Bearer x", "X-Empty:", "Name:value", "Name :v", "no colon", ":v",
		"A: b\r\nInjected: yes", "A: \tv\t ", "Ä: v", "A: v\x00", "Host: example.com",
		" 0000: 0000", "Bearer abcdef:", "X-Key abc\x01: v",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, value, err := parseHeaderLine(s)
		if err != nil {
			// Only a valid name may be shown; never the value, nor a line
			// that is no header. Told by changing every letter and digit
			// that must not show: the error must read the same.
			var hidden string
			if rawName, raw, ok := strings.Cut(s, ":"); ok && httpsyntax.IsToken(rawName) {
				hidden = rawName + ":" + shiftAlnum(raw)
			} else {
				hidden = shiftAlnum(s)
			}
			if _, _, err2 := parseHeaderLine(hidden); err2 == nil || err2.Error() != err.Error() {
				t.Errorf("the error shows what it must not: %q, and for %q: %v", err, hidden, err2)
			}
			return
		}
		if !httpsyntax.IsToken(name) {
			t.Fatalf("name %q is not a token", name)
		}
		if strings.ContainsAny(value, "\r\n\x00") || value != strings.Trim(value, " \t") {
			t.Fatalf("value %q", value)
		}
		h := http.Header{}
		h.Add(name, value)
		if h.Get(name) != value {
			t.Fatalf("header %q: %q did not survive http.Header", name, value)
		}
		n2, v2, err := parseHeaderLine(name + ": " + value)
		if err != nil || n2 != name || v2 != value {
			t.Fatalf("round trip of %q: %q %q %v", s, n2, v2, err)
		}
	})
}

// shiftAlnum replaces every ASCII letter and digit of s with the next one
// of its kind (z by a, 9 by 0), leaving every other byte as it is: a
// different secret of the same shape.
func shiftAlnum(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = 'a' + (c-'a'+1)%26
		case c >= 'A' && c <= 'Z':
			b[i] = 'A' + (c-'A'+1)%26
		case c >= '0' && c <= '9':
			b[i] = '0' + (c-'0'+1)%10
		}
	}
	return string(b)
}

func FuzzParseProbeURL(f *testing.F) {
	for _, s := range []string{
		"http://127.0.0.1:8080/prod/orders", "https://u:s3cret@example.com/x?token=s3cret", "example.com/x",
		"ftp://example.com", "http://", "http://[::1", "://x", "http://h/%zz", "HTTP://EXAMPLE.COM", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := parseProbeURL(raw)
		if err == nil && ((u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			t.Fatalf("%q accepted as %v", raw, u)
		}
		// Userinfo and query values never show in an error.
		if strings.Contains(raw, "PWSECRET") || strings.Contains(raw, "QSECRET") {
			return
		}
		for _, withSecrets := range []string{"http://u:PWSECRET@" + raw + "?k=QSECRET", raw + "?k=QSECRET"} {
			if _, err := parseProbeURL(withSecrets); err != nil &&
				(strings.Contains(err.Error(), "PWSECRET") || strings.Contains(err.Error(), "QSECRET")) {
				t.Fatalf("parseProbeURL(%q): error %q shows a credential", withSecrets, err)
			}
		}
	})
}

// FuzzProbeArgs checks that no command line makes probe's flag parsing
// panic, print more than one line, or show a -H value.
func FuzzProbeArgs(f *testing.F) {
	for _, s := range []string{
		"-n\x003\x00http://127.0.0.1:1", "-H\x00Authorization s3cret\x00http://x", "--\x00-n", "-X\x00\x00u",
		"-H\x00X: s3cret\x00-H\x00bad name s3cret: v\x00u", "-json\x00-xray\x00-c\x000\x00u", "-h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		if strings.Contains(joined, "@") {
			return // -d @FILE would read files
		}
		var stderr bytes.Buffer
		args := strings.Split(joined, "\x00")
		cfg, code := parseProbeFlags(args, &stderr)
		switch {
		case code == -1 && cfg == nil, code != -1 && code != 0 && code != 2:
			t.Fatalf("code %d, cfg %v", code, cfg)
		case code == 2 && strings.Count(stderr.String(), "\n") != 1:
			t.Fatalf("stderr %q is not one line", stderr.String())
		}
		// No -H value holding the marker shows.
		split := splitAttached(args, "HXd")
		for i := 1; i < len(split); i++ {
			if split[i-1] != "-H" && split[i-1] != "--H" {
				continue
			}
			if _, v, ok := strings.Cut(split[i], ":"); ok && strings.Contains(v, "s3cret") &&
				strings.Contains(stderr.String(), strings.Trim(v, " \t")) {
				t.Fatalf("stderr %q shows the header value %q", stderr.String(), v)
			}
		}
	})
}

package apigwtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
)

// capture is a documented answer from testdata/captures (see its README).
type capture struct {
	statusLine string
	header     [][2]string // name exactly as written, value pattern
	body       []byte
}

func parseCapture(b []byte) (capture, error) {
	var c capture
	b = bytes.TrimSuffix(b, []byte("\n"))
	head, body, found := bytes.Cut(b, []byte("\n\n"))
	if !found {
		return c, errors.New("no empty line before the body")
	}
	c.body = body
	for line := range strings.SplitSeq(string(head), "\n") {
		switch {
		case strings.HasPrefix(line, "#"):
		case c.statusLine == "":
			c.statusLine = line
		default:
			name, value, ok := strings.Cut(line, ": ")
			if !ok {
				return c, fmt.Errorf("header line %q", line)
			}
			c.header = append(c.header, [2]string{name, value})
		}
	}
	return c, nil
}

var capturePlaceholders = strings.NewReplacer(
	regexp.QuoteMeta("<http-date>"), `(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT`,
	regexp.QuoteMeta("<uuid>"), `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`,
	regexp.QuoteMeta("<apigw-id>"), `[A-Za-z0-9_-]{15}=`,
	regexp.QuoteMeta("<root>"), `1-[0-9a-f]{8}-[0-9a-f]{24}`,
	regexp.QuoteMeta("<n>"), `[0-9]+`,
)

func valuePattern(v string) *regexp.Regexp {
	return regexp.MustCompile("^" + capturePlaceholders.Replace(regexp.QuoteMeta(v)) + "$")
}

// rawExchange sends a GET over a new TCP connection and returns the bytes of
// the answer exactly as they arrived: the head up to the empty line, then
// Content-Length bytes of body.
func rawExchange(t *testing.T, rawURL string) (head []string, body []byte) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n", u.RequestURI(), u.Host); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	length := -1
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the head: %v (so far %q)", err, head)
		}
		if !strings.HasSuffix(line, "\r\n") {
			t.Fatalf("line %q does not end in CRLF", line)
		}
		line = strings.TrimSuffix(line, "\r\n")
		if line == "" {
			break
		}
		head = append(head, line)
		if name, v, ok := strings.Cut(line, ": "); ok && strings.EqualFold(name, "Content-Length") {
			length, _ = strconv.Atoi(v)
		}
	}
	if length < 0 {
		t.Fatalf("no Content-Length in %q", head)
	}
	body = make([]byte, length)
	if _, err := io.ReadFull(r, body); err != nil {
		t.Fatalf("reading %d body bytes: %v", length, err)
	}
	return head, body
}

// compareCapture checks a raw answer against a capture: the status line
// exactly, the header names byte for byte and as a set, each value against
// its pattern, and the body exactly.
func compareCapture(t *testing.T, want capture, head []string, body []byte) {
	t.Helper()
	if len(head) == 0 || head[0] != want.statusLine {
		t.Errorf("status line %q, want %q", head, want.statusLine)
		return
	}
	got := map[string][]string{}
	for _, line := range head[1:] {
		name, value, ok := strings.Cut(line, ": ")
		if !ok {
			t.Errorf("header line %q", line)
			continue
		}
		got[name] = append(got[name], value)
	}
	wantNames := make([]string, 0, len(want.header))
	for _, h := range want.header {
		wantNames = append(wantNames, h[0])
		vs := got[h[0]]
		if len(vs) != 1 {
			t.Errorf("header %q: %d lines %q, want one matching %q", h[0], len(vs), vs, h[1])
			continue
		}
		if !valuePattern(h[1]).MatchString(vs[0]) {
			t.Errorf("header %s: %q does not match %q", h[0], vs[0], h[1])
		}
	}
	gotNames := make([]string, 0, len(got))
	for name := range got {
		gotNames = append(gotNames, name)
	}
	slices.Sort(gotNames)
	slices.Sort(wantNames)
	if !slices.Equal(gotNames, wantNames) {
		t.Errorf("header names\n got %q\nwant %q", gotNames, wantNames)
	}
	if !bytes.Equal(body, want.body) {
		t.Errorf("body %q, want %q", body, want.body)
	}
}

// TestWireGolden compares the emulator's raw answers with the documented
// captures in testdata/captures, one scenario per file.
func TestWireGolden(t *testing.T) {
	t.Parallel()
	okJSON := func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"ok":true}`}, nil
	}
	slow := func(ctx context.Context, _ events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		_ = Sleep(ctx, 35*time.Second)
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}
	failing := func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{}, errors.New("card declined")
	}
	malformed := func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{}, nil // statusCode 0
	}
	scenarios := map[string]struct {
		fn   Handler
		opts []Option
		path string // under the server's URL; "!" + path: outside the stage
		// before sends requests first (the quota's first request)
		before int
	}{
		"rest-504-integration-timeout": {fn: slow, opts: []Option{WithTimeScale(0.005)}, path: "/orders"},
		"rest-502-function-error":      {fn: failing, path: "/orders"},
		"rest-502-malformed":           {fn: malformed, path: "/orders"},
		"rest-500-lambda-throttled":    {fn: okJSON, opts: []Option{WithFault(Fault{Outage: OutageThrottle})}, path: "/orders"},
		"rest-500-invalid-permissions": {fn: okJSON, opts: []Option{WithFault(Fault{Outage: OutageConfiguration})}, path: "/orders"},
		"rest-429-throttled":           {fn: okJSON, opts: []Option{WithThrottle(0, 0)}, path: "/orders"},
		"rest-429-quota":               {fn: okJSON, opts: []Option{WithQuota(1)}, path: "/orders", before: 1},
		"rest-403-missing-token":       {fn: okJSON, path: "!/elsewhere"},
		"rest-200-function":            {fn: okJSON, path: "/orders"},
		"httpapi-503-timeout":          {fn: slow, opts: []Option{WithHTTPAPI(), WithTimeScale(0.005)}, path: "/orders"},
		"httpapi-200-function":         {fn: okJSON, opts: []Option{WithHTTPAPI()}, path: "/orders"},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "captures", "*.http"))
	if err != nil || len(files) != len(scenarios) {
		t.Fatalf("%d capture files (%v), %d scenarios", len(files), err, len(scenarios))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".http")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sc, ok := scenarios[name]
			if !ok {
				t.Fatalf("no scenario for %s", file)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want, err := parseCapture(b)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			s := NewServer(sc.fn, append([]Option{fastScale}, sc.opts...)...)
			defer s.Close()
			target := s.URL + sc.path
			if p, outside := strings.CutPrefix(sc.path, "!"); outside {
				u, _ := url.Parse(s.URL)
				target = "http://" + u.Host + p
			}
			for range sc.before {
				rawExchange(t, target)
			}
			head, body := rawExchange(t, target)
			compareCapture(t, want, head, body)
			s.Wait()
		})
	}
}

// TestExtendedIDsAreURLSafe draws many x-amz-apigw-id values: none may use
// the standard alphabet's "/" or "+", as no id in a published capture does.
func TestExtendedIDsAreURLSafe(t *testing.T) {
	t.Parallel()
	sawURLSafe := false
	for range 500 {
		id := newExtendedID()
		if strings.ContainsAny(id, "/+") || len(id) != 16 || !strings.HasSuffix(id, "=") {
			t.Fatalf("x-amz-apigw-id %q", id)
		}
		sawURLSafe = sawURLSafe || strings.ContainsAny(id, "-_")
	}
	if !sawURLSafe {
		t.Error("500 ids without a single - or _: not base64 of random bytes")
	}
}

// TestRandomIDs: request ids are version 4 UUIDs, trace roots and segment
// ids hex of the right length, and none repeats.
func TestRandomIDs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	hexOnly := func(s string) bool { return strings.Trim(s, "0123456789abcdef") == "" }
	now := time.Unix(0x5f5e1000, 0)
	for range 1000 {
		id := newUUID()
		u, err := uuid.Parse(id)
		if err != nil || !isUUID(id) || u.Version() != 4 || u.Variant() != uuid.RFC4122 || id != strings.ToLower(id) {
			t.Fatalf("request id %q: %v, version %v, variant %v", id, err, u.Version(), u.Variant())
		}
		root, seg := newRoot(now), newSegmentID()
		if len(root) != 35 || !strings.HasPrefix(root, "1-5f5e1000-") || !hexOnly(root[11:]) {
			t.Fatalf("trace root %q", root)
		}
		if len(seg) != 16 || !hexOnly(seg) {
			t.Fatalf("segment id %q", seg)
		}
		for _, v := range []string{id, root, seg} {
			if seen[v] {
				t.Fatalf("%q drawn twice", v)
			}
			seen[v] = true
		}
	}
}

// TestFunctionHeadersCannotDuplicateIDs: a function that sets its own
// X-Amzn-Requestid (canonical spelling) must not make the answer carry the
// id twice under two spellings.
func TestFunctionHeadersCannotDuplicateIDs(t *testing.T) {
	t.Parallel()
	s := NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{
			"X-Amzn-Requestid": "mine", "x-amzn-trace-id": "Root=mine",
		}, Body: "ok"}, nil
	}, fastScale)
	defer s.Close()
	head, _ := rawExchange(t, s.URL+"/x")
	var ids, traces int
	for _, line := range head[1:] {
		name, _, _ := strings.Cut(line, ": ")
		switch {
		case strings.EqualFold(name, "x-amzn-RequestId"):
			ids++
			if name != "x-amzn-RequestId" {
				t.Errorf("request id header spelled %q", name)
			}
		case strings.EqualFold(name, "X-Amzn-Trace-Id"):
			traces++
		}
	}
	if ids != 1 || traces != 1 {
		t.Errorf("%d request id and %d trace header lines in %q, want 1 and 1", ids, traces, head)
	}
}

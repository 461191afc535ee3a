package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/retryscope/retryscope/transport"
)

// terminalUnsafe reports the first rune of s a terminal may act on: C0
// (but newline) and C1 controls, DEL, bidi overrides, invalid UTF-8.
func terminalUnsafe(s string) (int, bool) {
	for i, r := range s {
		switch {
		case r == '\n':
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i, true
			}
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return i, true
		}
	}
	return 0, false
}

// A server's request ids reach the terminal as they are: a C1 CSI
// (U+009B), a bidi override, invalid UTF-8 (0xff is text/tabwriter's
// escape byte, which unaligns -wide's columns).
func TestBugProbeIDsTerminalInjection(t *testing.T) {
	t.Parallel()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-Requestid", "id\u009b2J\u202eevil\xff\tx")
		w.Header().Set("X-Amz-Apigw-Id", "gw\u009b31m\u2066")
		w.Header().Set("Apigw-Requestid", "h\u009b2J")
		w.WriteHeader(200)
	}))
	defer s.Close()
	for _, mode := range [][]string{nil, {"-wide"}, {"-json"}} {
		args := append(append([]string{"-attempts", "1"}, mode...), s.URL+"/x")
		stdout, stderr, _ := runProbeCmd(t, args...)
		if i, bad := terminalUnsafe(stdout + stderr); bad {
			t.Errorf("%v: terminal-unsafe output at %d: %q", mode, i, (stdout + stderr)[max(0, i-40):min(len(stdout+stderr), i+20)])
		}
		if len(mode) == 1 && mode[0] == "-json" {
			// Escaped, not lost: the document still holds the id the server sent.
			var doc struct {
				Requests []struct {
					Attempts []struct {
						RequestID string `json:"request_id"`
					} `json:"attempts"`
				} `json:"requests"`
			}
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatalf("-json: %v\n%s", err, stdout)
			}
			if len(doc.Requests) != 1 || len(doc.Requests[0].Attempts) != 1 ||
				!strings.HasPrefix(doc.Requests[0].Attempts[0].RequestID, "id\u009b2J\u202eevil") {
				t.Errorf("-json request ids: %+v\n%s", doc, stdout)
			}
		}
	}
}

// A TLS server's certificate names go into probe's error text as they are
// (crypto/x509 lets any ASCII into a dNSName): an OSC sequence retitles
// the terminal, CSI clears it.
func TestBugProbeTLSNameTerminalInjection(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "x"},
		DNSNames:     []string{"evil\x1b]0;PWNED\x07", "x\x1b[2J"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	s.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	defer s.Close()
	u, _ := url.Parse(s.URL)
	target := "https://localhost:" + u.Port() + "/x"
	for _, mode := range [][]string{nil, {"-wide"}, {"-json"}} {
		args := append(append([]string{"-attempts", "1"}, mode...), target)
		stdout, stderr, _ := runProbeCmd(t, args...)
		out := stdout + stderr
		if !strings.Contains(out, "certificate") {
			t.Fatalf("%v: no certificate error:\n%s", mode, out)
		}
		if i, bad := terminalUnsafe(out); bad {
			t.Errorf("%v: terminal-unsafe output at %d: %q", mode, i, out[max(0, i-40):min(len(out), i+20)])
		}
	}
}

// A server answering request ids of a megabyte makes probe hold and print
// megabytes per attempt: -json's document grows with them (probe -json
// -n 200 -attempts 4 against three 1 MB ids reached 21 GB of memory), and
// the default table no longer fits 120 columns.
func TestBugProbeHugeIDs(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("A", 1<<20)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-Requestid", big)
		w.Header().Set("X-Amz-Apigw-Id", big)
		w.Header().Set("Apigw-Requestid", big)
		w.WriteHeader(200)
	}))
	defer s.Close()
	stdout, _, _ := runProbeCmd(t, "-json", "-attempts", "1", s.URL+"/x")
	if len(stdout) > 64<<10 {
		t.Errorf("-json: %d bytes for one attempt", len(stdout))
	}
	stdout, _, _ = runProbeCmd(t, "-attempts", "1", s.URL+"/x")
	for _, line := range strings.Split(stdout, "\n") {
		if n := utf8.RuneCountInString(line); n > tableWidth {
			t.Errorf("%d columns: %.100q...", n, line)
		}
	}
}

// The results -json and -html keep hold, through the ids the transport
// writes into each attempt's request allocation, the request's context and
// the Recorder in it, with every attempt's record as it came: a server's
// megabyte ids stay in memory for every attempt of every request, bounded
// or not in the results. Not parallel: it measures the heap.
func TestBugProbeResultsRetainAnswers(t *testing.T) {
	big := strings.Repeat("A", 1<<20)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-Requestid", big+r.Header.Get("X-Amzn-Requestid")) // a new string each time
		w.WriteHeader(200)
	}))
	defer s.Close()
	var errOut strings.Builder
	cfg, code := parseProbeFlags([]string{"-json", "-attempts", "1", s.URL + "/x"}, &errOut)
	if code >= 0 {
		t.Fatalf("flags: %d %s", code, errOut.String())
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	defer base.CloseIdleConnections()
	rt := transport.New(base, cfg.transportOptions()...)
	const n = 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	results := make([]probeResult, n)
	for i := range results {
		results[i] = cfg.send(context.Background(), rt, i)
	}
	base.CloseIdleConnections()
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if grown > 8<<20 {
		t.Errorf("%d results hold %d MB", n, grown>>20)
	}
	runtime.KeepAlive(results)
}

// A body that never ends was read to probe's 10 MiB limit and the request
// shown as a plain "200 OK" with body_bytes 10485760, as if that were the
// whole body. Probe now says it stopped reading.
func TestHostileProbeEndlessBody(t *testing.T) {
	t.Parallel()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("z", 64<<10))
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer s.Close()
	stdout, stderr, _ := runProbeCmd(t, "-attempts", "1", s.URL+"/x")
	if !strings.Contains(stdout, "request 1: 200 OK, body longer than 10 MiB: read no further") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	stdout, stderr, _ = runProbeCmd(t, "-json", "-attempts", "1", s.URL+"/x")
	var doc struct {
		Requests []struct {
			BodyBytes     int64 `json:"body_bytes"`
			BodyTruncated bool  `json:"body_truncated"`
		} `json:"requests"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || len(doc.Requests) != 1 ||
		!doc.Requests[0].BodyTruncated || doc.Requests[0].BodyBytes != probeBodyLimit {
		t.Errorf("%+v %v\n%s\n%s", doc, err, stdout, stderr)
	}
	// A body of exactly the limit is whole.
	s2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, probeBodyLimit))
	}))
	defer s2.Close()
	stdout, _, _ = runProbeCmd(t, "-json", "-attempts", "1", s2.URL+"/x")
	if strings.Contains(stdout, "body_truncated") || !strings.Contains(stdout, `"body_bytes": 10485760`) {
		t.Errorf("a body of exactly the limit:\n%s", stdout)
	}
}

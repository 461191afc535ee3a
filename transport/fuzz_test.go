package transport

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/retryscope/retryscope/internal/xray"
)

// FuzzTraceRoot: any X-Amzn-Trace-Id value, however malformed, gives a
// valid Root found in the value, or "", and never panics.
func FuzzTraceRoot(f *testing.F) {
	for _, s := range []string{
		"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
		"Root=1-5759e988-bd862e3fe1be46a994272793",
		"Parent=abc;Root=x", ";;;", "Root", "Root=", "=;=", " Root = x ", "root=x", "Root=a=b;Root=c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		var c config
		for _, name := range []string{"X-Amzn-Trace-Id", "x-amzn-trace-id"} {
			root := c.readHeader(http.Header{name: {v}, "Accept": {"*/*"}}).traceRoot
			if root != "" && (!xray.ValidRoot(root) || !strings.Contains(v, root)) {
				t.Errorf("the Root of %s: %q is %q", name, v, root)
			}
		}
	})
}

// FuzzPeek: whatever the body and the peek size, the caller reads back
// exactly the bytes the server sent, and the prefix is where they start.
func FuzzPeek(f *testing.F) {
	f.Add([]byte(`{"message": "Endpoint request timed out"}`), 512, int64(-1))
	f.Add([]byte(""), 512, int64(0))
	f.Add(bytes.Repeat([]byte("x"), 2000), 7, int64(2000))
	f.Add([]byte("short"), 1, int64(5))
	f.Fuzz(func(t *testing.T, body []byte, n int, cl int64) {
		if n > 1<<16 {
			n = 1 << 16
		}
		if cl >= 0 {
			cl = int64(len(body)) // a server never lies about a length it sends whole
		} else {
			cl = -1
		}
		resp := &http.Response{Body: io.NopCloser(&oneByteReader{bytes.NewReader(body)}), ContentLength: cl}
		prefix := peek(resp, n)
		if !bytes.HasPrefix(body, prefix) {
			t.Fatalf("prefix %q is not the start of %q", prefix, body)
		}
		got, err := io.ReadAll(resp.Body)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("read back %q, %v; want %q", got, err, body)
		}
	})
}

// oneByteReader returns at most one byte per Read, as a slow network does.
type oneByteReader struct{ r io.Reader }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

package diagnose

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestBugReportQuotesCredentials pins a leak: the report quoted log lines
// (deciding lines, malformed and unrecognised lines) verbatim, so an
// execution log with request logging, or a damaged line, printed
// Authorization, Cookie and X-Api-Key values, URL userinfo and query values.
func TestBugReportQuotesCredentials(t *testing.T) {
	t.Parallel()
	const id = "aaaaaaaa-1111-4222-8333-444444444444"
	exec := strings.Join([]string{
		"(" + id + ") Method request headers: {Authorization=Bearer SEC01X, Cookie=sid=SEC02X; other=SEC03X, x-api-key=SEC04X, X-Amz-Security-Token=SEC05X}",
		"(" + id + ") Method request query string: {token=SEC06X, page=SEC07X}",
		"(" + id + ") Endpoint request URI: https://alice:SEC08X@example.com/p?sig=SEC09X&x=SEC10X#SEC11X",
		"(" + id + ") Execution failed due to a timeout error Authorization: Bearer SEC12X",
		"(" + id + ") Method completed with status: 504",
		`{"Authorization": "Bearer SEC13X", "cookie":"SEC14X"`,
		`{"msg":"x","Proxy-Authorization":"Basic SEC15X"`,
	}, "\n") + "\n"
	e := NewEvidence(Options{})
	if _, err := e.ReadFile("execution.log", strings.NewReader(exec)); err != nil {
		t.Fatal(err)
	}
	_, unknownErr := NewEvidence(Options{}).ReadFile("unknown.log", strings.NewReader("Cookie: SEC16X\n"))
	if unknownErr == nil {
		t.Fatal("unknown format not reported")
	}
	rep := e.Report()
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	out := text.String() + string(js) + unknownErr.Error()
	for i := 1; i <= 16; i++ {
		if secret := fmt.Sprintf("SEC%02dX", i); strings.Contains(out, secret) {
			t.Errorf("secret %s printed", secret)
		}
	}
	if t.Failed() || !strings.Contains(out, "REDACTED") {
		t.Errorf("report:\n%s", out)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestBugCSVMultilineRecordUnbounded pins unbounded memory on a Logs
// Insights CSV export: only each line was bounded, and a quoted @message
// of many short lines made csv.Reader buffer the whole record (a 200 MB
// record took 2 GB). Reading must stop near the bound and say so.
func TestBugCSVMultilineRecordUnbounded(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	b.WriteString("@timestamp,@message\n")
	b.WriteString("2026-11-26 01:00:00.000,START RequestId: l1 Version: $LATEST\n")
	b.WriteString("2026-11-26 01:00:01.000,\"REPORT RequestId: l2\n")
	for b.Len() < 10<<20 {
		b.WriteString("a short line of a multi-line message\n")
	}
	b.WriteString("\"\n")
	cr := &countingReader{r: &b}
	e := NewEvidence(Options{MaxLineBytes: 4096})
	sum, err := e.ReadFile("export.csv", cr)
	if err != nil {
		t.Fatal(err)
	}
	if cr.n > 1<<20 {
		t.Errorf("read %d bytes of one record, bound 4096", cr.n)
	}
	if sum.Format != FormatInsightsCSV || sum.Records != 1 || sum.Malformed != 1 {
		t.Errorf("summary %+v", sum)
	}
	rep := e.Report()
	if len(rep.Malformed) != 1 || rep.Malformed[0].Line != 3 || !strings.Contains(rep.Malformed[0].Problem, "longer than 4096 bytes") {
		t.Errorf("malformed %+v", rep.Malformed)
	}
}

// TestBugCSVMultilineRecordWithinBound checks that a multi-line message
// within the bound is still read whole.
func TestBugCSVMultilineRecordWithinBound(t *testing.T) {
	t.Parallel()
	in := "@timestamp,@message\n" +
		"2026-11-26 01:00:01.000,\"START RequestId: l2 Version: $LATEST\nsecond line\"\n" +
		strings.Repeat("2026-11-26 01:00:02.000,\"some output\nmore\"\n", 5000)
	e := NewEvidence(Options{MaxLineBytes: 4096})
	sum, err := e.ReadFile("export.csv", strings.NewReader(in))
	if err != nil || sum.Malformed != 0 || sum.Lines != 5001 {
		t.Errorf("summary %+v, err %v", sum, err)
	}
}

package diagnose

import (
	"bytes"
	"encoding/json"
	"fmt"
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

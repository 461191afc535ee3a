package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/retryscope/retryscope/apigwtest"
)

// The example's story, checked: a 504 after the scaled 29 s, no order when
// the client gave up, the order written afterwards under the client's
// request id, and the access log saying the integration never answered.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Lambda binary (about 4 s)")
	}
	var out bytes.Buffer
	if err := run(&out, ""); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	text := out.String()
	m := regexp.MustCompile(`client: 504 \{"message": "Endpoint request timed out"\} after \S+ \(x-amzn-RequestId ([0-9a-f-]{36})\)\n`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no 504 in:\n%s", text)
	}
	id := m[1]
	for _, want := range []string{
		"orders when the client gave up: \"\"\n",
		"orders after the function finished: \"order " + id + "\\n\"\n",
		"ground truth: request " + id + ", Lambda ",
		"cold start true, finished true, ran after the 504 true\n",
		"  lambda | order " + id + " written\n",
		"  lambda | START RequestId: ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	_, accessLine, found := strings.Cut(text, "access log: ")
	var entry apigwtest.AccessLogEntry
	if !found || json.Unmarshal([]byte(accessLine), &entry) != nil {
		t.Fatalf("no access log line in:\n%s", text)
	}
	if entry.Status != "504" || entry.RequestID != id || entry.IntegrationRequestID != "-" || entry.ErrorResponseType != "INTEGRATION_TIMEOUT" {
		t.Errorf("access log %+v", entry)
	}
}

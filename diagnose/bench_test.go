package diagnose

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkReadFileAccessLog measures streaming an access log; bytes/op
// shows the throughput and allocs stay per line, not per file.
func BenchmarkReadFileAccessLog(b *testing.B) {
	var buf bytes.Buffer
	for i := range 10_000 {
		fmt.Fprintf(&buf, `{"requestId":"%08d-1111-4111-8111-111111111111","status":"200","integration_requestId":"l%d","integration_integrationStatus":"200","integration_latency":"12","requestTimeEpoch":"1795654800010","responseLatency":"20"}`+"\n", i, i)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		e := NewEvidence(Options{})
		if _, err := e.ReadFile("access.jsonl", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		_ = e.Report()
	}
}

// BenchmarkReadFileIgnoredLines streams function output that is kept
// nowhere: memory must not grow with the file.
func BenchmarkReadFileIgnoredLines(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("START RequestId: l1 Version: $LATEST\n")
	for range 100_000 {
		buf.WriteString("2026-11-26T01:00:00.000Z\tl1\tINFO\tprocessing item 42 of the batch\n")
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		e := NewEvidence(Options{})
		if _, err := e.ReadFile("lambda.log", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScrub hides the credentials in execution-log lines of the
// kinds a report quotes: header maps, event bodies, plain lines.
func BenchmarkScrub(b *testing.B) {
	const id = "(aaaaaaaa-1111-4222-8333-444444444444) "
	lines := [][]byte{
		[]byte(id + `Method request headers: {Authorization=Bearer abc, X-Auth-Token=x, Accept=*/*, Host=example.com, User-Agent=curl/8}`),
		[]byte(id + `Endpoint request body after transformations: {"resource":"/p","routeKey":"POST /p","headers":{"Authorization":"Bearer x","Accept":"*/*"},"body":"{}"}`),
		[]byte(id + `Starting authorizer: 123 for request: bbbbbbbb-1111-4222-8333-444444444444`),
		[]byte(id + `Method completed with status: 504`),
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			scrub(l)
		}
	}
}

// BenchmarkScrubQueryMaps hides the query values in the query maps of an
// event body and an execution log, some of them holding a '}' or a '"'.
func BenchmarkScrubQueryMaps(b *testing.B) {
	const id = "(aaaaaaaa-1111-4222-8333-444444444444) "
	lines := [][]byte{
		[]byte(id + `Endpoint request body after transformations: {"resource":"/p","queryStringParameters":{"q":"a}b","sig":"x","page":"2"},"multiValueQueryStringParameters":{"q":["a}b"],"sig":["x"],"page":["2"]},"headers":{"Accept":"*/*"},"body":null}`),
		[]byte(`{"msg":"event","event":"{\"queryStringParameters\":{\"q\":\"a\\\"}b\",\"sig\":\"x\"},\"path\":\"/p\"}"}`),
		[]byte(id + `Method request query string: {q=a}b, sig=x, page=2}`),
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			scrub(l)
		}
	}
}

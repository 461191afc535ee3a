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

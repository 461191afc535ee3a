package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestJaegerTrace runs the example against a real Jaeger (scripts/jaeger.sh
// start) and reads the trace back through Jaeger's query API: the logical
// span, one span per attempt, and on each attempt the request id API
// Gateway (the emulator) logged.
func TestJaegerTrace(t *testing.T) {
	if c, err := net.DialTimeout("tcp", "127.0.0.1:4318", time.Second); err != nil {
		if os.Getenv("RETRYSCOPE_REQUIRE_JAEGER") == "1" {
			t.Fatalf("Jaeger is required (RETRYSCOPE_REQUIRE_JAEGER=1) but 127.0.0.1:4318 does not answer: %v", err)
		}
		t.Skip("Jaeger is not running on 127.0.0.1:4318; start it with scripts/jaeger.sh start (and run go test with -count=1)")
	} else {
		c.Close()
	}
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "Connection=close")
	t.Setenv("OTEL_METRICS_EXPORTER", "none")

	var out strings.Builder
	service := fmt.Sprintf("retryscope-example-test-%d", time.Now().UnixNano())
	traceID, ids, err := run(context.Background(), &out, service)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 {
		t.Fatalf("want 2 attempts (504, then 200), got %d:\n%s", len(ids), out.String())
	}

	spans := waitForTrace(t, traceID.String(), 4)
	byName := map[string]int{}
	attemptIDs := map[string]bool{}
	for _, s := range spans {
		byName[s.OperationName]++
		for _, tag := range s.Tags {
			if tag.Key == "aws.request_id" {
				attemptIDs[fmt.Sprint(tag.Value)] = true
			}
		}
	}
	if byName["retryscope GET"] != 1 || byName["GET"] != 2 {
		t.Errorf("want 1 logical span and 2 attempt spans, got %v", byName)
	}
	for _, id := range ids {
		if !attemptIDs[id] {
			t.Errorf("no attempt span carries the request id %s the gateway logged (have %v)", id, attemptIDs)
		}
	}
}

type jaegerSpan struct {
	OperationName string `json:"operationName"`
	Tags          []struct {
		Key   string `json:"key"`
		Value any    `json:"value"`
	} `json:"tags"`
}

// waitForTrace polls Jaeger's query API until the trace has at least n spans.
func waitForTrace(t *testing.T, traceID string, n int) []jaegerSpan {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		var body struct {
			Data []struct {
				Spans []jaegerSpan `json:"spans"`
			} `json:"data"`
		}
		resp, err := client.Get("http://127.0.0.1:16686/api/traces/" + traceID)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if err == nil && len(body.Data) == 1 && len(body.Data[0].Spans) >= n {
				return body.Data[0].Spans
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("trace %s did not appear in Jaeger with %d spans (last error: %v)", traceID, n, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

package lambdalog

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// TestBugPanicWritesNoRecord pins a handler that panics: it ran (Lambda
// logs a function error and the client gets 502), but the middleware wrote
// no line, so searching the function's log for the request found nothing.
// The line must be written and the panic must go on.
func TestBugPanicWritesNoRecord(t *testing.T) {
	t.Parallel()
	for _, httpAPI := range []bool{false, true} {
		var out bytes.Buffer
		ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "l-1"})
		recovered := func() (v any) {
			defer func() { v = recover() }()
			if httpAPI {
				h := WrapHTTPAPI(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
					panic("boom")
				}, WithWriter(&out), WithClock(fixedClock()))
				ev := events.APIGatewayV2HTTPRequest{RouteKey: "GET /x"}
				ev.RequestContext.RequestID = "r-1"
				_, _ = h(ctx, ev)
			} else {
				h := Wrap(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
					panic("boom")
				}, WithWriter(&out), WithClock(fixedClock()))
				_, _ = h(ctx, proxyEvent())
			}
			return nil
		}()
		if recovered != "boom" {
			t.Errorf("http api %v: panic value %v, want boom", httpAPI, recovered)
		}
		var rec Record
		if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
			t.Fatalf("http api %v: no line (%v): %q", httpAPI, err, out.String())
		}
		if rec.LambdaRequestID != "l-1" || rec.Error != "panic: boom" || rec.Status != 0 || rec.DurationMS <= 0 {
			t.Errorf("http api %v: record %+v", httpAPI, rec)
		}
	}
}

// TestBugClientHeadersUnbounded pins the ids the middleware copies from the
// client's headers (amz-sdk-invocation-id, the X-Ray Root): written whole,
// so a client could put kilobytes into every line of the function's log.
func TestBugClientHeadersUnbounded(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	ev := proxyEvent()
	ev.Headers["amz-sdk-invocation-id"] = strings.Repeat("i", 9000)
	ev.Headers["X-Amzn-Trace-Id"] = "Root=" + strings.Repeat("t", 9000)
	h := Wrap(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}, WithWriter(&out), WithClock(fixedClock()))
	if _, err := h(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	var rec Record
	if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.InvocationID) > 128 || len(rec.TraceID) > 128 || out.Len() > 1024 {
		t.Errorf("invocation id %d bytes, trace id %d bytes, line %d bytes", len(rec.InvocationID), len(rec.TraceID), out.Len())
	}
}

// Jaeger: a request meets an API Gateway 504, is retried and succeeds; the
// trace, one span for the logical request and one per attempt with the
// request id API Gateway logged, goes to a local Jaeger over OTLP/HTTP.
//
//	scripts/jaeger.sh start          # builds (once) and starts Jaeger on 127.0.0.1
//	go run ./examples/jaeger
//
// The exporter follows the standard OTEL_* variables; without them it sends
// to http://127.0.0.1:4318.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.opentelemetry.io/otel/trace"

	"github.com/retryscope/retryscope/apigwtest"
	"github.com/retryscope/retryscope/otelx"
	"github.com/retryscope/retryscope/transport"
)

// jaegerUI is where the trace can be seen.
const jaegerUI = "http://127.0.0.1:16686"

func main() {
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" {
		os.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
		os.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	}
	if _, _, err := run(context.Background(), os.Stdout, "retryscope-example"); err != nil {
		fmt.Fprintln(os.Stderr, "jaeger example:", err)
		os.Exit(1)
	}
}

// run sends one GET through a traced transport to an emulated API whose
// first invocation outlives the integration timeout. It returns the trace id
// and the API Gateway request ids of the attempts, in order.
func run(ctx context.Context, out io.Writer, service string) (trace.TraceID, []string, error) {
	var calls atomic.Int32
	fn := func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		if calls.Add(1) == 1 {
			if err := apigwtest.Sleep(ctx, 35*time.Second); err != nil { // past the 29 s timeout
				return events.APIGatewayProxyResponse{}, err
			}
		}
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"ok":true}`}, nil
	}
	srv := apigwtest.NewServer(fn, apigwtest.WithTimeScale(0.001))
	defer srv.Close()

	if os.Getenv("OTEL_METRICS_EXPORTER") == "" {
		os.Setenv("OTEL_METRICS_EXPORTER", "none")
	}
	var providers otelx.Providers
	shutdown, err := otelx.Setup(ctx, otelx.WithServiceName(service), otelx.WithoutGlobals(&providers))
	if err != nil {
		return trace.TraceID{}, nil, err
	}
	client := &http.Client{Transport: transport.New(nil, transport.WithTracerProvider(providers.TracerProvider))}

	// A parent span of our own, so we know the trace id to print.
	ctx, root := providers.TracerProvider.Tracer("example").Start(ctx, "checkout")
	ctx, rec := transport.Record(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/orders/42", nil)
	if err != nil {
		return trace.TraceID{}, nil, err
	}
	resp, err := client.Do(req)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	root.End()
	flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ferr := shutdown(flushCtx); ferr != nil {
		err = errors.Join(err, fmt.Errorf("flushing spans to the collector: %w", ferr))
	}
	if err != nil {
		return trace.TraceID{}, nil, err
	}

	var ids []string
	fmt.Fprintf(out, "GET /orders/42 -> %d\n", resp.StatusCode)
	for _, a := range rec.Attempts() {
		fmt.Fprintf(out, "  %s\n", a.String())
		ids = append(ids, a.APIGatewayRequestID())
	}
	traceID := root.SpanContext().TraceID()
	fmt.Fprintf(out, "trace: %s/trace/%s\n", jaegerUI, traceID)
	fmt.Fprintf(out, "query API: %s/api/traces/%s\n", jaegerUI, traceID)
	return traceID, ids, nil
}

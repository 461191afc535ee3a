package otelx_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/retryscope/retryscope/otelx"
	"github.com/retryscope/retryscope/transport"
)

// Setup reads the standard OTEL_* environment variables, e.g.
//
//	OTEL_SERVICE_NAME=orders OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 ./program
//
// and sets the OpenTelemetry globals, which the transport's defaults use.
// It has no Output: it would export to a collector.
func ExampleSetup() {
	shutdown, err := otelx.Setup(context.Background(), otelx.WithServiceName("orders"), otelx.WithXRay())
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil { // flushes the last spans
			log.Print(err)
		}
	}()

	client := &http.Client{Transport: transport.New(nil)} // the globals Setup set, with the X-Ray propagator
	_ = client
}

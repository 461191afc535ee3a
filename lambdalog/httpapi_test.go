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

func TestWrapHTTPAPI(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	h := WrapHTTPAPI(func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 202}, nil
	}, WithWriter(&out), WithClock(fixedClock()))
	ev := events.APIGatewayV2HTTPRequest{
		RouteKey:       "POST /orders/{id}",
		RawPath:        "/orders/42",
		RawQueryString: "token=secret-query",
		Cookies:        []string{"session=secret-cookie"},
		Headers: map[string]string{
			"amz-sdk-invocation-id": "7d1b7c39-0a5e-4f4b-9d1e-3c0f1c9b2a10",
			"amz-sdk-request":       "attempt=3; max=3",
			"authorization":         "Bearer secret-token",
			"x-api-key":             "secret-key",
			"x-amzn-trace-id":       "Root=1-67a1b2c3-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1",
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "JKJaXmPLvHcESHA=",
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST"},
		},
		Body: "secret-body",
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "5f8e7d6c-1111-2222-3333-444455556666"})
	if _, err := h(ctx, ev); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"secret-token", "secret-cookie", "secret-key", "secret-query", "secret-body", "/orders/42"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("line leaks %q: %s", secret, out.String())
		}
	}
	var rec Record
	if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.APIGatewayRequestID != "JKJaXmPLvHcESHA=" || rec.LambdaRequestID != "5f8e7d6c-1111-2222-3333-444455556666" ||
		rec.Attempt != 3 || rec.MaxAttempts != 3 || rec.InvocationID != "7d1b7c39-0a5e-4f4b-9d1e-3c0f1c9b2a10" ||
		rec.Method != "POST" || rec.Resource != "/orders/{id}" || rec.Status != 202 || rec.TraceID != "1-67a1b2c3-0123456789abcdef01234567" {
		t.Errorf("record %+v", rec)
	}
}

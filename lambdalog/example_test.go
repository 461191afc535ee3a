package lambdalog_test

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/retryscope/retryscope/lambdalog"
)

func ExampleWrap() {
	handler := func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: "ok"}, nil
	}
	clock := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	wrapped := lambdalog.Wrap(handler,
		lambdalog.WithWriter(os.Stdout), // the default; Lambda sends stdout to CloudWatch
		lambdalog.WithClock(func() time.Time { return clock }))
	// In a function: lambda.Start(wrapped)

	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "5f8e7d6c-1111-2222-3333-444455556666"})
	_, _ = wrapped(ctx, events.APIGatewayProxyRequest{
		HTTPMethod: "GET", Resource: "/items",
		Headers:        map[string]string{"amz-sdk-invocation-id": "7d1b7c39-0a5e-4f4b-9d1e-3c0f1c9b2a10", "amz-sdk-request": "attempt=1; max=3"},
		RequestContext: events.APIGatewayProxyRequestContext{RequestID: "a3f1c2d4-5e6f-4a1b-8c9d-0e1f2a3b4c5d", ExtendedRequestID: "K2G9wEbUoAMEvag="},
	})
	// Output:
	// {"msg":"lambda_invocation","lambda_request_id":"5f8e7d6c-1111-2222-3333-444455556666","apigw_request_id":"a3f1c2d4-5e6f-4a1b-8c9d-0e1f2a3b4c5d","apigw_extended_request_id":"K2G9wEbUoAMEvag=","invocation_id":"7d1b7c39-0a5e-4f4b-9d1e-3c0f1c9b2a10","attempt":1,"max_attempts":3,"method":"GET","resource":"/items","start":"2026-11-26T01:00:00Z","duration_ms":0,"status":200}
}

// Command lambdafn is a Lambda function for emulate's tests: an unmodified
// aws-lambda-go program whose handler, wrapped in the lambdalog middleware,
// answers 200 "ran" (or fails with ?fail=1).
package main

import (
	"context"
	"errors"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/retryscope/retryscope/lambdalog"
)

func handler(_ context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	if ev.QueryStringParameters["fail"] != "" {
		return events.APIGatewayProxyResponse{}, errors.New("asked to fail")
	}
	return events.APIGatewayProxyResponse{StatusCode: 200, Body: "ran"}, nil
}

func main() {
	lambda.Start(lambdalog.Wrap(handler))
}

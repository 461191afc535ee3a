package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/retryscope/retryscope/apigwtest"
	"github.com/retryscope/retryscope/internal/redact"
)

// echoReply is what the emulator's function answers: the request as the
// function saw it, with the ids that tie it to the logs.
type echoReply struct {
	Method            string              `json:"method"`
	Path              string              `json:"path"`
	Query             map[string][]string `json:"query,omitempty"`
	Headers           map[string][]string `json:"headers,omitempty"`
	Body              string              `json:"body,omitempty"`
	IsBase64Encoded   bool                `json:"isBase64Encoded,omitempty"`
	RequestID         string              `json:"requestId"`
	ExtendedRequestID string              `json:"extendedRequestId,omitempty"`
	LambdaRequestID   string              `json:"lambdaRequestId,omitempty"`
	TraceID           string              `json:"traceId,omitempty"`
	Slept             string              `json:"slept,omitempty"`
}

// errRequestedFailure is the function error ?fail= asks for.
var errRequestedFailure = errors.New("failure requested with ?fail")

// echoFunction is the function emulate serves. It echoes the request as
// JSON (credential headers redacted) after sleeping ?sleep= (emulated
// time), answers ?status= when given, and fails with a function error when
// ?fail= is set.
func echoFunction(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	q := ev.QueryStringParameters
	status := http.StatusOK
	if v := q["status"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 || n > 599 {
			return textResponse(http.StatusBadRequest, "?status= must be an HTTP status between 100 and 599"), nil
		}
		status = n
	}
	reply := echoReply{
		Method: ev.HTTPMethod, Path: ev.Path, Query: ev.MultiValueQueryStringParameters,
		Body: ev.Body, IsBase64Encoded: ev.IsBase64Encoded,
		RequestID: ev.RequestContext.RequestID, ExtendedRequestID: ev.RequestContext.ExtendedRequestID,
	}
	if v := q["sleep"]; v != "" {
		d, err := parseSleep(v)
		if err != nil {
			return textResponse(http.StatusBadRequest, "?sleep= must be a duration (35s) or milliseconds (35000)"), nil
		}
		if err := apigwtest.Sleep(ctx, d); err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		reply.Slept = d.String()
	}
	if q["fail"] != "" {
		return events.APIGatewayProxyResponse{}, errRequestedFailure
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		reply.LambdaRequestID = lc.AwsRequestID
	}
	if v, ok := ctx.Value("x-amzn-trace-id").(string); ok { //nolint:staticcheck // the key aws-lambda-go uses
		reply.TraceID = v
	}
	reply.Headers = make(map[string][]string, len(ev.MultiValueHeaders))
	for k, vs := range ev.MultiValueHeaders {
		if redact.SensitiveHeader(k) {
			vs = []string{redact.Placeholder}
		}
		reply.Headers[k] = vs
	}
	b, err := json.MarshalIndent(reply, "", "  ")
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(b) + "\n",
	}, nil
}

func textResponse(status int, msg string) events.APIGatewayProxyResponse {
	b, _ := json.Marshal(map[string]string{"message": msg})
	return events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(b),
	}
}

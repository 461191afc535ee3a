// Command rtfunctionv2 is the Lambda function the payload format 2.0
// runtime-mode tests build: an unmodified aws-lambda-go program whose
// handler takes events.APIGatewayV2HTTPRequest. Its query string says what
// to do; by default it answers 200 with the event it got as the body.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (any, error) {
	q := req.QueryStringParameters
	if d, err := time.ParseDuration(q["sleep"]); err == nil {
		time.Sleep(d)
	}
	if f := q["side"]; f != "" {
		fh, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(fh, req.RequestContext.RequestID)
		fh.Close()
	}
	if q["error"] != "" {
		return nil, errors.New("rtfunctionv2 fails")
	}
	if raw, ok := q["raw"]; ok {
		// Any JSON, returned as it is: no statusCode, no proxy response.
		return json.RawMessage(raw), nil
	}
	ev, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	lc, _ := lambdacontext.FromContext(ctx)
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"X-Pid": fmt.Sprint(os.Getpid()), "X-Lambda-Id": lc.AwsRequestID},
		Cookies:    []string{"seen=1; Path=/"},
		Body:       string(ev),
	}, nil
}

func main() {
	lambda.Start(handle)
}

// Command rtfunction is the Lambda function the runtime-mode tests build:
// an unmodified aws-lambda-go program. Its query string says what to do.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	q := req.QueryStringParameters
	if p := q["partial"]; p != "" {
		fmt.Fprint(os.Stderr, p) // a last line without its newline
	}
	if d, err := time.ParseDuration(q["sleep"]); err == nil {
		time.Sleep(d)
	}
	if f := q["side"]; f != "" {
		fh, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		fmt.Fprintln(fh, req.RequestContext.RequestID)
		fh.Close()
	}
	switch {
	case q["crash"] != "":
		os.Exit(3)
	case q["panic"] != "":
		panic("rtfunction panics")
	case q["error"] != "":
		return events.APIGatewayProxyResponse{}, errors.New("rtfunction fails")
	}
	lc, _ := lambdacontext.FromContext(ctx)
	trace, _ := ctx.Value("x-amzn-trace-id").(string)
	return events.APIGatewayProxyResponse{
		StatusCode: 200,
		Headers:    map[string]string{"X-Pid": fmt.Sprint(os.Getpid()), "X-Lambda-Id": lc.AwsRequestID, "X-Trace": trace},
		Body:       req.RequestContext.RequestID,
	}, nil
}

func main() {
	switch os.Getenv("RTFUNCTION_INIT") {
	case "crash":
		fmt.Fprintln(os.Stderr, "rtfunction: crashing at init")
		os.Exit(2)
	case "hang":
		time.Sleep(time.Hour)
	}
	lambda.Start(handle)
}

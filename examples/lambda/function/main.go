// Command function is a real AWS Lambda function (aws-lambda-go,
// lambda.Start) behind an API Gateway proxy integration. It takes an order:
// it sleeps as long as the request asks (?sleep=35s, or a JSON body
// {"sleep":"35s"}), then appends the API Gateway request id to the file
// named by $ORDERS_FILE, so a caller can see the side effect happened even
// when API Gateway answered 504.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func takeOrder(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	sleep := req.QueryStringParameters["sleep"]
	if sleep == "" && req.Body != "" {
		var body struct {
			Sleep string `json:"sleep"`
		}
		if err := json.Unmarshal([]byte(req.Body), &body); err == nil {
			sleep = body.Sleep
		}
	}
	if sleep != "" {
		d, err := time.ParseDuration(sleep)
		if err != nil {
			return events.APIGatewayProxyResponse{StatusCode: 400, Body: `{"error":"bad sleep"}`}, nil
		}
		// Like most real functions, this one does not watch ctx: it keeps
		// working after API Gateway has given up.
		time.Sleep(d)
	}
	id := req.RequestContext.RequestID
	if path := os.Getenv("ORDERS_FILE"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		_, err = fmt.Fprintf(f, "order %s\n", id)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
	}
	fmt.Printf("order %s written\n", id) // goes to the function's log
	return events.APIGatewayProxyResponse{
		StatusCode: 201,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       fmt.Sprintf(`{"order":%q}`, id),
	}, nil
}

func main() {
	lambda.Start(takeOrder)
}

package apigwtest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/retryscope/retryscope/apigwtest"
)

// An HTTP API with payload format 2.0: the function's cookies become
// Set-Cookie headers, and past the 30 s integration timeout the client
// gets a 503 while the function runs on. The time scale makes 30 s last
// 30 ms.
func ExampleNewHTTPAPIServer() {
	var orders atomic.Int64
	s := apigwtest.NewHTTPAPIServer(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if req.QueryStringParameters["slow"] != "" {
			_ = apigwtest.Sleep(ctx, 10*time.Minute) // emulated time: 600 ms here
		}
		orders.Add(1)
		return events.APIGatewayV2HTTPResponse{
			StatusCode: 201,
			Cookies:    []string{"last=" + req.RawPath},
			Body:       `{"order":"created"}`,
		}, nil
	}, apigwtest.WithTimeScale(0.001))
	defer s.Close()

	for _, target := range []string{"/orders", "/orders?slow=1"} {
		resp, err := http.Post(s.URL+target, "application/json", nil)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, string(body), resp.Header.Values("Set-Cookie"))
	}
	fmt.Println("orders when the client got its answers:", orders.Load())
	s.Wait() // until the slow function, still running, has finished
	fmt.Println("orders after Wait:", orders.Load())
	// Output:
	// 201 {"order":"created"} [last=/orders]
	// 503 {"message":"Service Unavailable"} []
	// orders when the client got its answers: 1
	// orders after Wait: 2
}

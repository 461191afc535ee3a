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

// A function slower than the 29 s integration timeout: the client gets a
// 504, yet the order is written. The time scale makes 29 s last 29 ms.
func ExampleNewServer() {
	var orders atomic.Int64
	s := apigwtest.NewServer(func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		_ = apigwtest.Sleep(ctx, 10*time.Minute) // emulated time: 600 ms here
		orders.Add(1)
		return events.APIGatewayProxyResponse{StatusCode: 201, Body: `{"order":"created"}`}, nil
	}, apigwtest.WithTimeScale(0.001))
	defer s.Close()

	resp, err := http.Post(s.URL+"/orders", "application/json", nil)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, string(body))
	fmt.Println("orders when the client got its answer:", orders.Load())

	s.Wait() // until the function, still running, has finished
	fmt.Println("orders after Wait:", orders.Load())
	inv := s.Invocations()[0]
	fmt.Println("ran after timeout:", inv.RanAfterTimeout)
	// Output:
	// 504 {"message": "Endpoint request timed out"}
	// orders when the client got its answer: 0
	// orders after Wait: 1
	// ran after timeout: true
}

// Faults as data: a quarter of the calls are slow enough to time out for the
// first minute, then the backend is healthy.
func ExampleWithSchedule() {
	s := apigwtest.NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	},
		apigwtest.WithTimeScale(0.001),
		apigwtest.WithSchedule(apigwtest.Phase{
			From: 0, To: time.Minute,
			Fault: apigwtest.Fault{Latency: apigwtest.SlowShare{Share: 0.25, Slow: apigwtest.Fixed(40 * time.Second)}},
		}),
	)
	defer s.Close()
	fmt.Println(s.Stats().Requests)
	// Output: 0
}

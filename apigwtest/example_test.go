package apigwtest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
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

// Faults as data: for the first hour every request times out (the function
// runs past the integration timeout), then the backend is healthy.
func ExampleWithSchedule() {
	s := apigwtest.NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	},
		apigwtest.WithTimeScale(0.001),
		apigwtest.WithSchedule(apigwtest.Phase{From: 0, To: time.Hour, Fault: apigwtest.Fault{Outage: apigwtest.OutageTimeout}}),
	)
	defer s.Close()

	resp, err := http.Get(s.URL + "/health")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	s.Wait()
	st := s.Stats()
	fmt.Println(resp.StatusCode, "invocations:", st.Invocations, "ran after timeout:", st.RanAfterTimeout)
	// Output: 504 invocations: 1 ran after timeout: 1
}

// Random faults drawn from a seeded source repeat from run to run.
func ExampleFault() {
	s := apigwtest.NewServer(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}, apigwtest.WithSeed(42), apigwtest.WithFault(apigwtest.Fault{ErrorRate: 0.5}))
	defer s.Close()

	for range 8 {
		resp, err := http.Get(s.URL + "/x")
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Print(resp.StatusCode, " ")
	}
	fmt.Println()
	// Output: 502 200 200 200 502 502 200 200
}

// A real Lambda binary behind the gateway: build any aws-lambda-go program
// (lambda.Start) and pass its path. See examples/lambda for a complete
// program.
func ExampleNewRuntimeServer() {
	s := apigwtest.NewRuntimeServer("/path/to/bootstrap",
		apigwtest.WithEnv("ORDERS_FILE=/tmp/orders.txt"),
		apigwtest.WithLambdaLog(os.Stderr),
	)
	defer s.Close()

	resp, err := http.Get(s.URL + "/orders?sleep=35s")
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode) // 504 after 29 s; the function runs on
	s.Wait()                     // until it has written its order
}

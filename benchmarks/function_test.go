package benchmarks

import (
	"context"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/retryscope/retryscope/apigwtest"
)

func event(id, key string) events.APIGatewayProxyRequest {
	h := map[string]string{HeaderRequest: id}
	if key != "" {
		h[headerIdempotencyKey] = key
	}
	return events.APIGatewayProxyRequest{HTTPMethod: "POST", Headers: h}
}

// In virtual time (a synctest bubble): the 50 ms wait and the 200 ms of
// work cannot trade places on a loaded machine (under -race at a load
// average of 15 they did, and the duplicate got 200).
func TestFunctionDedupesLikePowertools(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testFunctionDedupes)
}

func testFunctionDedupes(t *testing.T) {
	// The first execution works 200 ms; the others are instant.
	slowOnce := make(chan struct{}, 1)
	slowOnce <- struct{}{}
	work := apigwtest.LatencyFunc(func(_ *rand.Rand, _ int) time.Duration {
		select {
		case <-slowOnce:
			return 200 * time.Millisecond
		default:
			return 0
		}
	})
	f := NewFunction(3, work, 1)
	ctx := context.Background()

	first := make(chan events.APIGatewayProxyResponse)
	go func() {
		r, _ := f.Handle(ctx, event("0", `"k1"`))
		first <- r
	}()
	time.Sleep(50 * time.Millisecond)
	// A duplicate while the first is in progress: 409, no execution.
	if r, _ := f.Handle(ctx, event("0", `"k1"`)); r.StatusCode != 409 {
		t.Fatalf("in-progress duplicate: status %d, want 409", r.StatusCode)
	}
	r1 := <-first
	if r1.StatusCode != 200 || f.Executions(0) != 1 {
		t.Fatalf("first: status %d, executions %d", r1.StatusCode, f.Executions(0))
	}
	// A duplicate after completion: the stored answer, no execution.
	r2, _ := f.Handle(ctx, event("0", `"k1"`))
	if r2.StatusCode != 200 || r2.Body != r1.Body || f.Executions(0) != 1 {
		t.Fatalf("completed duplicate: status %d body %q, executions %d; want the stored answer and 1 execution",
			r2.StatusCode, r2.Body, f.Executions(0))
	}
	// Without a key every request executes.
	f.Handle(ctx, event("1", ""))
	f.Handle(ctx, event("1", ""))
	if f.Executions(1) != 2 {
		t.Fatalf("no key: executions %d, want 2", f.Executions(1))
	}
	if r, _ := f.Handle(ctx, event("7", "")); r.StatusCode != 400 {
		t.Fatalf("unknown request id: status %d, want 400", r.StatusCode)
	}
}

// Behind an HTTP API the event's header names are in lower case: the
// function still finds the request index and the idempotency key.
func TestFunctionReadsLowerCaseHeaders(t *testing.T) {
	t.Parallel()
	f := NewFunction(1, nil, 1)
	ev := events.APIGatewayProxyRequest{HTTPMethod: "POST",
		Headers: map[string]string{"x-bench-request": "0", "idempotency-key": "k"}}
	for range 2 {
		if resp, err := f.Handle(context.Background(), ev); err != nil || resp.StatusCode != 200 {
			t.Fatalf("lower-case headers: %d %v", resp.StatusCode, err)
		}
	}
	if n := f.Executions(0); n != 1 {
		t.Errorf("%d executions with one idempotency key, want 1", n)
	}
}

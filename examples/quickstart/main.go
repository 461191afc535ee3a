// Quickstart: a GET and a POST meet an API Gateway 504 through retryscope's
// transport, against a local API Gateway + Lambda emulator (apigwtest).
//
// The function outlives the 29 s integration timeout on its first
// invocation of each path (the emulator runs time 1000x faster, so 29 s is
// 29 ms). The GET is retried and succeeds; the POST is not retried, because
// the function may still be running, and the emulator's ground truth shows
// that it did finish: a retry would have run it twice.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/retryscope/retryscope/apigwtest"
	"github.com/retryscope/retryscope/transport"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	// The function: slow (35 s, past the 29 s timeout) the first time a
	// path is called, fast after that.
	fn := func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		mu.Lock()
		first := !seen[req.Path]
		seen[req.Path] = true
		mu.Unlock()
		if first {
			if err := apigwtest.Sleep(ctx, 35*time.Second); err != nil {
				return events.APIGatewayProxyResponse{}, err
			}
		}
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"ok":true}`}, nil
	}
	srv := apigwtest.NewServer(fn, apigwtest.WithTimeScale(0.001))
	defer srv.Close()

	client := &http.Client{Transport: transport.New(nil)}
	for _, r := range []struct{ method, path, body string }{
		{http.MethodGet, "/orders/42", ""},
		{http.MethodPost, "/orders", `{"item":"book"}`},
	} {
		ctx, rec := transport.Record(context.Background())
		req, err := http.NewRequestWithContext(ctx, r.method, srv.URL+r.path, strings.NewReader(r.body))
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(out, "%s %s -> %d %s\n", r.method, r.path, resp.StatusCode, strings.TrimSpace(string(body)))
		for _, a := range rec.Attempts() {
			fmt.Fprintf(out, "  attempt %d: %d, reach %s, request id %s\n", a.Number, a.Status, a.Reach, a.APIGatewayRequestID())
			fmt.Fprintf(out, "    %s: %s\n", decision(a), a.Reason)
		}
	}

	srv.Wait() // let functions that outlived the gateway finish
	fmt.Fprintln(out, "\nWhat Lambda did (the emulator's ground truth):")
	for _, inv := range srv.Invocations() {
		fmt.Fprintf(out, "  %s %s request id %s: finished=%v, finished after the gateway's 504=%v\n",
			inv.Method, inv.Path, inv.RequestID, inv.Finished, inv.RanAfterTimeout)
	}
	return nil
}

func decision(a transport.Attempt) string {
	if a.Retry {
		return "retry"
	}
	return "stop (" + string(a.Rule) + ")"
}

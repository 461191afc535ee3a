// Command lambda runs a real Lambda binary (./function) behind the apigwtest
// emulator and shows what AWS does on an integration timeout: the client
// gets 504 "Endpoint request timed out", the function keeps running, and its
// order is written anyway.
//
//	go run ./examples/lambda
//
// It builds ./function with the go tool (or uses -function PATH). The time
// scale is 0.1: the 29 s integration timeout lasts 2.9 s, and the function
// is asked to sleep 3.5 s (35 emulated seconds).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/retryscope/retryscope/apigwtest"
)

func main() {
	function := flag.String("function", "", "path to a built Lambda binary (default: build ./function)")
	flag.Parse()
	if err := run(os.Stdout, *function); err != nil {
		log.Fatal(err)
	}
}

// run writes the demonstration to w. function is the Lambda binary; ""
// builds ./function.
func run(w io.Writer, function string) error {
	out := &lockedWriter{w: w} // the function's log arrives from the server's goroutines
	dir, err := os.MkdirTemp("", "retryscope-example-lambda-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if function == "" {
		function = filepath.Join(dir, "bootstrap")
		fmt.Fprintln(out, "building the function ...")
		build := exec.Command("go", "build", "-o", function, "github.com/retryscope/retryscope/examples/lambda/function")
		build.Stdout, build.Stderr = out, out
		if err := build.Run(); err != nil {
			return fmt.Errorf("building the function: %w", err)
		}
	}
	orders := filepath.Join(dir, "orders.txt")

	var accessLog bytes.Buffer
	s := apigwtest.NewRuntimeServer(function,
		apigwtest.WithTimeScale(0.1),
		apigwtest.WithEnv("ORDERS_FILE="+orders),
		apigwtest.WithAccessLog(&accessLog),
		apigwtest.WithLambdaLog(prefixed{out, "  lambda | "}),
	)
	defer s.Close()

	start := time.Now()
	resp, err := http.Post(s.URL+"/orders?sleep=3.5s", "application/json", strings.NewReader(`{"item":"book"}`))
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Fprintf(out, "client: %d %s after %v (x-amzn-RequestId %s)\n",
		resp.StatusCode, body, time.Since(start).Round(10*time.Millisecond), resp.Header.Get("x-amzn-RequestId"))
	fmt.Fprintf(out, "orders when the client gave up: %q\n", readFile(orders))

	s.Wait() // the function is still running: wait for it
	fmt.Fprintf(out, "orders after the function finished: %q\n", readFile(orders))
	for _, inv := range s.Invocations() {
		fmt.Fprintf(out, "ground truth: request %s, Lambda %s, cold start %v, finished %v, ran after the 504 %v\n",
			inv.RequestID, inv.LambdaRequestID, inv.ColdStart, inv.Finished, inv.RanAfterTimeout)
	}
	s.Close() // the server has written its last log line
	fmt.Fprintf(out, "access log: %s", accessLog.String())
	return nil
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// prefixed writes the function's log lines to w, indented.
type prefixed struct {
	w      io.Writer
	prefix string
}

func (p prefixed) Write(b []byte) (int, error) {
	_, err := io.WriteString(p.w, p.prefix+string(b))
	return len(b), err
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

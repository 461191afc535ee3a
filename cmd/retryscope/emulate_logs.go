package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/retryscope/retryscope/apigwtest"
	"github.com/retryscope/retryscope/lambdalog"
)

// emulatedTimes puts the lambdalog middleware's lines on the emulator's
// clock. The emulator's logs keep real timestamps (requestTimeEpoch) and
// emulated durations (integration latency, REPORT Duration), so a reader
// computes "the gateway gave up" as request time + emulated latency. For
// "the function ended" (start + duration_ms) to compare with it, the
// middleware's start becomes the request time plus the emulated time since
// it, and duration_ms becomes emulated. At time scale 1 nothing changes.
// Other lines pass through.
type emulatedTimes struct {
	w      io.Writer
	scale  float64
	epochs sync.Map // API Gateway request id -> request time, while the function runs
}

// track remembers each request's time while fn runs, for Write.
func (e *emulatedTimes) track(fn apigwtest.Handler) apigwtest.Handler {
	return func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		id := ev.RequestContext.RequestID
		e.epochs.Store(id, time.UnixMilli(ev.RequestContext.RequestTimeEpoch))
		defer e.epochs.Delete(id)
		return fn(ctx, ev)
	}
}

// Write rewrites one middleware line (the middleware writes a line per
// call) and writes everything else as it is.
func (e *emulatedTimes) Write(p []byte) (int, error) {
	if e.scale == 1 || !bytes.HasPrefix(p, []byte(`{"msg":"`+lambdalog.RecordMessage+`"`)) {
		return e.w.Write(p)
	}
	var rec lambdalog.Record
	if err := json.Unmarshal(p, &rec); err != nil {
		return e.w.Write(p)
	}
	if v, ok := e.epochs.Load(rec.APIGatewayRequestID); ok {
		epoch := v.(time.Time)
		rec.Start = epoch.Add(time.Duration(float64(rec.Start.Sub(epoch)) / e.scale))
	}
	rec.DurationMS = math.Round(rec.DurationMS/e.scale*1000) / 1000
	line, err := json.Marshal(rec)
	if err != nil {
		return e.w.Write(p)
	}
	if _, err := e.w.Write(append(line, '\n')); err != nil {
		return 0, err
	}
	return len(p), nil
}

// emulateLogs are the log files; the Lambda log is shared by the emulator
// (START, END, REPORT) and the middleware (JSON lines).
type emulateLogs struct {
	files                     []*os.File
	access, execution, lambda io.Writer
}

func openEmulateLogs(cfg *emulateConfig) (*emulateLogs, error) {
	l := &emulateLogs{}
	open := func(flagName, name string) (io.Writer, error) {
		if name == "" {
			return nil, nil
		}
		f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("-%s: %v", flagName, err)
		}
		l.files = append(l.files, f)
		return &lineWriter{w: f}, nil
	}
	var err error
	if l.access, err = open("access-log", cfg.accessLog); err != nil {
		l.close()
		return nil, err
	}
	if l.execution, err = open("execution-log", cfg.executionLog); err != nil {
		l.close()
		return nil, err
	}
	if l.lambda, err = open("lambda-log", cfg.lambdaLog); err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

func (l *emulateLogs) close() {
	for _, f := range l.files {
		_ = f.Close()
	}
}

// requestPrinter prints one short line per request from the access log's
// JSON lines (one per Write, as apigwtest writes them).
type requestPrinter struct {
	w io.Writer
}

// Write prints the request an access-log line describes.
func (p *requestPrinter) Write(b []byte) (int, error) {
	var e apigwtest.AccessLogEntry
	if err := json.Unmarshal(b, &e); err != nil {
		return len(b), nil
	}
	line := fmt.Sprintf("  %s  %s  %6s ms  %s", time.Now().Format("15:04:05.000"), e.Status, e.ResponseLatency, e.RequestID)
	if e.ErrorResponseType != "-" && e.ErrorResponseType != "" {
		line += "  " + e.ErrorResponseType
		if e.ErrorResponseType == "INTEGRATION_TIMEOUT" {
			line += " (the function may still be running)"
		}
	}
	fmt.Fprintln(p.w, line)
	return len(b), nil
}

// lineWriter serialises writes to a file that more than one writer shares.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// Write writes p under the lock.
func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

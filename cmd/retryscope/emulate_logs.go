package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"github.com/retryscope/retryscope/apigwtest"
	"github.com/retryscope/retryscope/lambdalog"
)

// emulatedTimes puts the lambdalog middleware's lines (the built-in
// function's, and those a -function binary prints) on the emulator's clock.
// The emulator's logs keep real timestamps (requestTimeEpoch) and emulated
// durations (integration latency, REPORT Duration), so a reader computes
// "the gateway gave up" as request time + emulated latency. For "the
// function ended" (start + duration_ms) to compare with it, a line's start
// becomes the request's arrival plus the emulated time since, and
// duration_ms becomes emulated. Arrivals come from the execution log's
// "Starting execution" lines (arrivalTap). Other lines pass through.
type emulatedTimes struct {
	w      io.Writer
	scale  float64
	maxAge time.Duration // how long (real time) an arrival is kept

	mu       sync.Mutex
	arrivals map[string]time.Time // API Gateway request id -> arrival
	inserts  int
}

func newEmulatedTimes(w io.Writer, scale float64, maxAge time.Duration) *emulatedTimes {
	return &emulatedTimes{w: w, scale: scale, maxAge: maxAge, arrivals: map[string]time.Time{}}
}

// arrived notes when request id arrived. Arrivals whose function never
// wrote a line (throttled, crashed) are dropped after maxAge.
func (e *emulatedTimes) arrived(id string, at time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.arrivals[id] = at
	if e.inserts++; e.inserts%1024 == 0 {
		for k, t := range e.arrivals {
			if at.Sub(t) > e.maxAge {
				delete(e.arrivals, k)
			}
		}
	}
}

func (e *emulatedTimes) arrival(id string) (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.arrivals[id]
	delete(e.arrivals, id)
	return t, ok
}

// Write rewrites one middleware line (every writer of the Lambda log
// writes a line per call) and writes everything else as it is.
func (e *emulatedTimes) Write(p []byte) (int, error) {
	if !bytes.HasPrefix(p, []byte(`{"msg":"`+lambdalog.RecordMessage+`"`)) {
		return e.w.Write(p)
	}
	var rec lambdalog.Record
	if err := json.Unmarshal(p, &rec); err != nil {
		return e.w.Write(p)
	}
	if at, ok := e.arrival(rec.APIGatewayRequestID); ok && !rec.Start.Before(at) {
		rec.Start = at.Add(time.Duration(float64(rec.Start.Sub(at)) / e.scale))
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

// arrivalTap passes execution-log lines on (to next, when not nil) and
// tells times when each request arrived.
type arrivalTap struct {
	times *emulatedTimes
	next  io.Writer
}

var startingExecution = []byte(") Starting execution for request: ")

// Write notes a "(<id>) Starting execution for request: <id>" line.
func (a *arrivalTap) Write(p []byte) (int, error) {
	if i := bytes.Index(p, startingExecution); i > 1 && p[0] == '(' {
		a.times.arrived(string(p[1:i]), time.Now())
	}
	if a.next == nil {
		return len(p), nil
	}
	return a.next.Write(p)
}

// onEmulatorClock routes the Lambda log through emulatedTimes when time is
// scaled; at scale 1 the middleware's times are already right.
func (l *emulateLogs) onEmulatorClock(cfg *emulateConfig) {
	if cfg.timeScale == 1 || l.lambda == nil {
		return
	}
	maxAge := time.Duration(float64(cfg.integrationTimeout+cfg.functionTimeout)*cfg.timeScale) + time.Minute
	et := newEmulatedTimes(l.lambda, cfg.timeScale, maxAge)
	l.lambda = et
	l.execution = &arrivalTap{times: et, next: l.execution}
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
			return nil, fmt.Errorf("-%s: cannot write %s: %v (want a file in a directory that exists and can be written)", flagName, name, errors.Unwrap(err))
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

package apigwtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// lineLog writes whole lines to w under a lock, one Write per line, so lines
// from concurrent requests never interleave. The lock is the server's, shared
// by its three logs, so one writer may take all of them. A nil lineLog
// discards.
type lineLog struct {
	mu *sync.Mutex
	w  io.Writer
}

func newLineLog(w io.Writer, mu *sync.Mutex) *lineLog {
	if w == nil {
		return nil
	}
	return &lineLog{w: w, mu: mu}
}

func (l *lineLog) line(s string) {
	if l == nil {
		return
	}
	// A line break inside the text (a request path with %0A, a function's
	// multi-line error message) would start a line that readers take for
	// another entry, such as a forged "(<id>) Method completed with
	// status: 200": escape it, as one CloudWatch event stays one line.
	if strings.ContainsAny(s, "\r\n") {
		s = lineBreaks.Replace(s)
	}
	b := make([]byte, 0, len(s)+1)
	b = append(b, s...)
	b = append(b, '\n')
	l.mu.Lock()
	_, _ = l.w.Write(b)
	l.mu.Unlock()
}

var lineBreaks = strings.NewReplacer("\r", `\r`, "\n", `\n`)

// maxLogLine is the longest line processOutput keeps waiting for its
// newline: CloudWatch Logs' event size limit (256 KB). A longer one is cut.
const maxLogLine = 256 << 10

// processOutput carries a runtime process's output to the Lambda log: it
// splits what the process writes into lines and writes each whole. A
// trailing partial line is kept until its newline arrives or flush, or cut
// at maxLogLine, so a process that writes without newlines cannot make the
// server's memory grow.
type processOutput struct {
	log *lineLog
	mu  sync.Mutex
	buf []byte
}

func (o *processOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf = append(o.buf, p...)
	for {
		i := bytes.IndexByte(o.buf, '\n')
		if i < 0 {
			break
		}
		o.log.line(string(bytes.TrimSuffix(o.buf[:i], []byte{'\r'})))
		o.buf = o.buf[i+1:]
	}
	for len(o.buf) >= maxLogLine {
		o.log.line(string(o.buf[:maxLogLine]))
		o.buf = o.buf[maxLogLine:]
	}
	if len(o.buf) == 0 {
		o.buf = nil // let a large write's array go
	}
	return len(p), nil
}

func (o *processOutput) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.buf) > 0 {
		o.log.line(string(o.buf))
		o.buf = nil
	}
}

// AccessLogEntry is one access-log line, with exactly the fields of the
// production access-log format of docs/aws-behaviour.md. Every value is a string, as
// API Gateway substitutes it into the format; "-" means "no value" (for
// example IntegrationRequestID on an integration timeout).
type AccessLogEntry struct {
	ErrorMessage                 string `json:"error_message"`
	ErrorResponseType            string `json:"error_responseType"`
	ExtendedRequestID            string `json:"extendedRequestId"`
	IntegrationError             string `json:"integration_error"`
	IntegrationIntegrationStatus string `json:"integration_integrationStatus"`
	IntegrationLatency           string `json:"integration_latency"`
	IntegrationRequestID         string `json:"integration_requestId"`
	IntegrationStatus            string `json:"integration_status"`
	IntegrationLatencyAlias      string `json:"integrationLatency"`
	RequestID                    string `json:"requestId"`
	RequestTimeEpoch             string `json:"requestTimeEpoch"`
	ResponseLatency              string `json:"responseLatency"`
	Status                       string `json:"status"`
}

func (l *lineLog) access(e *AccessLogEntry) {
	if l == nil {
		return
	}
	b, _ := json.Marshal(e)
	l.line(string(b))
}

// maxLogEvent is the longest execution-log event API Gateway writes:
// "API Gateway currently limits log events to 1024 bytes. Log events larger
// than 1024 bytes, such as request and response bodies, will be truncated by
// API Gateway before submission to CloudWatch Logs."
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-known-issues.html).
// A cut event ends in truncatedMark, as in published captures [observed].
const (
	maxLogEvent   = 1024
	truncatedMark = " [TRUNCATED]"
)

// executionLog writes "(<requestId>) <text>" lines, each at most
// maxLogEvent bytes.
func (l *lineLog) exec(requestID, format string, args ...any) {
	if l == nil {
		return
	}
	s := "(" + requestID + ") " + fmt.Sprintf(format, args...)
	if len(s) > maxLogEvent {
		if strings.ContainsAny(s, "\r\n") {
			s = lineBreaks.Replace(s)
		}
		if len(s) > maxLogEvent {
			s = strings.ToValidUTF8(s[:maxLogEvent-len(truncatedMark)], "") + truncatedMark
		}
	}
	l.line(s)
}

// emulatedMillis converts a real duration to emulated milliseconds.
func (s *Server) emulatedMillis(d time.Duration) float64 {
	return float64(d) / s.cfg.timeScale / float64(time.Millisecond)
}

func (s *Server) millisString(d time.Duration) string {
	return strconv.FormatInt(int64(math.Round(s.emulatedMillis(d))), 10)
}

// report writes the Lambda END and REPORT lines of one invocation.
func (s *Server) report(lambdaID string, d, initDur time.Duration, cold bool) {
	l := s.lambdaLog
	if l == nil {
		return
	}
	ms := s.emulatedMillis(d)
	// Since August 1, 2025 the init phase is billed for every runtime (it
	// always was for OS-only runtimes, which Go functions use):
	// https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/
	billed := ms
	if cold {
		billed += s.emulatedMillis(initDur)
	}
	line := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
		lambdaID, ms, int64(math.Ceil(billed)), s.cfg.memoryMB, min(s.cfg.memoryMB, 64))
	if cold {
		line += fmt.Sprintf("\tInit Duration: %.2f ms", s.emulatedMillis(initDur))
	}
	l.line("END RequestId: " + lambdaID)
	l.line(line)
}

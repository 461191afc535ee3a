package diagnose

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/retryscope/retryscope/internal/xray"
)

// platformEvent is the kind of a Lambda platform line.
type platformEvent int

const (
	platformStart    platformEvent = iota + 1 // START RequestId: <id> Version: $LATEST
	platformEnd                               // END RequestId: <id>
	platformReport                            // REPORT RequestId: <id>	Duration: 12.34 ms ...
	platformTimedOut                          // <id> Task timed out after 3.00 seconds
	// platformInit is a line of the init phase, which names no request:
	// INIT_START and INIT_REPORT, or the JSON log format's
	// platform.initStart, platform.initRuntimeDone and platform.initReport.
	platformInit
	// platformApp is a line the function logged under its request id:
	// "<time>\t<id>\tINFO\t<message>" or Lambda's JSON application log
	// format {"timestamp":..,"level":"INFO","requestId":"<id>",...} (Java:
	// "AWSRequestId").
	platformApp
	// platformRuntime is a runtime's own line without a request id
	// ("[ERROR] Runtime.ImportModuleError: ...", "EXTENSION\t...").
	platformRuntime
	// platformTrace is a line "XRAY TraceId: ..." on its own, which
	// continues the REPORT line before it.
	platformTrace
)

// platformLine is one parsed Lambda platform line.
type platformLine struct {
	Event       platformEvent
	RequestID   string
	DurationMS  float64 // platformReport
	HasDuration bool
	// TimedOut is set on REPORT lines with "Status: timeout" and on
	// "Task timed out" lines.
	TimedOut bool
	// InitTimedOut is set on an init report whose status is timeout
	// ("INIT_REPORT ... Status: timeout", a platform.initReport record
	// with "status": "timeout").
	InitTimedOut bool
	// TraceRoot is the X-Ray trace id's Root (1-<8 hex>-<24 hex>) a
	// REPORT line ("XRAY TraceId: ...") or a platform record's tracing
	// value carries; "" when none.
	TraceRoot string
}

var (
	errPlatformNoRequestID = errors.New("Lambda platform line without a RequestId")

	rePlatformID     = regexp.MustCompile(`^(?:START|END|REPORT) RequestId: ([0-9A-Za-z-]{1,128})(?:\s|$)`)
	reReportDuration = regexp.MustCompile(`\tDuration: ([0-9]+(?:\.[0-9]+)?) ms|^REPORT RequestId: \S+\s+Duration: ([0-9]+(?:\.[0-9]+)?) ms`)
	reTaskTimedOut   = regexp.MustCompile(`(?:^|\s)([0-9a-fA-F-]{36})\s+Task timed out after`)
	// "<id>\t<LEVEL>\t", the Node runtime's text format; "<id>\tinfo\t",
	// .NET's (levels trce, dbug, info, warn, fail, crit); and
	// "<id> INFO  ", the aws-lambda-java-log4j2 pattern
	// "%X{AWSRequestId} %-5p".
	reAppLine = regexp.MustCompile(`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})[\t ]+(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL|trce|dbug|info|warn|fail|crit)[\t ]`)
	// The Python runtime's format: "[INFO]\t<time>\t<request id>\t<message>".
	reBracketAppLine = regexp.MustCompile(`^\[(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)\]\t\S+\t([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\t`)
	reRuntimeLine    = regexp.MustCompile(`^(?:\[(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)\][ \t]|EXTENSION\t|TELEMETRY\t)`)
	reXRayTraceID    = regexp.MustCompile(`XRAY TraceId: (1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24})`)
)

// traceRoot returns the Root of an X-Ray trace id, given as a bare id
// ("1-5f84c7a1-6c4b8f2e3d1a9b0c7e6f5a4b"), a header value
// ("Root=1-...;Parent=...;Sampled=1") or an OpenTelemetry trace id (32 hex
// digits, which X-Ray writes as 1-<first 8>-<other 24>); "" otherwise.
func traceRoot(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 32 {
		if id := "1-" + s[:8] + "-" + s[8:]; xray.ValidRoot(id) {
			return strings.ToLower(id)
		}
	}
	if len(s) >= 35 && xray.ValidRoot(s[:35]) {
		return strings.ToLower(s[:35])
	}
	return strings.ToLower(xray.Root(s))
}

// parseAppLine recognises "<id>\t<LEVEL>\t<message>", the managed
// runtimes' text format, and the like with spaces (timestamp already
// removed); see reAppLine.
func parseAppLine(line []byte) (platformLine, bool) {
	if len(line) < 38 || line[8] != '-' {
		return platformLine{}, false
	}
	m := reAppLine.FindSubmatch(line)
	if m == nil {
		return platformLine{}, false
	}
	return platformLine{Event: platformApp, RequestID: string(m[1])}, true
}

// parseRuntimeLine recognises the lines a runtime writes itself: the
// Python runtime's "[LEVEL]\t<time>\t<id>\t<message>" (a function line
// under its request id) and lines without an id, such as "[ERROR]
// Runtime.ImportModuleError: ..." (a Lambda log may start with one), and a
// REPORT line's "XRAY TraceId: ..." continuation.
func parseRuntimeLine(line []byte) (platformLine, bool) {
	if len(line) == 0 || !bytes.ContainsRune([]byte("[IETX"), rune(line[0])) {
		// Most lines are the function's own output: no regexp for them.
		return platformLine{}, false
	}
	if m := reBracketAppLine.FindSubmatch(line); m != nil {
		return platformLine{Event: platformApp, RequestID: string(m[1])}, true
	}
	if reRuntimeLine.Match(line) {
		return platformLine{Event: platformRuntime}, true
	}
	if bytes.HasPrefix(line, []byte("XRAY TraceId:")) {
		if m := reXRayTraceID.FindSubmatch(line); m != nil {
			return platformLine{Event: platformTrace, TraceRoot: strings.ToLower(string(m[1]))}, true
		}
	}
	return platformLine{}, false
}

// isPlatformLine reports whether line (timestamp removed) starts like one of
// the Lambda runtime's own lines.
func isPlatformLine(line []byte) bool {
	// Only the runtime's exact prefixes: function output such as "END of
	// batch" must not be taken for a damaged platform line.
	for _, p := range [][]byte{[]byte("START RequestId:"), []byte("END RequestId:"), []byte("REPORT RequestId:"), []byte("INIT_START"), []byte("INIT_REPORT")} {
		if bytes.HasPrefix(line, p) {
			return true
		}
	}
	// "Task timed out after" is also the errorMessage Lambda returns for a
	// timed-out function, which API Gateway quotes in its "Lambda execution
	// failed ... due to customer function error: <time> <id> Task timed out
	// after 3.00 seconds. Lambda request id: <id>" line: an unprefixed one
	// (older exports, the console's test invoke) is the gateway's.
	return bytes.Contains(line, []byte("Task timed out after")) && !isExecutionText(line)
}

// parsePlatformLine parses a line for which isPlatformLine is true.
func parsePlatformLine(line []byte) (platformLine, error) {
	if bytes.HasPrefix(line, []byte("INIT_START")) {
		return platformLine{Event: platformInit}, nil
	}
	if bytes.HasPrefix(line, []byte("INIT_REPORT")) {
		// "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout"
		return platformLine{Event: platformInit, InitTimedOut: bytes.Contains(line, []byte("Status: timeout"))}, nil
	}
	if m := reTaskTimedOut.FindSubmatch(line); m != nil {
		return platformLine{Event: platformTimedOut, RequestID: string(m[1]), TimedOut: true}, nil
	}
	m := rePlatformID.FindSubmatch(line)
	if m == nil {
		return platformLine{}, errPlatformNoRequestID
	}
	p := platformLine{RequestID: string(m[1])}
	switch {
	case bytes.HasPrefix(line, []byte("START")):
		p.Event = platformStart
	case bytes.HasPrefix(line, []byte("END")):
		p.Event = platformEnd
	default:
		p.Event = platformReport
		if d := reReportDuration.FindSubmatch(line); d != nil {
			v := d[1]
			if len(v) == 0 {
				v = d[2]
			}
			p.DurationMS, _ = strconv.ParseFloat(string(v), 64)
			p.HasDuration = true
		}
		p.TimedOut = bytes.Contains(line, []byte("Status: timeout"))
		if x := reXRayTraceID.FindSubmatch(line); x != nil {
			p.TraceRoot = strings.ToLower(string(x[1]))
		}
	}
	return p, nil
}

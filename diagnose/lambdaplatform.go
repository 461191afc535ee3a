package diagnose

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
)

// platformEvent is the kind of a Lambda platform line.
type platformEvent int

const (
	platformStart    platformEvent = iota + 1 // START RequestId: <id> Version: $LATEST
	platformEnd                               // END RequestId: <id>
	platformReport                            // REPORT RequestId: <id>	Duration: 12.34 ms ...
	platformTimedOut                          // <id> Task timed out after 3.00 seconds
	platformInit                              // INIT_START ... (no request id)
	// platformApp is a line the function logged under its request id:
	// "<time>\t<id>\tINFO\t<message>" or Lambda's JSON application log
	// format {"timestamp":..,"level":"INFO","requestId":"<id>",...}.
	platformApp
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
}

var (
	errPlatformNoRequestID = errors.New("Lambda platform line without a RequestId")

	rePlatformID     = regexp.MustCompile(`^(?:START|END|REPORT) RequestId: ([0-9A-Za-z-]{1,128})(?:\s|$)`)
	reReportDuration = regexp.MustCompile(`\tDuration: ([0-9]+(?:\.[0-9]+)?) ms|^REPORT RequestId: \S+\s+Duration: ([0-9]+(?:\.[0-9]+)?) ms`)
	reTaskTimedOut   = regexp.MustCompile(`(?:^|\s)([0-9a-fA-F-]{36})\s+Task timed out after`)
	reAppLine        = regexp.MustCompile(`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\t(?:TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\t`)
)

// parseAppLine recognises "<id>\t<LEVEL>\t<message>", the managed
// runtimes' text format (timestamp already removed).
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

// isPlatformLine reports whether line (timestamp removed) starts like one of
// the Lambda runtime's own lines.
func isPlatformLine(line []byte) bool {
	// Only the runtime's exact prefixes: function output such as "END of
	// batch" must not be taken for a damaged platform line.
	for _, p := range [][]byte{[]byte("START RequestId:"), []byte("END RequestId:"), []byte("REPORT RequestId:"), []byte("INIT_START")} {
		if bytes.HasPrefix(line, p) {
			return true
		}
	}
	return bytes.Contains(line, []byte("Task timed out after"))
}

// parsePlatformLine parses a line for which isPlatformLine is true.
func parsePlatformLine(line []byte) (platformLine, error) {
	if bytes.HasPrefix(line, []byte("INIT_START")) {
		return platformLine{Event: platformInit}, nil
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
	}
	return p, nil
}

package diagnose

import (
	"bytes"
	"time"
)

// FormatSAMLogs is `sam logs` output: "<log stream> <timestamp> <message>"
// per event, a message that spans lines going on without the prefix.
const FormatSAMLogs Format = "sam-logs"

var samLogsFormat = framedFormat(FormatSAMLogs, framing{split: splitSAMLogs})

func splitSAMLogs(line []byte) (time.Time, string, []byte, bool) {
	stream, rest, found := bytes.Cut(line, []byte(" "))
	if !found || len(stream) == 0 || bytes.ContainsAny(stream, "\t(){}\"") {
		return time.Time{}, "", nil, false
	}
	ts, msg, _ := bytes.Cut(rest, []byte(" "))
	at, ok := parseTime(string(ts))
	if !ok {
		return time.Time{}, "", nil, false
	}
	return at, string(stream), msg, true
}

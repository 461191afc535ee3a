package diagnose

import (
	"bufio"
	"bytes"
	"time"
)

// FormatSAMLogs is `sam logs` output: "<log stream> <timestamp> <message>"
// per event, a message that spans lines going on without the prefix.
const FormatSAMLogs Format = "sam-logs"

var samLogsFraming = framing{split: splitSAMLogs}

var samLogsFormat = fileFormat{
	name:   FormatSAMLogs,
	detect: samLogsFraming.detect,
	read: func(e *Evidence, name string, br *bufio.Reader, sum *FileSummary, _ int) error {
		return e.readFramed(name, br, sum, samLogsFraming)
	},
}

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

package diagnose

import (
	"bytes"
	"time"
)

// FormatConsoleCopy is log events copied from the CloudWatch console:
// "<timestamp> | <message>" rows (under an optional "timestamp | message"
// header), or a timestamp on a line of its own followed by the message,
// which the console shows pretty-printed over several lines when it is
// JSON.
const FormatConsoleCopy Format = "console-copy"

var consoleCopyFormat = framedFormat(FormatConsoleCopy, framing{split: splitConsoleCopy, header: consoleCopyHeader})

func consoleCopyHeader(line []byte) bool {
	l := bytes.ToLower(bytes.TrimSpace(line))
	return bytes.HasPrefix(l, []byte("timestamp")) && bytes.Contains(l, []byte("message")) && len(l) < 40
}

func splitConsoleCopy(line []byte) (time.Time, string, []byte, bool) {
	ts, msg, found := bytes.Cut(line, []byte(" | "))
	if !found {
		ts, msg = bytes.TrimSpace(line), nil
	}
	at, ok := parseTime(string(bytes.TrimSpace(ts)))
	if !ok {
		return time.Time{}, "", nil, false
	}
	return at, "", msg, true
}

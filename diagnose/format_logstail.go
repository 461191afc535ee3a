package diagnose

import (
	"bytes"
	"time"
)

// FormatLogsTail is `aws logs tail` output in its default (detailed) form:
// "<timestamp> <log stream> <message>" per event, a message that spans lines
// going on without the prefix.
const FormatLogsTail Format = "logs-tail"

var logsTailFormat = framedFormat(FormatLogsTail, framing{split: splitLogsTail})

func splitLogsTail(line []byte) (time.Time, string, []byte, bool) {
	tsEnd := bytes.IndexByte(line, ' ')
	if tsEnd < 0 {
		return time.Time{}, "", nil, false
	}
	at, ok := parseTime(string(line[:tsEnd]))
	if !ok {
		return time.Time{}, "", nil, false
	}
	rest := line[tsEnd+1:]
	stream, msg, _ := bytes.Cut(rest, []byte(" "))
	if !looksLikeStream(stream) {
		return time.Time{}, "", nil, false
	}
	return at, string(stream), msg, true
}

// looksLikeStream reports whether a word is a CloudWatch log stream name
// as API Gateway and Lambda name them: Lambda's
// "2026/11/26/[$LATEST]<hex>", API Gateway's hex digests. A message's first
// word ("(id)", "START", "{...}") never looks like one.
func looksLikeStream(w []byte) bool {
	if len(w) < 8 || bytes.ContainsAny(w, "\t(){}\"") {
		return false
	}
	if bytes.ContainsAny(w, "/[") {
		return true
	}
	for _, c := range w {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

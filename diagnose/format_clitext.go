package diagnose

import (
	"bytes"
	"strconv"
	"time"
)

// FormatCLIText is `aws logs filter-log-events` or `get-log-events` run
// with `--output text`: one "EVENTS" row per event, its fields
// tab-separated in the order of the JSON keys (eventId, ingestionTime,
// logStreamName, message, timestamp for filter-log-events; ingestionTime,
// message, timestamp for get-log-events). Other rows (SEARCHEDLOGSTREAMS,
// tokens) are skipped.
const FormatCLIText Format = "logs-cli-text"

var cliTextFormat = framedFormat(FormatCLIText, framing{split: splitCLIText, header: cliTextOtherRow, trailer: cliTextTrailer})

// cliTextTrailer takes the timestamp from the last line of a message that
// spans lines: the text output prints the message as it is, its line
// breaks included (Lambda ends every message, START and REPORT too, with
// one), then a tab and the timestamp.
func cliTextTrailer(msg []byte) (time.Time, []byte, bool) {
	nl := bytes.LastIndexByte(msg, '\n')
	if nl < 0 {
		return time.Time{}, nil, false
	}
	last := msg[nl+1:]
	tab := bytes.LastIndexByte(last, '\t')
	if tab < 0 {
		return time.Time{}, nil, false
	}
	ms, err := strconv.ParseInt(string(last[tab+1:]), 10, 64)
	if err != nil {
		return time.Time{}, nil, false
	}
	at, ok := epochMillis(ms)
	if !ok {
		return time.Time{}, nil, false
	}
	return at, append(msg[:nl+1:nl+1], last[:tab]...), true
}

func cliTextOtherRow(line []byte) bool {
	word, _, _ := bytes.Cut(line, []byte("\t"))
	return len(word) > 0 && !bytes.Equal(word, []byte("EVENTS")) && bytes.Equal(bytes.ToUpper(word), word) &&
		bytes.Contains(line, []byte("\t")) && !bytes.ContainsAny(word, " ()")
}

func splitCLIText(line []byte) (time.Time, string, []byte, bool) {
	rest, ok := bytes.CutPrefix(line, []byte("EVENTS\t"))
	if !ok {
		return time.Time{}, "", nil, false
	}
	fields := bytes.Split(rest, []byte("\t"))
	var at time.Time
	if n := len(fields); n > 1 {
		// The timestamp comes last (a multi-line message puts it on its
		// last line instead).
		if ms, err := strconv.ParseInt(string(fields[n-1]), 10, 64); err == nil {
			if t, ok := epochMillis(ms); ok {
				at, fields = t, fields[:n-1]
			}
		}
	}
	var stream string
	switch {
	case len(fields) >= 4 && len(fields[0]) > 20 && isDigits(fields[0]) && isDigits(fields[1]):
		// filter-log-events: eventId, ingestionTime, logStreamName.
		stream, fields = string(fields[2]), fields[3:]
	case len(fields) >= 2 && isDigits(fields[0]):
		// get-log-events: ingestionTime.
		fields = fields[1:]
	}
	// The message may hold tabs of its own (REPORT lines do).
	return at, stream, bytes.Join(fields, []byte("\t")), true
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

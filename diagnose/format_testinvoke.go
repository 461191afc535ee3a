package diagnose

import (
	"bytes"
	"strings"
	"time"
)

// FormatTestInvoke is the execution log the API Gateway console shows for a
// test invoke: "Execution log for request <id>", then "<Mon Jan 02
// 15:04:05 UTC 2006> : <text>" lines without the request id, bodies going
// on over several lines; also the "log" of `aws apigateway
// test-invoke-method` JSON output.
const FormatTestInvoke Format = "test-invoke"

var testInvokeFormat = framedFormat(FormatTestInvoke, framing{split: splitTestInvoke})

// testInvokeLog reads the "log" of `aws apigateway test-invoke-method`
// output ({"status":..,"body":..,"log":"Execution log for request ..."}),
// the same text the console shows.
func (d *documentReader) testInvokeLog() error {
	var log string
	if err := d.dec.Decode(&log); err != nil {
		return err
	}
	d.nested("test-invoke log", strings.NewReader(log))
	return nil
}

const testInvokeLayout = "Mon Jan 02 15:04:05 MST 2006"

func splitTestInvoke(line []byte) (time.Time, string, []byte, bool) {
	if bytes.HasPrefix(line, []byte("Execution log for request")) {
		return time.Time{}, "", line, true
	}
	ts, msg, found := bytes.Cut(line, []byte(" : "))
	if !found || len(ts) != len(testInvokeLayout) {
		return time.Time{}, "", nil, false
	}
	at, err := time.Parse(testInvokeLayout, string(ts))
	if err != nil {
		return time.Time{}, "", nil, false
	}
	return at.UTC(), "", msg, true
}

package diagnose

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"
)

// The JSON exports: `aws logs filter-log-events` / `get-log-events` output,
// Logs Insights exports (JSON array, `get-query-results`), and the
// subscription-filter payload (format_subscription.go).
const (
	// FormatFilterLogEvents is `aws logs filter-log-events` (or
	// get-log-events) JSON output ({"events":[{"timestamp":..,
	// "message":..}]}), any log kind inside.
	FormatFilterLogEvents Format = "filter-log-events"
	// FormatInsightsJSON is a CloudWatch Logs Insights export: a JSON array
	// of objects with @timestamp and @message, or `aws logs
	// get-query-results` output ({"results":[[{"field":..,"value":..}]]}).
	FormatInsightsJSON Format = "insights-json"
)

var jsonDocumentFormat = fileFormat{
	name: "",
	detect: func(h *fileHead) bool {
		t := h.raw
		switch {
		case len(t) == 0:
			return false
		case t[0] == '[':
			// A JSON array of rows, not a runtime's "[ERROR] ..." line.
			rest := bytes.TrimLeft(t[1:], " \t\r\n")
			return len(rest) == 0 || rest[0] == '{' || rest[0] == '[' || rest[0] == ']'

		case reDocumentStart.Match(t):
			return true
		case t[0] == '{':
			// A pretty-printed document starts with "{" alone.
			return string(h.first()) == "{"
		}
		return false
	},
	read: func(e *Evidence, name string, br *bufio.Reader, sum *FileSummary, depth int) error {
		return e.readDocument(name, br, sum, depth)
	},
}

// reDocumentStart matches the first key of a JSON export document. A
// Logs Insights result's "status" counts only with one of its values (a
// query's state): an access-log record may start with its own "status",
// the answer's HTTP status.
var reDocumentStart = regexp.MustCompile(`^\s*\{\s*(?:"(events|results|searchedLogStreams|nextToken|nextForwardToken|nextBackwardToken|statistics|messageType|owner|logGroup|logStream|subscriptionFilters|logEvents|awslogs)"\s*:|"status"\s*:\s*"(Scheduled|Running|Complete|Failed|Cancelled|Timeout|Unknown)")`)

// errElementTooLarge stops a JSON export whose element exceeds the bound.
var errElementTooLarge = errors.New("JSON export element larger than the line bound")

// trackingReader counts newlines so a JSON decoder's offsets can be turned
// into line numbers, and refuses to feed one element beyond a limit. It
// keeps only the newline offsets the decoder has read ahead.
type trackingReader struct {
	r         io.Reader
	offset    int64
	newlines  []int64
	line      int // newlines before the last offset asked about
	sinceMark int64
	limit     int64
}

func (t *trackingReader) Read(p []byte) (int, error) {
	if t.sinceMark > t.limit {
		return 0, errElementTooLarge
	}
	n, err := t.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &readError{err}
	}
	for i, b := range p[:n] {
		if b == '\n' {
			t.newlines = append(t.newlines, t.offset+int64(i))
		}
	}
	t.offset += int64(n)
	t.sinceMark += int64(n)
	return n, err
}

// lineAt returns the 1-based line of offset off; offsets must not decrease
// between calls.
func (t *trackingReader) lineAt(off int64) int {
	i := 0
	for i < len(t.newlines) && t.newlines[i] < off {
		i++
	}
	t.line += i
	t.newlines = t.newlines[i:]
	return t.line + 1
}

func (t *trackingReader) mark() { t.sinceMark = 0 }

// documentReader walks a JSON export token by token.
type documentReader struct {
	e      *Evidence
	name   string
	sum    *FileSummary
	tr     *trackingReader
	dec    *json.Decoder
	depth  int
	stream string // a subscription payload's logStream
	// oneStream is set when the object being read holds a single log
	// stream: get-log-events output (its "nextForwardToken" and
	// "nextBackwardToken") or a subscription payload (its "logStream").
	oneStream bool
}

func (e *Evidence) readDocument(name string, br *bufio.Reader, sum *FileSummary, depth int) error {
	tr := &trackingReader{r: br, limit: 2*int64(e.opts.MaxLineBytes) + 64<<10}
	d := &documentReader{e: e, name: name, sum: sum, tr: tr, dec: json.NewDecoder(tr), depth: depth}
	d.dec.UseNumber()
	for {
		tok, err := d.dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return d.broken(err)
		}
		switch tok {
		case json.Delim('['):
			if sum.Format == "" {
				sum.Format = FormatInsightsJSON
			}
			if err := d.insightsArray(); err != nil {
				return d.broken(err)
			}
		case json.Delim('{'):
			if err := d.singleStreamAware(d.object); err != nil {
				return d.broken(err)
			}
		default:
			return fmt.Errorf("%s: %w (a JSON document that is neither an object nor an array)", name, ErrUnknownFormat)
		}
	}
	if sum.Format == "" {
		return fmt.Errorf("%s: %w (a JSON document without \"events\", \"results\" or \"logEvents\")", name, ErrUnknownFormat)
	}
	return nil
}

// singleStreamAware runs read (one top-level object: a file may hold
// several, as a Firehose delivery of subscription payloads does) and keeps
// the coverage its lines give only when the object holds more than one log
// stream. A Lambda log stream is one execution environment, and API
// Gateway spreads a stage's log events over many streams too: the lines
// of a single-stream export prove what they name, but say nothing of what
// the other streams logged meanwhile, so they are no evidence that no
// invocation started or that a request never arrived. Whether the object
// is one is known only once its keys are read (get-log-events writes its
// tokens after the events).
func (d *documentReader) singleStreamAware(read func() error) error {
	e := d.e
	outerLambda, outerGateway := e.lambdaSpan, e.gatewaySpan
	e.lambdaSpan, e.gatewaySpan = coverage{}, coverage{}
	d.oneStream = false
	err := read()
	if !d.oneStream {
		outerLambda.merge(e.lambdaSpan)
		outerGateway.merge(e.gatewaySpan)
	}
	e.lambdaSpan, e.gatewaySpan = outerLambda, outerGateway
	return err
}

// broken reports a JSON export that cannot be read further: a decoder
// cannot resynchronise after a syntax error, so the rest is lost and said so.
func (d *documentReader) broken(err error) error {
	var readErr *readError
	if errors.As(err, &readErr) {
		return err
	}
	pos := d.pos()
	d.e.addMalformed(pos, "JSON export unreadable from here on: "+err.Error(), nil)
	d.sum.Malformed++
	if d.sum.Format == "" {
		d.sum.Format = FormatMalformed
	}
	return nil
}

type readError struct{ err error }

func (r *readError) Error() string { return r.err.Error() }
func (r *readError) Unwrap() error { return r.err }

// pos is the line where the next value starts: the decoder's offset moved
// past the separators still in its buffer.
func (d *documentReader) pos() Position {
	off := d.dec.InputOffset()
	buf, _ := io.ReadAll(io.LimitReader(d.dec.Buffered(), 4096))
	for _, b := range buf {
		if b != ' ' && b != '\t' && b != '\r' && b != '\n' && b != ',' && b != ':' {
			break
		}
		off++
	}
	return Position{File: d.name, Line: d.tr.lineAt(off)}
}

// object reads the keys of a top-level object after its '{'.
func (d *documentReader) object() error {
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		switch key {
		case "events":
			d.setFormat(FormatFilterLogEvents)
			err = d.array(d.event)
		case "results":
			d.setFormat(FormatInsightsJSON)
			err = d.array(d.queryResultRow)
		case "logStream":
			d.oneStream = true
			err = d.dec.Decode(&d.stream)
		case "nextForwardToken", "nextBackwardToken":
			d.oneStream = true
			err = d.skip()
		case "logEvents":
			d.setFormat(FormatSubscription)
			err = d.array(d.event)
		case "awslogs":
			d.setFormat(FormatSubscription)
			err = d.awslogs()
		case "log":
			d.setFormat(FormatTestInvoke)
			err = d.testInvokeLog()
		default:
			err = d.skip()
		}
		if err != nil {
			return err
		}
	}
	_, err := d.dec.Token() // '}'
	return err
}

// nested reads a log held inside the document (decoded from one of its
// values) into the same summary; its lines are numbered within it, and a
// failure is reported at the value and does not stop the document.
func (d *documentReader) nested(what string, r io.Reader) {
	sub := FileSummary{Format: d.sum.Format}
	err := d.e.readStream(d.name, r, &sub, d.depth+1)
	d.sum.Lines += sub.Lines
	d.sum.Records += sub.Records
	d.sum.Ignored += sub.Ignored
	d.sum.Malformed += sub.Malformed
	if err != nil {
		d.e.addMalformed(d.pos(), fmt.Sprintf("%s unreadable: %v", what, err), nil)
		d.sum.Malformed++
	}
}

func (d *documentReader) setFormat(f Format) {
	if d.sum.Format == "" {
		d.sum.Format = f
	}
}

// array calls each for every element of the array that comes next.
func (d *documentReader) array(each func(Position) error) error {
	tok, err := d.dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("expected an array, found %v", tok)
	}
	for d.dec.More() {
		pos := d.pos()
		d.tr.mark()
		d.sum.Lines++
		if err := each(pos); err != nil {
			return err
		}
	}
	_, err = d.dec.Token() // ']'
	return err
}

// maxSkipDepth bounds the nesting of a value skip walks: the decoder keeps
// an entry per open bracket, so a value of nothing but "[" would otherwise
// hold memory in proportion to its length. It is encoding/json's own bound
// on the values it decodes.
const maxSkipDepth = 10000

// errTooDeep stops a JSON export whose nesting passes maxSkipDepth.
var errTooDeep = fmt.Errorf("JSON nested more than %d levels deep", maxSkipDepth)

// skip consumes one value token by token, holding no more than one token
// and one entry per level of nesting.
func (d *documentReader) skip() error {
	depth := 0
	for {
		d.tr.mark()
		tok, err := d.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if depth++; depth > maxSkipDepth {
				return errTooDeep
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// event reads one filter-log-events event.
func (d *documentReader) event(pos Position) error {
	var ev struct {
		Timestamp json.Number `json:"timestamp"`
		Message   *string     `json:"message"`
		Stream    string      `json:"logStreamName"`
	}
	if err := d.dec.Decode(&ev); err != nil {
		return d.elementError(pos, err)
	}
	if ev.Message == nil {
		d.e.addMalformed(pos, "filter-log-events event without a message", nil)
		d.sum.Malformed++
		return nil
	}
	var at time.Time
	if ms, err := ev.Timestamp.Int64(); err == nil {
		at, _ = epochMillis(ms)
	}
	stream := ev.Stream
	if stream == "" {
		stream = d.stream
	}
	d.e.addMessage(d.sum, pos, at, stream, []byte(*ev.Message))
	return nil
}

// elementError keeps going after a type error (the decoder consumed the
// value) and stops after a syntax error.
func (d *documentReader) elementError(pos Position, err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		d.e.addMalformed(pos, err.Error(), nil)
		d.sum.Malformed++
		return nil
	}
	return err
}

// insightsArray reads a Logs Insights JSON export after its '['.
func (d *documentReader) insightsArray() error {
	for d.dec.More() {
		pos := d.pos()
		d.tr.mark()
		d.sum.Lines++
		var row map[string]json.RawMessage
		if err := d.dec.Decode(&row); err != nil {
			if err := d.elementError(pos, err); err != nil {
				return err
			}
			continue
		}
		d.insightsRow(pos, row)
	}
	_, err := d.dec.Token() // ']'
	return err
}

// queryResultRow reads one row of get-query-results: [{"field","value"}...].
func (d *documentReader) queryResultRow(pos Position) error {
	var cells []struct {
		Field string          `json:"field"`
		Value json.RawMessage `json:"value"`
	}
	if err := d.dec.Decode(&cells); err != nil {
		return d.elementError(pos, err)
	}
	row := make(map[string]json.RawMessage, len(cells))
	for _, c := range cells {
		row[c.Field] = c.Value
	}
	d.insightsRow(pos, row)
	return nil
}

// insightsRow handles one Logs Insights row: its @message, or, when the
// query selected fields instead, the row itself as a JSON record.
func (d *documentReader) insightsRow(pos Position, row map[string]json.RawMessage) {
	var at time.Time
	if raw, ok := row["@timestamp"]; ok {
		var s logValue
		if json.Unmarshal(raw, &s) == nil {
			at, _ = parseTime(s.text)
		}
	}
	if raw, ok := row["@message"]; ok {
		var msg string
		if err := json.Unmarshal(raw, &msg); err != nil {
			d.e.addMalformed(pos, "@message is not a string", raw)
			d.sum.Malformed++
			return
		}
		d.e.addMessage(d.sum, pos, at, rowStream(row), []byte(msg))
		return
	}
	if line, ok := executionRow(row); ok {
		d.e.addMessage(d.sum, pos, at, rowStream(row), line)
		return
	}
	d.e.addMessage(d.sum, pos, at, rowStream(row), fieldsAsRecord(row))
}

// rowStream is a Logs Insights row's @logStream, "" when not selected.
func rowStream(row map[string]json.RawMessage) string {
	var s string
	if raw, ok := row["@logStream"]; ok {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

// executionRow rebuilds the execution-log line of a row from a query that
// parsed it as the troubleshooting guide does (parse @message '(*) *' as
// reqId, message) and displays those fields instead of @message.
func executionRow(row map[string]json.RawMessage) ([]byte, bool) {
	rawID, okID := row["reqId"]
	rawMsg, okMsg := row["message"]
	if !okID || !okMsg {
		return nil, false
	}
	var id, msg string
	if json.Unmarshal(rawID, &id) != nil || json.Unmarshal(rawMsg, &msg) != nil || id == "" {
		return nil, false
	}
	return []byte("(" + id + ") " + msg), true
}

// fieldsAsRecord turns a row of selected fields into a JSON object without
// the @-prefixed ones, so it classifies like the log line it came from.
func fieldsAsRecord(row map[string]json.RawMessage) []byte {
	obj := make(map[string]json.RawMessage, len(row))
	for k, v := range row {
		if !bytes.HasPrefix([]byte(k), []byte("@")) {
			obj[k] = v
		}
	}
	b, _ := json.Marshal(obj)
	return b
}

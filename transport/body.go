package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"
)

// DefaultBodyLimit is how much of a request body without GetBody the
// transport buffers so that it can send it again: 1 MiB.
const DefaultBodyLimit = 1 << 20

// drainLimit is how much of a discarded response body is read before it is
// closed, so that a small answer leaves its connection reusable.
const drainLimit = 4 << 10

// ErrorBodyWait bounds, in time, the transport's own reads of a response
// body: the peek at an error answer's first bytes (for classification) and
// the drain of a body that will not be returned (to reuse its connection).
// It is 100 ms. A peek that runs out of time classifies with the bytes that
// arrived and leaves the rest of the body, unread and intact, to the
// caller; a drain that runs out of time ends the attempt's context and
// closes the body, giving up its connection. A stalled error body therefore
// never holds RoundTrip, a retry or a winning hedge for longer than this.
const ErrorBodyWait = 100 * time.Millisecond

// replay produces the body of each attempt, with the same bytes every time.
type replay struct {
	given      io.ReadCloser                 // the caller's body, sent by the first attempt when it cannot be buffered
	getBody    func() (io.ReadCloser, error) // a fresh copy for each later attempt; nil: no body or not replayable
	replayable bool
	unread     io.ReadCloser // the caller's body, still to be buffered by fill
}

// errBodyRead marks a request body that failed while it was being buffered:
// nothing was sent.
var errBodyRead = errors.New("retryscope: reading the request body")

// newReplay prepares req's body for replay. It uses req.GetBody when set;
// otherwise fill buffers the body once the call's first attempt is
// admitted, so that a call waiting for its host holds no copy of it. The
// caller's body is always closed, by the base transport that sends it or
// by close.
func newReplay(req *http.Request) replay {
	switch {
	case req.Body == nil || req.Body == http.NoBody:
		return replay{replayable: true}
	case req.GetBody != nil:
		return replay{given: req.Body, getBody: req.GetBody, replayable: true}
	}
	return replay{unread: req.Body}
}

// fill buffers the body newReplay left unread, up to limit bytes. A larger
// body is sent once, as it is, and marked not replayable. It fails, having
// closed the body, when the body's Read fails.
func (r *replay) fill(limit int64) error {
	body := r.unread
	r.unread = nil
	n := limit + 1 // one byte more tells a body over the limit
	if n <= 0 {
		n = math.MaxInt64
	}
	buf, err := io.ReadAll(io.LimitReader(body, n))
	if err != nil {
		body.Close()
		return fmt.Errorf("%w: %w", errBodyRead, err)
	}
	if int64(len(buf)) > limit {
		// Too large to keep: send what was read followed by the rest, once.
		r.given = &prefixedBody{prefix: buf, rest: body}
		return nil
	}
	body.Close()
	r.replayable, r.getBody = true, func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(buf)), nil
	}
	return nil
}

// inMemoryLen returns the unread length of a body that is one of the
// in-memory readers net/http recognises (*bytes.Reader, *bytes.Buffer,
// *strings.Reader, as they are or in io.NopCloser), and whether it is one.
func inMemoryLen(r io.Reader) (int64, bool) {
	switch v := r.(type) {
	case *bytes.Reader:
		return int64(v.Len()), true
	case *strings.Reader:
		return int64(v.Len()), true
	case *bytes.Buffer:
		return int64(v.Len()), true
	case nil:
		return 0, false
	}
	if t := reflect.TypeOf(r); t == nopCloserType || t == nopCloserWriterToType {
		return inMemoryLen(reflect.ValueOf(r).Field(0).Interface().(io.Reader))
	}
	return 0, false
}

var (
	nopCloserType         = reflect.TypeOf(io.NopCloser(nil))
	nopCloserWriterToType = reflect.TypeOf(io.NopCloser(struct {
		io.Reader
		io.WriterTo
	}{}))
)

// checkLength fails, before anything is sent, an in-memory body whose
// length is not the request's ContentLength (when that is set): the base
// would send a truncated request and fail. The body is closed then.
func checkLength(body io.ReadCloser, contentLength int64) error {
	n, ok := inMemoryLen(body)
	if !ok || contentLength <= 0 || n == contentLength {
		return nil
	}
	body.Close()
	return fmt.Errorf("%w: ContentLength=%d with a body of %d bytes", errBodyRead, contentLength, n)
}

// stage produces the next attempt's body now, so that a retry whose body
// cannot be produced (GetBody fails, or gives an in-memory body whose
// length is not contentLength: see checkLength) is known before the
// previous answer is let go.
func (r *replay) stage(contentLength int64) error {
	if r.given != nil || r.getBody == nil {
		return nil
	}
	b, err := r.getBody()
	if err != nil {
		return fmt.Errorf("%w: GetBody: %w", errBodyRead, err)
	}
	if b == nil {
		b = http.NoBody
	} else if err := checkLength(b, contentLength); err != nil {
		return err
	}
	r.given = b
	return nil
}

// body returns the body for the next attempt and the GetBody to set on its
// request (so that the base transport can rewind for its own retries).
func (r *replay) body() (io.ReadCloser, func() (io.ReadCloser, error), error) {
	if r.given != nil {
		b := r.given
		r.given = nil
		return b, r.getBody, nil
	}
	if r.getBody == nil {
		return nil, nil, nil
	}
	b, err := r.getBody()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: GetBody: %w", errBodyRead, err)
	}
	return b, r.getBody, nil
}

// close releases the caller's body, or a staged one, if no attempt took it.
func (r *replay) close() {
	if r.given != nil {
		r.given.Close()
		r.given = nil
	}
	if r.unread != nil {
		r.unread.Close()
		r.unread = nil
	}
}

// prefixedBody reads prefix, then rest; Close closes rest. It serves both a
// request body too large to buffer and a response body whose first bytes
// were read for classification.
type prefixedBody struct {
	prefix []byte
	rest   io.ReadCloser
}

func (b *prefixedBody) Read(p []byte) (int, error) {
	if len(b.prefix) > 0 {
		n := copy(p, b.prefix)
		b.prefix = b.prefix[n:]
		return n, nil
	}
	return b.rest.Read(p)
}

func (b *prefixedBody) Close() error { return b.rest.Close() }

// peek reads up to n bytes of resp's body for classification and puts them
// back in front of the rest, so the caller still reads the body whole. A
// read error is kept for the caller: it surfaces after the prefix. The peek
// waits at most ErrorBodyWait: a body that stalls is classified with what
// arrived, and the read still running is handed over to the caller's first
// Read (nothing is lost).
func peek(resp *http.Response, n int) []byte {
	if resp.Body == nil || resp.Body == http.NoBody || n <= 0 {
		return nil
	}
	if resp.ContentLength >= 0 && resp.ContentLength < int64(n) {
		n = int(resp.ContentLength)
	}
	body := resp.Body
	buf := make([]byte, n)
	// Each read runs on its own goroutine so that the wait can be bounded;
	// error answers only come here, the success path never does.
	results := make(chan readResult, 1)
	var timer *time.Timer
	// Not io.ReadFull: it turns an early io.EOF into io.ErrUnexpectedEOF,
	// which could then not be told from a body cut short.
	got := 0
	var err error
	for got < n && err == nil {
		p := buf[got:]
		go func() {
			m, err := body.Read(p)
			results <- readResult{m, err}
		}()
		if timer == nil {
			timer = time.NewTimer(ErrorBodyWait)
			defer timer.Stop()
		}
		select {
		case r := <-results:
			got += r.n
			err = r.err
		case <-timer.C:
			resp.Body = &prefixedBody{prefix: buf[:got], rest: &pendingBody{rest: body, results: results, buf: p}}
			return buf[:got]
		}
	}
	buf = buf[:got]
	switch err {
	case nil:
		resp.Body = &prefixedBody{prefix: buf, rest: body}
	case io.EOF:
		// The whole body is in buf.
		resp.Body = &prefixedBody{prefix: buf, rest: eofBody{body}}
	default:
		// Cut short or failed: the caller sees the error after the prefix.
		resp.Body = &prefixedBody{prefix: buf, rest: errBody{body, err}}
	}
	return buf
}

type readResult struct {
	n   int
	err error
}

// pendingBody is the rest of a body whose peek stopped waiting while a read
// was still running: its first Read takes that read's bytes and error.
// Close closes the body under the running read (net/http's bodies allow
// it), which ends that read; it does not wait for it.
type pendingBody struct {
	rest    io.ReadCloser
	results chan readResult // the running read; nil once taken
	buf     []byte          // that read's buffer, then its bytes not yet returned
	err     error           // that read's error, returned after buf
}

func (b *pendingBody) Read(p []byte) (int, error) {
	if b.results != nil {
		r := <-b.results
		b.results = nil
		b.buf, b.err = b.buf[:r.n], r.err
	}
	if len(b.buf) > 0 {
		n := copy(p, b.buf)
		b.buf = b.buf[n:]
		return n, nil
	}
	if b.err != nil {
		return 0, b.err
	}
	return b.rest.Read(p)
}

func (b *pendingBody) Close() error { return b.rest.Close() }

// eofBody answers io.EOF and closes the underlying body.
type eofBody struct{ io.Closer }

func (eofBody) Read([]byte) (int, error) { return 0, io.EOF }

// errBody replays a read error that happened while peeking.
type errBody struct {
	io.Closer
	err error
}

func (b errBody) Read([]byte) (int, error) { return 0, b.err }

// discard drains a little of a response body that will not be returned and
// closes it, so a small answer's connection goes back to the pool. It takes
// at most about ErrorBodyWait: a body still not done by then is closed under
// the read, which ends it.
func discard(resp *http.Response) { drain(resp, nil) }

// drain is discard that also ends the attempt's context (abort, when not
// nil) if the body is not done in time, so that any read unblocks.
func drain(resp *http.Response, abort context.CancelFunc) {
	if resp == nil || resp.Body == nil {
		return
	}
	body := resp.Body
	if body == http.NoBody {
		body.Close()
		return
	}
	var once sync.Once
	closeBody := func() { once.Do(func() { body.Close() }) }
	timer := time.AfterFunc(ErrorBodyWait, func() {
		if abort != nil {
			abort()
		}
		closeBody()
	})
	io.CopyN(io.Discard, body, drainLimit)
	timer.Stop()
	closeBody()
}

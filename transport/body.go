package transport

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
)

// DefaultBodyLimit is how much of a request body without GetBody the
// transport buffers so that it can send it again: 1 MiB.
const DefaultBodyLimit = 1 << 20

// drainLimit is how much of a discarded response body is read before it is
// closed, so that a small answer leaves its connection reusable.
const drainLimit = 4 << 10

// replay produces the body of each attempt, with the same bytes every time.
type replay struct {
	given      io.ReadCloser                 // the caller's body, sent by the first attempt when it cannot be buffered
	getBody    func() (io.ReadCloser, error) // a fresh copy for each later attempt; nil: no body or not replayable
	replayable bool
}

// errBodyRead marks a request body that failed while it was being buffered:
// nothing was sent.
var errBodyRead = errors.New("retryscope: reading the request body")

// newReplay prepares req's body for replay. It uses req.GetBody when set;
// otherwise it buffers up to limit bytes. A larger body is sent once, as it
// is, and marked not replayable. The caller's body is always closed, by the
// base transport that sends it or by close.
func newReplay(req *http.Request, limit int64) (replay, error) {
	switch {
	case req.Body == nil || req.Body == http.NoBody:
		return replay{replayable: true}, nil
	case req.GetBody != nil:
		return replay{given: req.Body, getBody: req.GetBody, replayable: true}, nil
	}
	n := limit + 1 // one byte more tells a body over the limit
	if n <= 0 {
		n = math.MaxInt64
	}
	buf, err := io.ReadAll(io.LimitReader(req.Body, n))
	if err != nil {
		req.Body.Close()
		return replay{}, fmt.Errorf("%w: %w", errBodyRead, err)
	}
	if int64(len(buf)) > limit {
		// Too large to keep: send what was read followed by the rest, once.
		return replay{given: &prefixedBody{prefix: buf, rest: req.Body}}, nil
	}
	req.Body.Close()
	return replay{replayable: true, getBody: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(buf)), nil
	}}, nil
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

// close releases the caller's body if no attempt took it.
func (r *replay) close() {
	if r.given != nil {
		r.given.Close()
		r.given = nil
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
// read error is kept for the caller: it surfaces after the prefix.
func peek(resp *http.Response, n int) []byte {
	if resp.Body == nil || resp.Body == http.NoBody || n <= 0 {
		return nil
	}
	if resp.ContentLength >= 0 && resp.ContentLength < int64(n) {
		n = int(resp.ContentLength)
	}
	buf := make([]byte, n)
	// Not io.ReadFull: it turns an early io.EOF into io.ErrUnexpectedEOF,
	// which could then not be told from a body cut short.
	got := 0
	var err error
	for got < n && err == nil {
		var m int
		m, err = resp.Body.Read(buf[got:])
		got += m
	}
	buf = buf[:got]
	switch err {
	case nil:
		resp.Body = &prefixedBody{prefix: buf, rest: resp.Body}
	case io.EOF:
		// The whole body is in buf.
		resp.Body = &prefixedBody{prefix: buf, rest: eofBody{resp.Body}}
	default:
		// Cut short or failed: the caller sees the error after the prefix.
		resp.Body = &prefixedBody{prefix: buf, rest: errBody{resp.Body, err}}
	}
	return buf
}

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
// closes it, so a small answer's connection goes back to the pool.
func discard(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	io.CopyN(io.Discard, resp.Body, drainLimit)
	resp.Body.Close()
}

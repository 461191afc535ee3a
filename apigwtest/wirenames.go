package apigwtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"sync"
)

// A REST API hands the function each header under the name the client
// wrote, but Go's server canonicalises the names it parses. The emulator
// therefore reads the names off the connection as the bytes pass: a
// wireConn follows the HTTP/1.1 framing of what the server reads (header
// block, then a Content-Length or chunked body, then the next request)
// and queues the names of each header block; the handler takes the
// queue's first entry that fits its request. When it cannot tell (a
// framing it does not follow, a request the server answered without the
// handler, a TLS connection from a listener given with WithListener), the
// canonical names stand.

// wireListener wraps the connections it accepts in wireConns.
type wireListener struct{ net.Listener }

func (l wireListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if _, ok := c.(*tls.Conn); ok {
		// net/http must see the TLS connection to negotiate HTTP/2 and
		// fill Request.TLS: its names stay canonical.
		return c, nil
	}
	w := &wireConn{Conn: c}
	if _, ok := c.(closeWriter); ok {
		// net/http half-closes a connection that has a CloseWrite
		// method; one that has none must not seem to.
		return &wireConnCloseWrite{w}, nil
	}
	return w, nil
}

type closeWriter interface{ CloseWrite() error }

// wireConnCloseWrite is a wireConn over a connection that can half-close.
type wireConnCloseWrite struct{ *wireConn }

func (c *wireConnCloseWrite) CloseWrite() error { return c.Conn.(closeWriter).CloseWrite() }

// wireConnKey is the context key under which a request finds its wireConn.
type wireConnKey struct{}

// connContext is the http.Server's ConnContext.
func connContext(ctx context.Context, c net.Conn) context.Context {
	switch w := c.(type) {
	case *wireConn:
		return context.WithValue(ctx, wireConnKey{}, w)
	case *wireConnCloseWrite:
		return context.WithValue(ctx, wireConnKey{}, w.wireConn)
	}
	return ctx
}

// Framing states of a wireConn.
const (
	wireHeader    = iota // the request line and header fields
	wireBody             // Content-Length bytes
	wireChunkSize        // a chunk-size line
	wireChunkData        // chunk data
	wireChunkEnd         // the CRLF after chunk data
	wireTrailer          // trailer fields up to the empty line
	wireLost             // a framing it cannot follow: it stops
)

// maxWireLine bounds a line kept while reading a header block: net/http's
// default limit on header bytes and the slack it allows.
const maxWireLine = http.DefaultMaxHeaderBytes + 4096

// wireConn records the header names of the requests read from it.
type wireConn struct {
	net.Conn

	// Read's own state, touched only by the reading goroutine (net/http
	// reads a connection from one goroutine at a time).
	state   int
	line    []byte   // the current line, up to its LF
	sawLine bool     // the request line of this block is read
	names   []string // this block's field names, as written
	length  int64    // Content-Length, -1 when absent
	chunked bool
	left    int64 // body or chunk bytes still to skip

	mu     sync.Mutex
	queued [][]string // header blocks read, oldest first
}

func (c *wireConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && c.state != wireLost {
		c.follow(b[:n])
	}
	return n, err
}

// follow advances the framing over p.
func (c *wireConn) follow(p []byte) {
	for len(p) > 0 && c.state != wireLost {
		switch c.state {
		case wireBody, wireChunkData:
			k := int64(len(p))
			if k > c.left {
				k = c.left
			}
			c.left -= k
			p = p[k:]
			if c.left == 0 {
				if c.state == wireBody {
					c.state = wireHeader
				} else {
					c.state = wireChunkEnd
				}
			}
		default:
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				c.appendLine(p)
				return
			}
			c.appendLine(p[:i])
			p = p[i+1:]
			c.endLine(bytes.TrimSuffix(c.line, []byte("\r")))
			c.line = c.line[:0]
		}
	}
}

func (c *wireConn) appendLine(p []byte) {
	if len(c.line)+len(p) > maxWireLine {
		c.state = wireLost
		return
	}
	c.line = append(c.line, p...)
}

// endLine takes one line (its CRLF removed) in a line-oriented state.
func (c *wireConn) endLine(l []byte) {
	switch c.state {
	case wireHeader:
		switch {
		case !c.sawLine:
			// net/http skips empty lines before a request only after a
			// request with a body; elsewhere it refuses the request and
			// closes the connection, so skipping them here is harmless.
			if len(l) > 0 {
				c.sawLine, c.names, c.length, c.chunked = true, c.names[:0], -1, false
			}
		case len(l) == 0:
			c.endBlock()
		case l[0] == ' ' || l[0] == '\t':
			// an obsolete line folding: the value goes on
		default:
			i := bytes.IndexByte(l, ':')
			if i <= 0 {
				c.state = wireLost
				return
			}
			name := string(l[:i])
			c.names = append(c.names, name)
			v := bytes.TrimSpace(l[i+1:])
			switch textproto.CanonicalMIMEHeaderKey(name) {
			case "Content-Length":
				n, err := strconv.ParseInt(string(v), 10, 64)
				if err != nil || n < 0 {
					c.state = wireLost
					return
				}
				c.length = n
			case "Transfer-Encoding":
				c.chunked = bytes.EqualFold(v, []byte("chunked"))
				if !c.chunked {
					c.state = wireLost // net/http refuses any other
				}
			}
		}
	case wireChunkSize:
		size := l
		if i := bytes.IndexByte(size, ';'); i >= 0 {
			size = size[:i]
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		switch {
		case err != nil || n < 0:
			c.state = wireLost
		case n == 0:
			c.state = wireTrailer
		default:
			c.state, c.left = wireChunkData, n
		}
	case wireChunkEnd:
		c.state = wireChunkSize
	case wireTrailer:
		if len(l) == 0 {
			c.state = wireHeader
		}
	}
}

// endBlock queues the header block just read and moves to its body.
func (c *wireConn) endBlock() {
	c.mu.Lock()
	c.queued = append(c.queued, append([]string(nil), c.names...))
	c.mu.Unlock()
	c.sawLine = false
	switch {
	case c.chunked:
		c.state = wireChunkSize
	case c.length > 0:
		c.state, c.left = wireBody, c.length
	}
}

// wireName is a header name as written and in canonical form.
type wireName struct{ raw, canonical string }

// take returns the names of the first queued header block that fits h,
// each canonical name once (its first spelling), and drops the blocks
// before it: those of requests net/http answered itself. It is nil when
// none fits.
func (c *wireConn) take(h http.Header) []wireName {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.queued) > 0 {
		names := c.queued[0]
		c.queued[0] = nil
		c.queued = c.queued[1:]
		if w, ok := fit(names, h); ok {
			return w
		}
	}
	return nil
}

// fit reports whether a header block's names are those of h: every name
// is a key of h (but those net/http takes out of it: Host, and the
// framing fields of a chunked body), and every key of h is named (but
// Cache-Control, which net/http adds beside "Pragma: no-cache").
func fit(names []string, h http.Header) ([]wireName, bool) {
	w := make([]wireName, 0, len(names))
	// Past a few names a set: a search of w per name would make a block
	// of many names (a client may send 100000 within net/http's bound)
	// quadratic.
	var seen map[string]bool
	if len(names) > 16 {
		seen = make(map[string]bool, len(names))
	}
	named := 0
	for _, n := range names {
		k := textproto.CanonicalMIMEHeaderKey(n)
		if seen != nil {
			if seen[k] {
				continue
			}
			seen[k] = true
		} else if slices.ContainsFunc(w, func(x wireName) bool { return x.canonical == k }) {
			continue
		}
		w = append(w, wireName{n, k})
		if _, ok := h[k]; ok {
			named++
		} else if k != "Host" && k != "Transfer-Encoding" && k != "Content-Length" {
			return nil, false
		}
	}
	_, added := h["Cache-Control"]
	if named != len(h) && !(added && named == len(h)-1) {
		return nil, false
	}
	return w, true
}

// wireNames returns the names of r's header as written, or nil when they
// are unknown. It must be called once for each request the handler
// serves, so that the queue stays in step with the requests.
func wireNames(r *http.Request) []wireName {
	c, ok := r.Context().Value(wireConnKey{}).(*wireConn)
	if !ok {
		return nil
	}
	return c.take(r.Header)
}

package benchmarks

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// pipeNet is an in-memory network with one listener: DialContext hands the
// listener one end of a connection pair and returns the other. Created
// inside a synctest bubble, everything it waits on belongs to that bubble
// (channels, sync.Cond, timers), so a goroutine waiting on it is durably
// blocked and virtual time advances.
type pipeNet struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
	// newPair makes a connection's two ends: memPipe (buffered), or
	// net.Pipe (synchronous: every Write waits for the reader).
	newPair func() (client, server net.Conn)
}

// newPipeNet is the engine's network: buffered in-memory connections.
func newPipeNet() *pipeNet { return newPipeNetWith(memPipe) }

// newNetPipeNet is the engine's network before memPipe, over net.Pipe:
// kept to compare the two (BenchmarkEngine's /net.Pipe cases).
func newNetPipeNet() *pipeNet { return newPipeNetWith(net.Pipe) }

func newPipeNetWith(pair func() (net.Conn, net.Conn)) *pipeNet {
	return &pipeNet{conns: make(chan net.Conn), closed: make(chan struct{}), newPair: pair}
}

// pipeAddr is the address of every end: the emulator's host name.
type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return pipeHost }

// pipeHost is the emulator's host in virtual runs (URLs, breakers' keys).
const pipeHost = "apigw.bench"

// Accept returns the server's end of the next dialled connection.
func (p *pipeNet) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns:
		return c, nil
	case <-p.closed:
		return nil, net.ErrClosed
	}
}

// Close stops Accept and DialContext; connections already made stay open.
func (p *pipeNet) Close() error {
	p.once.Do(func() { close(p.closed) })
	return nil
}

// Addr is pipeAddr.
func (p *pipeNet) Addr() net.Addr { return pipeAddr{} }

// DialContext connects to the listener, whatever the address.
func (p *pipeNet) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := p.newPair()
	select {
	case p.conns <- server:
		return client, nil
	case <-p.closed:
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
	client.Close()
	server.Close()
	return nil, &net.OpError{Op: "dial", Net: "pipe", Err: net.ErrClosed}
}

// memPipe returns the two ends of a buffered in-memory connection: like
// net.Pipe, but a Write copies into the other end's buffer (up to
// pipeBuffer unread bytes) and returns without waiting for a reader, as a
// socket's send buffer does, so an HTTP
// request or response costs one goroutine hand-off instead of one per
// Write and Read pair. Readers wait on a sync.Cond, deadlines are timers
// started only when a reader has to wait, which synctest counts as durably
// blocked. The errors are net.Pipe's: io.EOF after the other end closed
// and the buffer is drained, io.ErrClosedPipe on a closed end or a write
// to one whose peer closed, os.ErrDeadlineExceeded past a deadline.
func memPipe() (net.Conn, net.Conn) {
	a, b := newPipeHalf(), newPipeHalf()
	return &memConn{in: a, out: b}, &memConn{in: b, out: a}
}

// pipeHalf is one direction of a memPipe: what one end wrote and the other
// has not read yet.
type pipeHalf struct {
	mu   sync.Mutex
	cond sync.Cond // signalled on data, close and deadline changes
	buf  []byte
	off  int // buf[off:] is unread
	// wclosed: the writing end closed (the reader gets io.EOF once it has
	// drained buf); rclosed: the reading end closed.
	wclosed, rclosed bool
	deadline         time.Time // the reader's; zero: none
	timer            *time.Timer
	timerAt          time.Time // when timer fires; zero: not armed
}

func newPipeHalf() *pipeHalf {
	h := &pipeHalf{}
	h.cond.L = &h.mu
	return h
}

// memConn is one end of a memPipe: it reads from in and writes to out.
type memConn struct {
	in, out *pipeHalf
	// wdeadline is the write deadline; writes never wait, so it only makes
	// a Write after it fail.
	wmu       sync.Mutex
	wdeadline time.Time
}

func (c *memConn) Read(b []byte) (int, error) {
	h := c.in
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		switch {
		case h.rclosed:
			return 0, io.ErrClosedPipe
		case h.off < len(h.buf):
			n := copy(b, h.buf[h.off:])
			h.off += n
			if h.off == len(h.buf) {
				h.buf, h.off = h.buf[:0], 0
			}
			h.cond.Broadcast() // a writer may wait for room
			return n, nil
		case h.wclosed:
			return 0, io.EOF
		case len(b) == 0:
			return 0, nil
		}
		if !h.deadline.IsZero() {
			d := time.Until(h.deadline)
			if d <= 0 {
				return 0, os.ErrDeadlineExceeded
			}
			h.armLocked(d)
		}
		h.cond.Wait()
	}
}

// armLocked makes sure a timer wakes the readers at the deadline, d from
// now; one timer per direction, reset only when the deadline moved.
func (h *pipeHalf) armLocked(d time.Duration) {
	if h.timerAt.Equal(h.deadline) {
		return
	}
	h.timerAt = h.deadline
	if h.timer == nil {
		h.timer = time.AfterFunc(d, h.wake)
		return
	}
	h.timer.Reset(d)
}

func (h *pipeHalf) wake() {
	h.mu.Lock()
	h.timerAt = time.Time{}
	h.cond.Broadcast()
	h.mu.Unlock()
}

// pipeBuffer bounds what one direction of a memPipe holds unread, as a
// socket's buffers do: a Write beyond it waits for the reader.
const pipeBuffer = 256 << 10

func (c *memConn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	wd := c.wdeadline
	c.wmu.Unlock()
	h := c.out
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for {
		switch {
		case h.wclosed, h.rclosed:
			return n, io.ErrClosedPipe
		case !wd.IsZero() && !time.Now().Before(wd):
			return n, os.ErrDeadlineExceeded
		}
		room := pipeBuffer - (len(h.buf) - h.off)
		if room > 0 {
			k := min(room, len(b)-n)
			if h.off > 0 && len(h.buf)+k > cap(h.buf) {
				// Move the unread bytes to the front instead of growing.
				h.buf = h.buf[:copy(h.buf, h.buf[h.off:])]
				h.off = 0
			}
			h.buf = append(h.buf, b[n:n+k]...)
			n += k
			h.cond.Broadcast()
			if n == len(b) {
				return n, nil
			}
		}
		// Full: wait for the reader (a write deadline is checked only
		// when the writer wakes; net/http sets none here).
		h.cond.Wait()
	}
}

// Close closes both directions of this end: its own reads fail, the peer
// reads what is buffered and then io.EOF, and the peer's writes fail.
func (c *memConn) Close() error {
	for _, h := range []*pipeHalf{c.in, c.out} {
		h.mu.Lock()
		if h == c.in {
			h.rclosed = true
			h.buf, h.off = nil, 0
		} else {
			h.wclosed = true
		}
		if h.timer != nil {
			h.timer.Stop()
			h.timerAt = time.Time{}
		}
		h.cond.Broadcast()
		h.mu.Unlock()
	}
	return nil
}

func (c *memConn) LocalAddr() net.Addr  { return pipeAddr{} }
func (c *memConn) RemoteAddr() net.Addr { return pipeAddr{} }

func (c *memConn) SetDeadline(t time.Time) error {
	_ = c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

// SetReadDeadline wakes a waiting reader, which fails at once if t has
// passed (net/http aborts its background read so) or waits until t.
func (c *memConn) SetReadDeadline(t time.Time) error {
	h := c.in
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rclosed {
		return io.ErrClosedPipe
	}
	h.deadline = t
	h.cond.Broadcast()
	return nil
}

func (c *memConn) SetWriteDeadline(t time.Time) error {
	c.wmu.Lock()
	c.wdeadline = t
	c.wmu.Unlock()
	return nil
}

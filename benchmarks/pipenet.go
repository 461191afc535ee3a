package benchmarks

import (
	"context"
	"net"
	"sync"
)

// pipeNet is an in-memory network with one listener: DialContext hands the
// listener one end of a net.Pipe and returns the other. Created inside a
// synctest bubble, its connections are channels of that bubble, so a
// goroutine waiting on one is durably blocked and virtual time advances.
type pipeNet struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeNet() *pipeNet {
	return &pipeNet{conns: make(chan net.Conn), closed: make(chan struct{})}
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
	client, server := net.Pipe()
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

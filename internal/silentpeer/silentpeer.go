// Package silentpeer gives tests a TCP peer that accepts connections and
// never writes or reads a byte: a server that hangs in the TLS handshake,
// a Redis that never answers.
package silentpeer

import (
	"net"
	"sync"
	"testing"
)

// Start listens on a loopback port and returns its address (host:port).
// Every connection it accepts is held open, silent, until the test ends;
// then the listener and the connections are closed and its goroutine has
// returned.
func Start(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

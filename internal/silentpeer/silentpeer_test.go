package silentpeer

import (
	"net"
	"testing"
	"time"
)

// TestSilent: a connection is accepted and then hears nothing.
func TestSilent(t *testing.T) {
	c, err := net.Dial("tcp", Start(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("read %d bytes, %v; want a timeout", n, err)
	}
}

package benchmarks

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// memPipe's ends behave as net.Pipe's do, except that a Write does not
// wait for its reader.
func TestMemPipe(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		a, b := memPipe()
		// Writes return at once; the reader gets the bytes in order, in as
		// many reads as its buffer needs.
		for _, s := range []string{"hello ", "world"} {
			if n, err := a.Write([]byte(s)); n != len(s) || err != nil {
				t.Fatalf("Write(%q) = %d, %v", s, n, err)
			}
		}
		buf := make([]byte, 4)
		var got []byte
		for len(got) < len("hello world") {
			n, err := b.Read(buf)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			got = append(got, buf[:n]...)
		}
		if string(got) != "hello world" {
			t.Fatalf("read %q", got)
		}
		// A reader waits for a writer (durably: synctest.Wait returns).
		read := make(chan string)
		go func() {
			n, _ := b.Read(buf)
			read <- string(buf[:n])
		}()
		synctest.Wait()
		select {
		case s := <-read:
			t.Fatalf("Read returned %q before any write", s)
		default:
		}
		_, _ = a.Write([]byte("x"))
		if s := <-read; s != "x" {
			t.Fatalf("read %q, want x", s)
		}
		// Close: the peer drains what was written, then io.EOF; writes to
		// a closed end or its peer fail; reads on the closed end fail.
		_, _ = a.Write([]byte("last"))
		a.Close()
		if n, err := b.Read(buf); string(buf[:n]) != "last" || err != nil {
			t.Fatalf("after close: Read = %q, %v; want the buffered bytes", buf[:n], err)
		}
		if _, err := b.Read(buf); err != io.EOF {
			t.Fatalf("after close and drain: Read error %v, want io.EOF", err)
		}
		if _, err := b.Write([]byte("y")); err != io.ErrClosedPipe {
			t.Fatalf("write to a closed peer: %v, want io.ErrClosedPipe", err)
		}
		if _, err := a.Write([]byte("y")); err != io.ErrClosedPipe {
			t.Fatalf("write on a closed end: %v, want io.ErrClosedPipe", err)
		}
		if _, err := a.Read(buf); err != io.ErrClosedPipe {
			t.Fatalf("read on a closed end: %v, want io.ErrClosedPipe", err)
		}
		b.Close()
	})
}

// A read deadline ends a waiting Read at its instant with a timeout error;
// one set in the past ends it at once (net/http's server aborts its
// background read so); moving it away lets the reader wait on.
func TestMemPipeDeadlines(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		a, b := memPipe()
		defer a.Close()
		defer b.Close()
		start := time.Now()
		_ = b.SetReadDeadline(start.Add(3 * time.Second))
		_, err := b.Read(make([]byte, 1))
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("Read past its deadline: %v, want a timeout (os.ErrDeadlineExceeded)", err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Fatalf("Read returned after %v, want 3s", d)
		}

		// A deadline set in the past wakes a waiting reader at once.
		_ = b.SetReadDeadline(time.Time{})
		done := make(chan error)
		go func() {
			_, err := b.Read(make([]byte, 1))
			done <- err
		}()
		synctest.Wait()
		_ = b.SetReadDeadline(time.Unix(1, 0))
		if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read after a past deadline: %v", err)
		}

		// A deadline moved later while a reader waits: the reader wakes at
		// the first (armed) instant, finds the deadline moved and waits on
		// until data comes.
		_ = b.SetReadDeadline(time.Now().Add(time.Second))
		go func() {
			n, err := b.Read(make([]byte, 1))
			if n != 1 {
				done <- err
				return
			}
			done <- nil
		}()
		synctest.Wait()
		_ = b.SetReadDeadline(time.Now().Add(time.Hour))
		time.Sleep(2 * time.Second)
		_, _ = a.Write([]byte("z"))
		if err := <-done; err != nil {
			t.Fatalf("Read with its deadline moved away: %v", err)
		}

		// A write past the write deadline fails; writes never wait.
		_ = a.SetWriteDeadline(time.Now().Add(-time.Second))
		if _, err := a.Write([]byte("w")); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Write past its deadline: %v", err)
		}
	})
}

// net/http's client and server over a pipeNet built on memPipe: requests
// and bodies both ways on kept-alive connections, a client that gives up
// (its connection closed under the server), and nothing left running.
func TestPipeNetHTTP(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		pn := newPipeNet()
		srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if r.URL.Path == "/slow" {
				select {
				case <-time.After(time.Minute):
				case <-r.Context().Done():
					return
				}
			}
			_, _ = w.Write(bytes.ToUpper(body))
		})}
		served := make(chan struct{})
		go func() {
			defer close(served)
			_ = srv.Serve(pn)
		}()
		tr := &http.Transport{DialContext: pn.DialContext, WriteBufferSize: connBuffer, ReadBufferSize: connBuffer}
		client := &http.Client{Transport: tr}
		for i := range 3 {
			big := strings.Repeat("abc", 1000*(i+1)) // larger than the buffers
			resp, err := client.Post("http://"+pipeHost+"/echo", "text/plain", strings.NewReader(big))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(got) != strings.ToUpper(big) {
				t.Fatalf("request %d: %d bytes back, want %d upper-cased", i, len(got), len(big))
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+pipeHost+"/slow", nil)
		start := time.Now()
		if _, err := client.Do(req); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("slow request: %v, want the deadline", err)
		}
		cancel()
		if d := time.Since(start); d != 5*time.Second {
			t.Fatalf("slow request gave up after %v, want 5s", d)
		}
		tr.CloseIdleConnections()
		_ = srv.Close()
		<-served
	})
}

// A writer ahead of its reader by pipeBuffer waits for it, as a socket's
// full buffers make it; every byte still arrives, in order.
func TestMemPipeBounded(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		a, b := memPipe()
		defer a.Close()
		defer b.Close()
		msg := make([]byte, 4*pipeBuffer+123)
		for i := range msg {
			msg[i] = byte(i * 7)
		}
		wrote := make(chan error)
		go func() {
			_, err := a.Write(msg)
			wrote <- err
		}()
		synctest.Wait()
		select {
		case err := <-wrote:
			t.Fatalf("a write of %d bytes returned (%v) with nobody reading", len(msg), err)
		default:
		}
		h := b.(*memConn).in
		unread := func() (n, capacity int) {
			h.mu.Lock()
			defer h.mu.Unlock()
			return len(h.buf) - h.off, cap(h.buf)
		}
		if n, _ := unread(); n != pipeBuffer {
			t.Fatalf("%d bytes buffered, want the bound %d", n, pipeBuffer)
		}
		got := make([]byte, 0, len(msg))
		buf := make([]byte, 10_000) // partial reads, so unread bytes move
		for len(got) < len(msg) {
			n, err := b.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, buf[:n]...)
			if _, c := unread(); c > 2*pipeBuffer {
				t.Fatalf("buffer grew to %d bytes", c)
			}
		}
		if err := <-wrote; err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatal("bytes differ")
		}
	})
}

package transport

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// TestInMemoryLen: the in-memory readers net/http recognises, bare or in
// io.NopCloser, report their unread length; anything else is not in memory.
func TestInMemoryLen(t *testing.T) {
	partly := strings.NewReader("hello")
	partly.Read(make([]byte, 2))
	tests := []struct {
		name   string
		r      io.Reader
		n      int64
		memory bool
	}{
		{"strings.Reader", strings.NewReader("hello"), 5, true},
		{"strings.Reader partly read", partly, 3, true},
		{"bytes.Reader", bytes.NewReader([]byte("abc")), 3, true},
		{"bytes.Buffer", bytes.NewBufferString("abcd"), 4, true},
		{"NopCloser(strings.Reader)", io.NopCloser(strings.NewReader("hello")), 5, true},
		{"NopCloser(bytes.Buffer)", io.NopCloser(bytes.NewBufferString("ab")), 2, true},
		{"NopCloser(MultiReader)", io.NopCloser(io.MultiReader(strings.NewReader("x"))), 0, false},
		{"os.File", os.Stdin, 0, false},
		{"nil", nil, 0, false},
	}
	for _, tt := range tests {
		n, ok := inMemoryLen(tt.r)
		if n != tt.n || ok != tt.memory {
			t.Errorf("%s: inMemoryLen = %d, %v; want %d, %v", tt.name, n, ok, tt.n, tt.memory)
		}
	}
}

// TestCheckLength: an in-memory body whose length is not ContentLength is
// refused before sending, and closed; an unknown length (0) or a body that
// is not in memory passes.
func TestCheckLength(t *testing.T) {
	tests := []struct {
		name string
		body string
		cl   int64
		bad  bool
	}{
		{"equal", "hello", 5, false},
		{"shorter", "hello", 10, true},
		{"longer", "hello", 3, true},
		{"unknown length", "hello", 0, false},
		{"chunked", "hello", -1, false},
	}
	for _, tt := range tests {
		closed := false
		body := &closeRecorder{Reader: strings.NewReader(tt.body), closed: &closed}
		// A closeRecorder is not in memory: wrap the reader itself too.
		err := checkLength(io.NopCloser(strings.NewReader(tt.body)), tt.cl)
		if (err != nil) != tt.bad || (err != nil && !errors.Is(err, errBodyRead)) {
			t.Errorf("%s: checkLength = %v", tt.name, err)
		}
		if err := checkLength(body, tt.cl); err != nil || closed {
			t.Errorf("%s: a body not in memory: %v, closed %v", tt.name, err, closed)
		}
	}
}

type closeRecorder struct {
	io.Reader
	closed *bool
}

func (c *closeRecorder) Close() error { *c.closed = true; return nil }

package diagnose

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// repeatReader yields s n times without holding the whole of it.
type repeatReader struct {
	s   []byte
	n   int
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	total := 0
	for total < len(p) && r.n > 0 {
		c := copy(p[total:], r.s[r.off:])
		total += c
		r.off += c
		if r.off == len(r.s) {
			r.off = 0
			r.n--
		}
	}
	if total == 0 {
		return 0, io.EOF
	}
	return total, nil
}

// heapGrowth runs f and returns how far the heap in use grew during it,
// sampled from a goroutine while f runs. Not for parallel tests.
func heapGrowth(f func()) uint64 {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	stop := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var top uint64
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			top = max(top, m.HeapAlloc)
			select {
			case <-stop:
				peak <- top
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	top := <-peak
	if top < before.HeapAlloc {
		return 0
	}
	return top - before.HeapAlloc
}

// A JSON export's value that diagnose skips (a key it has no use for) was
// walked token by token, and the decoder keeps one entry per open bracket:
// 100 MB of "[" held about 800 MB, as does a gzip file of 100 KB. Nesting past encoding/json's own bound now stops the
// document as unreadable, keeping what came before it.
func TestHostileDeeplyNestedSkippedValue(t *testing.T) {
	const depth = 4 << 20
	for _, open := range []string{"[", `{"a":`} {
		doc := io.MultiReader(
			strings.NewReader(`{"events":[{"timestamp":1795654800011,"message":`+jsonString(execTimeoutLine)+`}],"x":`),
			&repeatReader{s: []byte(open), n: depth},
		)
		e := NewEvidence(Options{})
		var sum FileSummary
		var err error
		grown := heapGrowth(func() { sum, err = e.ReadFile("deep.json", doc) })
		if err != nil {
			t.Fatalf("%q: %v", open, err)
		}
		if grown > 32<<20 {
			t.Errorf("%q: %d MB of heap for a value nested %d deep", open, grown>>20, depth)
		}
		if sum.Format != FormatFilterLogEvents || sum.Records != 1 || sum.Malformed != 1 ||
			len(e.malformed) != 1 || !strings.Contains(e.malformed[0].Problem, "nested more than") {
			t.Errorf("%q: %+v %+v", open, sum, e.malformed)
		}
	}
}

// gzipped compresses what w writes.
func gzipped(t *testing.T, write func(w io.Writer)) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	write(zw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A gzip file of a few hundred KB that expands to gigabytes was read to
// its end: bounded memory, but minutes to hours of work (a 2 MB gzip of a
// repeated access-log line took 26 s, and gzip inside base64 inside gzip
// multiplies the ratios). Reading now stops with ErrExpansion past the
// bound, the records before it kept; a payload that expands too far stops
// the JSON export around it too.
func TestHostileGzipBomb(t *testing.T) {
	t.Parallel()
	const bomb = 80 << 20
	zeros := make([]byte, 1<<20)
	valid := strings.Repeat(accessTimeout+"\n", 3)
	plain := gzipped(t, func(w io.Writer) {
		_, _ = io.WriteString(w, valid)
		for range bomb / len(zeros) {
			_, _ = w.Write(zeros)
		}
	})
	inner := base64.StdEncoding.EncodeToString(plain)
	payload := `{"awslogs":{"data":"` + inner + `"}}` + "\n"
	for _, c := range []struct {
		name    string
		data    []byte
		records int
	}{
		{"gzip", plain, 3},
		{"gzip of base64 of gzip", gzipped(t, func(w io.Writer) { _, _ = io.WriteString(w, inner) }), 3},
		{"gzip of subscription payloads", gzipped(t, func(w io.Writer) {
			for range 20 {
				_, _ = io.WriteString(w, payload)
			}
		}), 3},
	} {
		e := NewEvidence(Options{})
		sum, err := e.ReadFile("bomb.gz", bytes.NewReader(c.data))
		if !errors.Is(err, ErrExpansion) || !strings.Contains(sum.Error, "more than 100 times") {
			t.Errorf("%s (%d bytes): err %v, summary %+v", c.name, len(c.data), err, sum)
		}
		if sum.Records != c.records {
			t.Errorf("%s: %d records, want the %d before the bomb", c.name, sum.Records, c.records)
		}
		if sum.Malformed > 1 {
			t.Errorf("%s: went on past the bound: %+v", c.name, sum)
		}
	}
	// The bound is the caller's to raise.
	e := NewEvidence(Options{MaxExpansion: 1 << 20})
	if _, err := e.ReadFile("bomb.gz", bytes.NewReader(plain)); err != nil {
		t.Errorf("MaxExpansion 1<<20: %v", err)
	}
}

// A gzip file compressed again was refused as an unknown format, its
// compressed bytes printed as its first line.
func TestHostileGzipInsideGzip(t *testing.T) {
	t.Parallel()
	once := gzipped(t, func(w io.Writer) { _, _ = io.WriteString(w, accessTimeout+"\n") })
	twice := gzipped(t, func(w io.Writer) { _, _ = w.Write(once) })
	e := NewEvidence(Options{})
	sum, err := e.ReadFile("x.gz.gz", bytes.NewReader(twice))
	if err != nil || sum.Format != FormatAccessLog || sum.Records != 1 {
		t.Errorf("%+v, %v", sum, err)
	}
	// Without end: formats nested too deep are refused.
	for range maxNesting {
		twice = gzipped(t, func(w io.Writer) { _, _ = w.Write(twice) })
	}
	e = NewEvidence(Options{})
	if _, err := e.ReadFile("x.gz.gz.gz", bytes.NewReader(twice)); !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("nested %d deep: %v", maxNesting+2, err)
	}
}

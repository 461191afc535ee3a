package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A gzip bomb stops its file with an error that names the flag raising
// the bound; the flag raises it.
func TestHostileDiagnoseGzipBomb(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 72 {
		_, _ = zw.Write(zeros)
	}
	_ = zw.Close()
	path := filepath.Join(t.TempDir(), "bomb.gz")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"diagnose", path, fixture("access.jsonl")}, &stdout, &stderr)
	if code != diagnoseExitSomeUnreadable || !strings.Contains(stderr.String(), "gzip data expands too far") ||
		!strings.Contains(stderr.String(), "-max-expansion raises the bound") || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	// 72 MiB of zeros in a gzip file of about 72 KiB: about 1000 times.
	code = run([]string{"diagnose", "-max-expansion", "5000", path, fixture("access.jsonl")}, &stdout, &stderr)
	if strings.Contains(stderr.String(), "expands too far") {
		t.Errorf("-max-expansion 5000: exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"diagnose", "-max-expansion", "0", path}, &stdout, &stderr); code != diagnoseExitUsage {
		t.Errorf("-max-expansion 0: exit %d, stderr %q", code, stderr.String())
	}
}

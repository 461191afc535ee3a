//go:build unix

package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// diagnose given /dev/zero read it for ever: one line without end, never
// too long to skip, never done. A device is now refused at once, and the
// other files are still read.
func TestHostileDiagnoseDevice(t *testing.T) {
	t.Parallel()
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		code := run([]string{"diagnose", "/dev/zero", fixture("access.jsonl")}, &stdout, &stderr)
		done <- result{code, stdout.String(), stderr.String()}
	}()
	select {
	case r := <-done:
		if r.code != diagnoseExitSomeUnreadable || !strings.Contains(r.stderr, "cannot read /dev/zero: a device, not a log file") ||
			!strings.Contains(r.stdout, "/dev/zero: unreadable") {
			t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("diagnose /dev/zero still reading after 20 s")
	}
}

// probe -d @/dev/zero read the file whole before sending anything: memory
// grew until the process was killed. -d's file is now bounded, and the
// flag error says so.
func TestHostileProbeDataDevice(t *testing.T) {
	t.Parallel()
	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		_, stderr, code := runProbeCmd(t, "-d", "@/dev/zero", "http://127.0.0.1:1/x")
		done <- result{code, stderr}
	}()
	select {
	case r := <-done:
		if r.code != 2 || !strings.Contains(r.stderr, "-d: /dev/zero is larger than 64 MiB") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("probe -d @/dev/zero still reading after 20 s")
	}
}

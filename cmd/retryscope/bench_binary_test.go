package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The built command runs its bubbles in a testing.Main of its own (not in
// a test binary): twice the same command writes the same JSON, and
// testing's own output (PASS, RUN lines) never reaches stdout.
func TestBenchBinarySameBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the retryscope binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "retryscope")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var files [2][]byte
	for i := range files {
		name := filepath.Join(dir, "r"+string(rune('a'+i))+".json")
		cmd := exec.Command(bin, "bench", "-scenarios", "outage,throttle", "-policies", "retryscope,aws-sdk-standard,retryablehttp",
			"-deadlines", "none,10s", "-seed", "7", "-json", name)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("run %d: %v\nstderr: %s", i, err, stderr.String())
		}
		for _, bad := range []string{"PASS", "=== RUN", "--- "} {
			if strings.Contains(stdout.String(), bad) {
				t.Errorf("stdout has testing's %q:\n%s", bad, stdout.String())
			}
		}
		if !strings.Contains(stdout.String(), "12 runs (virtual time, seed 7, deadlines none,10s)") {
			t.Errorf("stdout lacks the runs' label:\n%s", stdout.String())
		}
		if files[i], err = os.ReadFile(name); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("the same command wrote two different JSON files")
	}
}

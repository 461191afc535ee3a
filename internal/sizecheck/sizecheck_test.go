package sizecheck_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// maxTransportDeps bounds the packages outside the standard library's
// top-level tree (their paths contain a dot, vendored standard packages
// included) that importing the transport compiles. It was 297 while the
// transport's package also held the OpenTelemetry SDK setup; the API,
// gobreaker and retryscope's own packages are about 52.
const maxTransportDeps = 60

// maxBinarySize bounds testdata/program, a 10-line program that wraps
// http.Client's transport with transport.New, built without symbol tables
// and debug information (-ldflags="-s -w"). With Go 1.26 on linux/amd64 a
// program that calls http.Get alone is about 5.9 MB that way (8.5 MB with
// the default flags), and this one was 16.7 MB (24.3 MB) while the
// transport compiled the OpenTelemetry SDK; it is 6.8 MB (9.8 MB) now.
const maxBinarySize = 8 << 20

// heavy are packages only the exporting setup (package otelx) may bring in.
var heavy = []string{
	"go.opentelemetry.io/otel/sdk",
	"go.opentelemetry.io/otel/exporters",
	"go.opentelemetry.io/contrib",
	"google.golang.org/grpc",
	"google.golang.org/protobuf",
	"github.com/prometheus",
	"github.com/redis",
}

func goCommand(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...) // go test puts its own go first in PATH
	// The child builds what a user would: without the test's own flags
	// (e.g. -race in GOFLAGS).
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestTransportDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	t.Parallel()
	out := goCommand(t, "list", "-deps", "github.com/retryscope/retryscope/transport")
	var deps []string
	for p := range strings.FieldsSeq(out) {
		if strings.Contains(p, ".") {
			deps = append(deps, p)
		}
		for _, h := range heavy {
			if strings.HasPrefix(p, h) {
				t.Errorf("the transport imports %s (through what: go mod why -m %s)", p, p)
			}
		}
	}
	if len(deps) > maxTransportDeps {
		t.Errorf("the transport compiles %d packages with a dot in their path, want at most %d:\n%s",
			len(deps), maxTransportDeps, strings.Join(deps, "\n"))
	}
	t.Logf("%d packages", len(deps))
}

func TestBinarySize(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "program")
	goCommand(t, "build", "-ldflags=-s -w", "-o", bin, "./testdata/program")
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > maxBinarySize {
		t.Errorf("a program using transport.New builds to %d bytes, want at most %d", fi.Size(), maxBinarySize)
	}
	t.Logf("%d bytes", fi.Size())
}

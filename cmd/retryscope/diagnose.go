package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/retryscope/retryscope/diagnose"
	"github.com/retryscope/retryscope/internal/termsafe"
)

func init() {
	register("diagnose", "say per attempt whether a request reached Lambda, from log exports", runDiagnose)
}

const diagnoseUsage = "usage: retryscope diagnose [-json] [-html FILE] [-timeout 29s] [-max-line BYTES] [-max-expansion N] FILE... (attempt log, API Gateway access/execution logs, Lambda logs, CloudWatch exports; - for stdin)"

// Exit statuses of diagnose.
const (
	// diagnoseExitUnreadable: no file could be read (none opened, none of
	// a known format).
	diagnoseExitUnreadable = 1
	// diagnoseExitUsage: bad flags or no files.
	diagnoseExitUsage = 2
	// diagnoseExitSomeUnreadable: the report was printed from the files
	// that could be read, and lists those that could not.
	diagnoseExitSomeUnreadable = 3
)

// runDiagnose reads every file (format detected per file), going on past
// any it cannot read, then prints the per-attempt verdicts and findings.
// Exit 0 ok, 1 no file readable, 2 usage error, 3 some files unreadable
// (the report lists them and covers the others).
func runDiagnose(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diagnose", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	timeout := fs.Duration("timeout", 29*time.Second, "the API's integration timeout, for the latency-near-timeout finding")
	maxLine := fs.Int("max-line", diagnose.DefaultMaxLineBytes, "longest line read whole, in bytes")
	maxExpansion := fs.Int("max-expansion", diagnose.DefaultMaxExpansion, "how many times its file's size gzip data may expand to (past 64 MiB)")
	htmlFile := fs.String("html", "", htmlFlagUsage)
	var files []string
	// Flags may come before, between or after the files.
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintln(stderr, diagnoseUsage)
				fmt.Fprintln(stderr, "Formats are detected per file, gzip-compressed ones (CloudWatch exports to S3) too. Files are streamed: lines up to -max-line bytes, memory about 2-4 KiB per distinct request id; gzip data that expands more than -max-expansion times stops its file.")
				fmt.Fprintln(stderr, "Exit status: 0 ok; 1 no file could be read; 2 usage error; 3 some files could not be read (the report lists them and covers the others).")
				fs.SetOutput(stderr)
				fs.PrintDefaults()
				return 0
			}
			fmt.Fprintf(stderr, "retryscope diagnose: %v; %s\n", err, diagnoseUsage)
			return diagnoseExitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "retryscope diagnose: no log files given; %s\n", diagnoseUsage)
		return diagnoseExitUsage
	}
	if *timeout <= 0 || *maxLine <= 0 || *maxExpansion <= 0 {
		fmt.Fprintf(stderr, "retryscope diagnose: -timeout, -max-line and -max-expansion must be positive; %s\n", diagnoseUsage)
		return diagnoseExitUsage
	}
	ev := diagnose.NewEvidence(diagnose.Options{IntegrationTimeout: *timeout, MaxLineBytes: *maxLine, MaxExpansion: *maxExpansion})
	unreadable := 0
	for _, path := range files {
		if !readLogFile(ev, path, stderr) {
			unreadable++
		}
	}
	if unreadable == len(files) {
		return diagnoseExitUnreadable
	}
	done := 0
	if unreadable > 0 {
		done = diagnoseExitSomeUnreadable
	}

	rep := ev.Report()
	if *htmlFile != "" && writeDiagnoseHTML(ev, *htmlFile, files, stderr) != 0 {
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(termsafe.JSONWriter(stdout))
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "retryscope diagnose: %v\n", err)
			return 1
		}
		return done
	}
	if err := rep.WriteText(stdout); err != nil {
		fmt.Fprintf(stderr, "retryscope diagnose: %v\n", err)
		return 1
	}
	return done
}

// readLogFile reads one file into ev; a file it cannot read is said on
// stderr (one line) and listed in the report, and false is returned.
func readLogFile(ev *diagnose.Evidence, path string, stderr io.Writer) bool {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := openLogFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "retryscope diagnose: cannot read %s: %v\n", path, err)
			ev.AddUnreadable(path, err)
			return false
		}
		defer f.Close()
		r = f
	}
	if _, err := ev.ReadFile(path, r); err != nil {
		switch {
		case errors.Is(err, diagnose.ErrUnknownFormat):
			fmt.Fprintf(stderr, "retryscope diagnose: %v\n", err)
		case errors.Is(err, diagnose.ErrExpansion):
			fmt.Fprintf(stderr, "retryscope diagnose: cannot read %s: %v; -max-expansion raises the bound\n", path, err)
		default:
			fmt.Fprintf(stderr, "retryscope diagnose: cannot read %s: %v\n", path, err)
		}
		return false
	}
	return true
}

// openLogFile opens path, refusing a device (/dev/zero, a terminal): a
// device has no end, so reading it would never finish. Regular files,
// pipes (a shell's <(command)) and sockets are read; a directory fails on
// its first read.
func openLogFile(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.Mode()&os.ModeDevice != 0 {
		err = errors.New("a device, not a log file")
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

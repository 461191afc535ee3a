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
)

func init() {
	register("diagnose", "say per attempt whether a request reached Lambda, from log exports", runDiagnose)
}

const diagnoseUsage = "usage: retryscope diagnose [-json] [-html FILE] [-timeout 29s] [-max-line BYTES] FILE... (attempt log, API Gateway access/execution logs, Lambda logs, CloudWatch exports; - for stdin)"

// runDiagnose reads every file (format detected per file), then prints the
// per-attempt verdicts and findings. Exit 0 ok, 1 unreadable file, 2 usage
// error or unknown format.
func runDiagnose(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diagnose", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	timeout := fs.Duration("timeout", 29*time.Second, "the API's integration timeout, for the latency-near-timeout finding")
	maxLine := fs.Int("max-line", diagnose.DefaultMaxLineBytes, "longest line read whole, in bytes")
	htmlFile := fs.String("html", "", htmlFlagUsage)
	var files []string
	// Flags may come before, between or after the files.
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintln(stderr, diagnoseUsage)
				fmt.Fprintln(stderr, "Formats are detected per file, gzip-compressed ones (CloudWatch exports to S3) too. Files are streamed: lines up to -max-line bytes, memory about 2-4 KiB per distinct request id.")
				fs.SetOutput(stderr)
				fs.PrintDefaults()
				return 0
			}
			fmt.Fprintf(stderr, "retryscope diagnose: %v; %s\n", err, diagnoseUsage)
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "retryscope diagnose: no log files given; %s\n", diagnoseUsage)
		return 2
	}
	if *timeout <= 0 || *maxLine <= 0 {
		fmt.Fprintf(stderr, "retryscope diagnose: -timeout and -max-line must be positive; %s\n", diagnoseUsage)
		return 2
	}
	ev := diagnose.NewEvidence(diagnose.Options{IntegrationTimeout: *timeout, MaxLineBytes: *maxLine})
	for _, path := range files {
		if code := readLogFile(ev, path, stderr); code != 0 {
			return code
		}
	}
	rep := ev.Report()
	if *htmlFile != "" && writeDiagnoseHTML(ev, *htmlFile, files, stderr) != 0 {
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "retryscope diagnose: %v\n", err)
			return 1
		}
		return 0
	}
	if err := rep.WriteText(stdout); err != nil {
		fmt.Fprintf(stderr, "retryscope diagnose: %v\n", err)
		return 1
	}
	return 0
}

func readLogFile(ev *diagnose.Evidence, path string, stderr io.Writer) int {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintf(stderr, "retryscope diagnose: cannot read %s: %v\n", path, err)
			return 1
		}
		defer f.Close()
		r = f
	}
	if _, err := ev.ReadFile(path, r); err != nil {
		if errors.Is(err, diagnose.ErrUnknownFormat) {
			fmt.Fprintf(stderr, "retryscope diagnose: %v\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "retryscope diagnose: cannot read %s: %v\n", path, err)
		return 1
	}
	return 0
}

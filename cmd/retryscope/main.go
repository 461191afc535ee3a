// Command retryscope benchmarks retry policies against a local API Gateway +
// Lambda emulator, probes live APIs attempt by attempt, diagnoses 504s from
// CloudWatch log exports, and runs the emulator as a standing server.
//
// Usage:
//
//	retryscope <command> [flags]
//
// Each command lives in its own file and registers itself in init.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand: run parses its own flags from args and returns
// the process exit code (0 ok, 1 failure, 2 usage error).
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(name, summary string, run func(args []string, stdout, stderr io.Writer) int) {
	commands[name] = command{summary: summary, run: run}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 2 && args[0] == "help" {
		// "retryscope help probe" is "retryscope probe -h".
		if _, ok := commands[args[1]]; ok {
			args = []string{args[1], "-h"}
		}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "retryscope: unknown command %q (commands: %s)\n", args[0], names())
		return 2
	}
	return cmd.run(args[1:], stdout, stderr)
}

func names() string {
	var s string
	for i, n := range sortedNames() {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

func sortedNames() []string {
	ns := make([]string, 0, len(commands))
	for n := range commands {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: retryscope <command> [flags]")
	fmt.Fprintln(w)
	for _, n := range sortedNames() {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'retryscope <command> -h' for a command's flags.")
}

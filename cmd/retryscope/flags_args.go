package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// parseFlags parses args into fs and returns the positional arguments.
// Flags may follow positional arguments, as curl allows
// (`probe URL -n 3`); "--" ends the flags. fs must not print: errors come
// back to the caller, which reports them on one line (see flagError).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagError reports a parse error on one line and returns the exit code:
// 0 for -h (after printing the usage), 2 otherwise.
func flagError(stderr io.Writer, fs *flag.FlagSet, usage string, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stderr, usage)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		return 0
	}
	fmt.Fprintf(stderr, "retryscope %s: %v (run 'retryscope %s -h' for usage)\n", fs.Name(), err, fs.Name())
	return 2
}

// usageError reports a bad argument on one line and returns 2.
func usageError(stderr io.Writer, cmd, format string, args ...any) int {
	fmt.Fprintf(stderr, "retryscope %s: %s (run 'retryscope %s -h' for usage)\n", cmd, fmt.Sprintf(format, args...), cmd)
	return 2
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
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
	msg := err.Error()
	// A mistyped flag may carry a value ("-Authorization: Bearer ...") or
	// a line break: only names that look like flag names are shown.
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok && !flagLikeName(name) {
		msg = "unknown flag (not shown: it does not look like a flag name)"
	} else if arg, ok := strings.CutPrefix(msg, "bad flag syntax: "); ok && !flagLikeName(strings.TrimLeft(arg, "-=")) {
		msg = "bad flag syntax (not shown: it does not look like a flag)"
	}
	fmt.Fprintf(stderr, "retryscope %s: %s (run 'retryscope %s -h' for usage)\n", fs.Name(), msg, fs.Name())
	return 2
}

// flagLikeName reports whether s looks like a flag name: at most 24
// lower-case letters and dashes.
func flagLikeName(s string) bool {
	if s == "" || len(s) > 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

// splitAttached rewrites curl's attached short options, "-HName: value",
// "-XPOST" and "-ddata", into two arguments, for the given one-letter
// flags, which no other flag name starts with. Arguments after "--" are
// left alone.
func splitAttached(args []string, letters string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' && a[2] != '=' && strings.IndexByte(letters, a[1]) >= 0 {
			out = append(out, a[:2], a[2:])
			continue
		}
		out = append(out, a)
	}
	return out
}

// usageError reports a bad argument on one line and returns 2.
func usageError(stderr io.Writer, cmd, format string, args ...any) int {
	fmt.Fprintf(stderr, "retryscope %s: %s (run 'retryscope %s -h' for usage)\n", cmd, fmt.Sprintf(format, args...), cmd)
	return 2
}

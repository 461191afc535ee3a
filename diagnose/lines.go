package diagnose

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// DefaultMaxLineBytes is the longest line (or JSON export element) read
// whole; longer ones are reported as malformed and skipped.
const DefaultMaxLineBytes = 1 << 20

// lineReader yields lines without their line ending, never holding more than
// max bytes of one line.
type lineReader struct {
	br   *bufio.Reader
	max  int
	buf  []byte
	line int // number of the line last returned, 1-based
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line; tooLong reports that it exceeded max bytes
// (the returned prefix is then cut at max). err is io.EOF at the end.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.br.ReadSlice('\n')
		if room := lr.max - len(lr.buf); room > 0 {
			if len(chunk) > room {
				lr.buf = append(lr.buf, chunk[:room]...)
				tooLong = true
			} else {
				lr.buf = append(lr.buf, chunk...)
			}
		} else if len(chunk) > 0 {
			tooLong = true
		}
		switch {
		case err == nil:
			lr.line++
			return trimEOL(lr.buf), tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(lr.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			lr.line++
			return trimEOL(lr.buf), tooLong, nil
		default:
			return nil, false, err
		}
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return stripSGR(bytes.TrimSuffix(b, []byte("\r")))
}

// stripSGR removes, in place, the terminal colour sequences (ESC [ n;n m)
// that `aws logs tail --color on` and `sam logs` put around each line's
// timestamp and log stream name (sam logs also colours a "Task timed out"
// message): with them the line's framing is not recognised and every
// event of the file is ignored.
func stripSGR(b []byte) []byte {
	i := bytes.IndexByte(b, 0x1b)
	if i < 0 {
		return b
	}
	out := b[:i]
	for i < len(b) {
		if b[i] == 0x1b && i+1 < len(b) && b[i+1] == '[' {
			j := i + 2
			for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] == ';') {
				j++
			}
			if j < len(b) && b[j] == 'm' {
				i = j + 1
				continue
			}
		}
		out = append(out, b[i])
		i++
	}
	return out
}

// excerpt cuts a log line for storage in a report, credentials hidden
// (see scrub). Only the start of a long line is scrubbed: enough for any
// secret that begins in the part kept.
func excerpt(b []byte) string {
	const max = 240
	b = bytes.TrimSpace(b)
	if len(b) > 16*max {
		b = b[:16*max]
	}
	b = scrub(b)
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

package diagnose

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"
)

// framing takes apart the lines of a copy or CLI output that wraps each log
// event in a timestamp and a stream name.
type framing struct {
	// split returns a line's timestamp, stream and message; ok false
	// means the line continues the message before it (a message printed
	// over several lines: a body, pretty-printed JSON).
	split func(line []byte) (at time.Time, stream string, msg []byte, ok bool)
	// header reports a line that names columns rather than holding an
	// event; nil when the format has none.
	header func(line []byte) bool
	// trailer, when set, takes the event's timestamp from the end of a
	// message that went on over several lines and whose first line had
	// none (the CLI's text output writes it after the message's last
	// line); it returns the message without it.
	trailer func(msg []byte) (time.Time, []byte, bool)
}

// framedFormat is the table row of a format read through f: detected by
// its first line, read by readFramed.
func framedFormat(name Format, f framing) fileFormat {
	return fileFormat{
		name: name,
		detect: func(h *fileHead) bool {
			return firstLineSplits(h, f.header, f.splits)
		},
		read: func(e *Evidence, file string, br *bufio.Reader, sum *FileSummary, _ int) error {
			return e.readFramed(file, br, sum, f)
		},
	}
}

// splits adapts split for detection.
func (f framing) splits(line []byte) bool {
	_, _, _, ok := f.split(line)
	return ok
}

// pendingMessage is an event whose continuation lines may still follow.
type pendingMessage struct {
	pos     Position
	at      time.Time
	stream  string
	msg     []byte
	tooLong bool
	set     bool
}

// readFramed reads a file line by line through f, joining continuation
// lines to the message they continue, and hands each message on.
func (e *Evidence) readFramed(name string, br *bufio.Reader, sum *FileSummary, f framing) error {
	var p pendingMessage
	flush := func() {
		if !p.set {
			return
		}
		if p.tooLong {
			e.addMalformed(p.pos, fmt.Sprintf("message longer than %d bytes", e.opts.MaxLineBytes), p.msg)
			sum.Malformed++
		} else {
			if p.at.IsZero() && f.trailer != nil {
				if at, msg, ok := f.trailer(p.msg); ok {
					p.at, p.msg = at, msg
				}
			}
			e.addMessage(sum, p.pos, p.at, p.stream, p.msg)
		}
		p = pendingMessage{msg: p.msg[:0]}
	}
	return e.scanLines(name, br, sum, flush, func(pos Position, line []byte) error {
		if f.header != nil && f.header(line) {
			flush()
			return nil
		}
		at, stream, msg, ok := f.split(line)
		if !ok {
			switch {
			case !p.set:
				if len(line) > 0 {
					sum.Ignored++
				}
			case len(p.msg)+1+len(line) > e.opts.MaxLineBytes:
				p.tooLong = true
			default:
				p.msg = append(append(p.msg, '\n'), line...)
			}
			return nil
		}
		flush()
		p.pos, p.at, p.stream, p.set = pos, at, stream, true
		p.msg = append(p.msg[:0], msg...)
		return nil
	})
}

// scanLines calls each for every line of br within the line bound, after
// counting it. A longer line is reported as malformed. end is called before
// a longer line, and at the end of the file or a read error, to finish any
// message or row in progress; an error from each stops the scan.
func (e *Evidence) scanLines(name string, br *bufio.Reader, sum *FileSummary, end func(), each func(pos Position, line []byte) error) error {
	lr := newLineReader(br, e.opts.MaxLineBytes)
	for {
		line, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			end()
			return nil
		}
		if err != nil {
			end()
			return fmt.Errorf("%s: %w", name, err)
		}
		sum.Lines++
		pos := Position{File: name, Line: lr.line}
		if tooLong {
			end()
			e.addMalformed(pos, fmt.Sprintf("line longer than %d bytes", e.opts.MaxLineBytes), line)
			sum.Malformed++
			continue
		}
		if err := each(pos, line); err != nil {
			return err
		}
	}
}

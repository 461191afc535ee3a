package diagnose

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"time"
)

// FileSummary says what ReadFile made of one file.
type FileSummary struct {
	// Path is the name given to ReadFile.
	Path string `json:"path"`
	// Format is the detected format.
	Format Format `json:"format"`
	// Lines is the number of lines (or export elements) read.
	Lines int `json:"lines"`
	// Records is the number of lines of a known kind that were used.
	Records int `json:"records"`
	// Ignored counts lines of no known kind where such lines are expected
	// (the function's own output in a Lambda log, other slog records).
	Ignored int `json:"ignored"`
	// Malformed counts the file's malformed lines.
	Malformed int `json:"malformed"`
}

// ReadFile streams one log file into e, detecting its format (a gzip file is
// read through). name is used in positions and the report. It returns the
// summary, and an error when the format is unknown (errors.Is(err,
// ErrUnknownFormat)) or reading fails; malformed lines are not errors. Lines
// read before an error stay in e.
func (e *Evidence) ReadFile(name string, r io.Reader) (sum FileSummary, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, _ := br.Peek(2); string(head) == gzipMagic {
		// CloudWatch Logs exports to S3 are gzip files: streamed
		// through, the bounds stay those of the text inside.
		zr, zerr := gzip.NewReader(br)
		if zerr != nil {
			return FileSummary{Path: name}, fmt.Errorf("%s: %w", name, &readError{zerr})
		}
		defer zr.Close()
		gz := &gzipReader{r: zr}
		defer func() {
			if gz.truncated && err == nil {
				e.addMalformed(Position{File: name, Line: sum.Lines + 1}, "gzip data cut short: the rest of the file is missing", nil)
				sum.Malformed++
				e.files[len(e.files)-1] = sum
			}
		}()
		br = bufio.NewReaderSize(gz, 64<<10)
	}
	if head, _ := br.Peek(len(utf8BOM)); string(head) == utf8BOM {
		// Windows tools start UTF-8 text (CSV exports above all) with a
		// byte order mark; it is not part of the first line or header.
		_, _ = br.Discard(len(utf8BOM))
	}
	sum = FileSummary{Path: name}
	switch sniffContainer(br) {
	case containerDocument:
		err = e.readDocument(name, br, &sum)
	case containerCSV:
		err = e.readCSV(name, br, &sum)
	default:
		err = e.readLines(name, br, &sum)
	}
	if err == nil || !errors.Is(err, ErrUnknownFormat) {
		e.files = append(e.files, sum)
	}
	return sum, err
}

const (
	utf8BOM   = "\xef\xbb\xbf"
	gzipMagic = "\x1f\x8b"
)

// gzipReader ends a truncated gzip stream like a truncated text file (what
// was read is used, the cut is reported) and marks other damage as a read
// error, which stops the file.
type gzipReader struct {
	r         io.Reader
	truncated bool
}

func (g *gzipReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		g.truncated = true
		err = io.EOF
	case err != nil && !errors.Is(err, io.EOF):
		err = &readError{err}
	}
	return n, err
}

// stray is a line of no known kind seen before the file's format was known.
type stray struct {
	pos  Position
	kind lineKind
	text string
}

func (e *Evidence) readLines(name string, br *bufio.Reader, sum *FileSummary) error {
	lr := newLineReader(br, e.opts.MaxLineBytes)
	var pending []stray
	var firstLine string
	nonBlank := 0
	// An application's JSON log can hold the transport's attempt lines
	// anywhere: while every stray is a JSON object the file is read on,
	// the strays past the limit only counted.
	allJSON, extraJSON := true, 0
	for {
		line, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		sum.Lines++
		pos := Position{File: name, Line: lr.line}
		if tooLong {
			e.addMalformed(pos, fmt.Sprintf("line longer than %d bytes", e.opts.MaxLineBytes), line)
			sum.Malformed++
			nonBlank++
			continue
		}
		p, perr := classifyLine(line)
		if p.kind == kindBlank {
			continue
		}
		nonBlank++
		if firstLine == "" {
			firstLine = excerpt(line)
		}
		if perr != nil {
			e.addMalformed(pos, perr.Error(), line)
			sum.Malformed++
			continue
		}
		if f := formatOf(p.kind); f != "" {
			if sum.Format == "" {
				sum.Format = f
				for _, s := range pending {
					e.countStray(sum, s)
				}
				pending = nil
				if strayIsMalformed(f, kindOtherJSON) {
					// Counted, not listed: the list is capped anyway.
					e.malformedCount += extraJSON
					sum.Malformed += extraJSON
				} else {
					sum.Ignored += extraJSON
				}
			}
			e.add(p, LogLine{Position: pos, Text: excerpt(line), Time: p.time})
			sum.Records++
			continue
		}
		s := stray{pos: pos, kind: p.kind, text: excerpt(line)}
		if sum.Format != "" {
			e.countStray(sum, s)
			continue
		}
		allJSON = allJSON && s.kind == kindOtherJSON
		if len(pending) < undecidedLineLimit {
			pending = append(pending, s)
		} else {
			extraJSON++
		}
		if nonBlank >= undecidedLineLimit && !allJSON {
			break
		}
	}
	if sum.Format == "" {
		if nonBlank == 0 {
			sum.Format = FormatEmpty
			return nil
		}
		if sum.Malformed > 0 && len(pending) == 0 {
			// Every line was a damaged record of some kind: report
			// the damage rather than refuse the file.
			sum.Format = FormatMalformed
			return nil
		}
		return fmt.Errorf("%s: %w (first line: %q)", name, ErrUnknownFormat, firstLine)
	}
	return nil
}

func (e *Evidence) countStray(sum *FileSummary, s stray) {
	if strayIsMalformed(sum.Format, s.kind) {
		e.addMalformed(s.pos, "not a "+string(sum.Format)+" line", []byte(s.text))
		sum.Malformed++
		return
	}
	sum.Ignored++
}

// addMessage classifies one message of an export (a filter-log-events
// event, a Logs Insights row). Exports mix log kinds, so messages of no
// known kind are ignored rather than malformed.
func (e *Evidence) addMessage(sum *FileSummary, pos Position, at time.Time, msg []byte) {
	if len(msg) > e.opts.MaxLineBytes {
		e.addMalformed(pos, fmt.Sprintf("message longer than %d bytes", e.opts.MaxLineBytes), msg)
		sum.Malformed++
		return
	}
	p, err := classifyLine(msg)
	switch {
	case p.kind == kindBlank:
		return
	case err != nil:
		e.addMalformed(pos, err.Error(), msg)
		sum.Malformed++
		return
	case formatOf(p.kind) == "":
		sum.Ignored++
		return
	}
	if p.time.IsZero() {
		p.time = at
	}
	e.add(p, LogLine{Position: pos, Text: excerpt(msg), Time: p.time})
	sum.Records++
}

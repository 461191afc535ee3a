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
	// Format is the detected format (FormatUnreadable when the file could
	// not be read at all).
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
	// Error says why the file, or its end, could not be read; empty when
	// it was read to the end.
	Error string `json:"error,omitempty"`
}

// ReadFile streams one log file into e, detecting its format (a gzip file is
// read through). name is used in positions and the report. It returns the
// summary, and an error when the format is unknown (errors.Is(err,
// ErrUnknownFormat)) or reading fails; malformed lines are not errors. Lines
// read before an error stay in e, and the file is listed in the report
// either way (with FileSummary.Error set on failure), so a caller may go on
// with the next file.
func (e *Evidence) ReadFile(name string, r io.Reader) (sum FileSummary, err error) {
	sum = FileSummary{Path: name}
	e.streams = nil
	e.inflation = &inflation{r: r, ratio: int64(e.opts.MaxExpansion)}
	err = e.readStream(name, e.inflation, &sum, 0)
	e.streams, e.inflation = nil, nil
	if err != nil {
		sum.Error = err.Error()
		if sum.Format == "" || errors.Is(err, ErrUnknownFormat) {
			sum.Format = FormatUnreadable
		}
	}
	e.files = append(e.files, sum)
	return sum, err
}

// AddUnreadable lists a file that could not be read at all (it could not
// be opened, say) in the report, as ReadFile lists a file it failed on.
func (e *Evidence) AddUnreadable(name string, err error) {
	e.files = append(e.files, FileSummary{Path: name, Format: FormatUnreadable, Error: err.Error()})
}

// maxNesting bounds formats inside formats (base64 inside JSON inside
// gzip), so a crafted file cannot recurse without end.
const maxNesting = 3

// readStream detects one stream's format and reads it; depth counts the
// wrappers already removed.
func (e *Evidence) readStream(name string, r io.Reader, sum *FileSummary, depth int) (err error) {
	if depth > maxNesting {
		return fmt.Errorf("%s: %w (formats nested more than %d deep)", name, ErrUnknownFormat, maxNesting)
	}
	br := bufio.NewReaderSize(r, headBytes)
	if head, _ := br.Peek(2); string(head) == gzipMagic {
		// CloudWatch Logs exports to S3 and subscription payloads are
		// gzip: streamed through, the bounds stay those of the text
		// inside.
		zr, zerr := gzip.NewReader(br)
		if zerr != nil {
			return fmt.Errorf("%s: %w", name, &readError{zerr})
		}
		defer zr.Close()
		gz := &gzipReader{r: zr, bound: e.inflation}
		defer func() {
			if gz.truncated && err == nil {
				e.addMalformed(Position{File: name, Line: sum.Lines + 1}, "gzip data cut short: the rest of the file is missing", nil)
				sum.Malformed++
			}
		}()
		br = bufio.NewReaderSize(gz, headBytes)
		if head, _ := br.Peek(2); string(head) == gzipMagic {
			// Compressed twice (a .gz compressed again, or saved from
			// a download sent with Content-Encoding: gzip).
			return e.readStream(name, br, sum, depth+1)
		}
	}
	if head, _ := br.Peek(len(zipMagic)); string(head) == zipMagic {
		// The console's and S3's downloads are sometimes zipped by hand;
		// an archive holds files, which diagnose reads one by one.
		return fmt.Errorf("%s: %w (a zip archive: unzip it and pass the files it holds)", name, ErrUnknownFormat)
	}
	if head, _ := br.Peek(len(utf8BOM)); string(head) == utf8BOM {
		// Windows tools start UTF-8 text (CSV exports above all) with a
		// byte order mark; it is not part of the first line or header.
		_, _ = br.Discard(len(utf8BOM))
	}
	f := detectFormat(peekHead(br))
	if sum.Format == "" {
		sum.Format = f.name
	}
	return f.read(e, name, br, sum, depth)
}

const (
	utf8BOM   = "\xef\xbb\xbf"
	gzipMagic = "\x1f\x8b"
	zipMagic  = "PK\x03\x04"
)

// DefaultMaxExpansion is Options.MaxExpansion's default: gzip data may
// expand to 100 times the size of the file it is in (past the first
// expansionFloor bytes).
const DefaultMaxExpansion = 100

// expansionFloor is how far any file's gzip data may expand, however small
// the file: 64 MiB.
const expansionFloor = 64 << 20

// ErrExpansion is returned (wrapped, with the sizes) by ReadFile when a
// file's gzip data expands past Options.MaxExpansion.
var ErrExpansion = errors.New("gzip data expands too far (a decompression bomb?)")

// inflation reads the file and counts its bytes, and counts the bytes its
// gzip readers produce. Once those pass the bound, every read of either
// fails, so that a JSON export whose gzip payloads expand too far stops
// too, not just the payload.
type inflation struct {
	r     io.Reader
	in    int64 // the file's bytes read
	out   int64 // bytes decompressed from them
	ratio int64
	err   error
}

func (f *inflation) Read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.r.Read(p)
	f.in += int64(n)
	return n, err
}

// inflated counts n more bytes decompressed and returns the error once
// they pass the bound.
func (f *inflation) inflated(n int) error {
	f.out += int64(n)
	if f.err == nil && f.out > expansionFloor && f.out/f.ratio > f.in {
		f.err = &readError{fmt.Errorf("%w: %d bytes out of the file's first %d, more than %d times as many", ErrExpansion, f.out, f.in, f.ratio)}
	}
	return f.err
}

// gzipReader ends a truncated gzip stream like a truncated text file (what
// was read is used, the cut is reported) and marks other damage as a read
// error, which stops the file, as is passing the expansion bound.
type gzipReader struct {
	r         io.Reader
	bound     *inflation // nil: none
	truncated bool
}

func (g *gzipReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if g.bound != nil {
		if berr := g.bound.inflated(n); berr != nil {
			return 0, berr
		}
	}
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		g.truncated = true
		err = io.EOF
	case err != nil && !errors.Is(err, io.EOF):
		err = &readError{err}
	}
	return n, err
}

// addMessage classifies one message of an export or a copy (a
// filter-log-events event, a Logs Insights row, an `aws logs tail` line)
// from the given log stream. Exports mix log kinds, so messages of no known
// kind are ignored rather than malformed.
func (e *Evidence) addMessage(sum *FileSummary, pos Position, at time.Time, stream string, msg []byte) {
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
		// A message is a whole log event (its continuation lines were
		// joined to it): it continues nothing.
		sum.Ignored++
		return
	}
	if p.time.IsZero() {
		p.time = at
	}
	if !e.add(p, LogLine{Position: pos, Text: excerpt(msg), Time: p.time}, stream) {
		// An execution-log text with no request before it to belong
		// to: as good as unknown.
		sum.Ignored++
		return
	}
	sum.Records++
}

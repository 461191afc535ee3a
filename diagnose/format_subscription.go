package diagnose

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"strings"
)

// FormatSubscription is a CloudWatch Logs subscription-filter payload:
// {"messageType":"DATA_MESSAGE","logGroup":..,"logStream":..,"logEvents":
// [{"id":..,"timestamp":..,"message":..}]}, as JSON, gzip, gzip and base64
// as delivered (a Kinesis record's data), or inside a Lambda subscriber's
// event ({"awslogs":{"data":"<base64 gzip>"}}).
const FormatSubscription Format = "subscription-filter"

// gzipBase64Start is how base64 of gzip data begins ("\x1f\x8b\x08").
const gzipBase64Start = "H4sI"

var subscriptionBase64Format = fileFormat{
	name: FormatSubscription,
	detect: func(h *fileHead) bool {
		return bytes.HasPrefix(h.raw, []byte(gzipBase64Start))
	},
	read: func(e *Evidence, name string, br *bufio.Reader, sum *FileSummary, depth int) error {
		return e.readStream(name, base64.NewDecoder(base64.StdEncoding, &spaceDropper{r: br}), sum, depth+1)
	},
}

// spaceDropper drops the line breaks and spaces base64 text is wrapped in.
type spaceDropper struct{ r io.Reader }

func (s *spaceDropper) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if c != '\n' && c != '\r' && c != ' ' && c != '\t' {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// awslogs reads {"data":"<base64 gzip payload>"} after the "awslogs" key.
func (d *documentReader) awslogs() error {
	var v struct {
		Data string `json:"data"`
	}
	if err := d.dec.Decode(&v); err != nil {
		return err
	}
	if v.Data == "" {
		return nil
	}
	d.nested("awslogs data", base64.NewDecoder(base64.StdEncoding, strings.NewReader(v.Data)))
	return nil
}

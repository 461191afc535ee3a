package timeline

import (
	"bufio"
	_ "embed"
	"html/template"
	"io"
	"strings"
)

//go:embed page.html.tmpl
var pageTemplate string

var pageTmpl = template.Must(template.New("page").Parse(pageTemplate))

// inlineLanes is how many lanes a page holds as markup; the others come
// as text in chunks of as many, which a small script adds as the reader
// scrolls, filters or follows a link. Parsing 1,000 lanes of SVG takes a
// loaded browser over a second; 100 lanes and text do not.
const inlineLanes = 100

// view is what the template sees: the page, its first lanes, and the
// rendered markup of the others in chunks.
type view struct {
	Page
	Lanes []Lane
	More  []string
	Total int
}

// Write renders p as one self-contained HTML document: inline CSS and
// SVG, nothing fetched, no script up to inlineLanes lanes. Filters are
// CSS; on larger pages they first add every lane.
func Write(w io.Writer, p Page) error {
	v := view{Page: p, Lanes: p.Lanes, Total: len(p.Lanes)}
	if len(p.Lanes) > inlineLanes {
		v.Lanes = p.Lanes[:inlineLanes]
		for rest := p.Lanes[inlineLanes:]; len(rest) > 0; {
			n := min(len(rest), inlineLanes)
			var chunk strings.Builder
			for _, l := range rest[:n] {
				// Escaped here as markup, then again as the text of
				// a textarea: the browser's decoding undoes only the
				// second.
				if err := pageTmpl.ExecuteTemplate(&chunk, "lane", l); err != nil {
					return err
				}
			}
			v.More = append(v.More, chunk.String())
			rest = rest[n:]
		}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := pageTmpl.Execute(bw, v); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteInput builds the page for in and writes it.
func WriteInput(w io.Writer, in Input) error { return Write(w, Build(in)) }

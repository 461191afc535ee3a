package timeline

import (
	"bufio"
	_ "embed"
	"html/template"
	"io"
)

//go:embed page.html.tmpl
var pageTemplate string

var pageTmpl = template.Must(template.New("page").Parse(pageTemplate))

// Write renders p as one self-contained HTML document: inline CSS and SVG,
// no script, nothing fetched.
func Write(w io.Writer, p Page) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := pageTmpl.Execute(bw, p); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteInput builds the page for in and writes it.
func WriteInput(w io.Writer, in Input) error { return Write(w, Build(in)) }

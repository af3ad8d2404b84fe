package nbclean

import (
	"fmt"
	"strings"
)

// Text is one string of a notebook as it will be written, decoded from
// JSON: a cell's source, a kept output's text, a metadata value. Secret
// scanners read Value and may Replace it.
type Text struct {
	Cell  int    // cell index, -1 for the notebook's metadata
	Field string // where in the cell: "source", "outputs[0].text", "metadata.tags[1]", ...
	Value string
	v     *value
}

// Replace changes the string in the notebook; Bytes then writes the new one.
func (t *Text) Replace(s string) {
	t.v.setText(s)
	t.Value = s
}

// binaryMime reports output data that is base64 (images, PDFs...): not
// text a person wrote or a secret could hide in readably.
func binaryMime(mime string) bool {
	switch {
	case strings.HasPrefix(mime, "text/"), isJSONMime(mime), mime == "application/javascript",
		mime == "image/svg+xml", strings.HasSuffix(mime, "+xml"):
		return false
	}
	return true
}

// Texts lists the strings of the notebook that will be committed, for
// scanning: cell sources, the outputs that Strip kept (except base64 data
// such as images), and metadata. Cell ids, cell types and attachments
// (base64 images) are left out. Call it after Strip.
func (nb *Notebook) Texts() []Text {
	var out []Text
	var walk func(cell int, path string, v *value, skipBinary bool)
	walk = func(cell int, path string, v *value, skipBinary bool) {
		switch v.kind {
		case kString:
			s, err := v.text()
			if err == nil && s != "" {
				out = append(out, Text{Cell: cell, Field: path, Value: s, v: v})
			}
		case kArray:
			for i, el := range v.arr {
				walk(cell, fmt.Sprintf("%s[%d]", path, i), el, skipBinary)
			}
		case kObject:
			for _, m := range v.obj {
				if skipBinary && binaryMime(m.key) {
					continue
				}
				p := m.key
				if path != "" {
					p = path + "." + m.key
				}
				// Only an output's mime bundle ("outputs[i].data") holds base64.
				bundle := m.key == "data" && strings.HasPrefix(path, "outputs[") && !strings.Contains(path, ".")
				walk(cell, p, m.val, bundle)
			}
		}
	}
	walk(-1, "metadata", nb.root.get("metadata"), false)
	for i, c := range nb.cells {
		if src := c.get("source"); src != nil {
			walk(i, "source", src, false)
		}
		walk(i, "metadata", c.get("metadata"), false)
		if outs := c.get("outputs"); outs != nil {
			walk(i, "outputs", outs, false)
		}
	}
	return out
}

// Kept reports whether Strip kept the outputs of cell i.
func (nb *Notebook) Kept(i int) bool { return i >= 0 && i < len(nb.kept) && nb.kept[i] }

// Cells is the number of cells.
func (nb *Notebook) Cells() int { return len(nb.cells) }

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
	// Base64 marks base64 data (an image output, an attachment): decode it
	// to look inside; replacing part of it would break it.
	Base64 bool
	v      *value
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

// Texts lists every string of the notebook that will be committed, for
// scanning: cell sources, the outputs that Strip kept, metadata, cell ids,
// attachments and any key nbformat does not know, decoded from JSON. Base64
// data (binary output types such as image/png, and attachments) is marked
// Base64. Call it after Strip.
func (nb *Notebook) Texts() []Text {
	var out []Text
	var walk func(cell int, path string, v *value, base64 bool)
	walk = func(cell int, path string, v *value, base64 bool) {
		if v == nil {
			return
		}
		switch v.kind {
		case kString:
			s, err := v.text()
			if err == nil && s != "" {
				out = append(out, Text{Cell: cell, Field: path, Value: s, Base64: base64, v: v})
			}
		case kArray:
			for i, el := range v.arr {
				walk(cell, fmt.Sprintf("%s[%d]", path, i), el, base64)
			}
		case kObject:
			// An output's mime bundle ("outputs[i].data") holds base64 for
			// binary types; an attachment ("attachments.<name>") for all.
			bundle := strings.HasPrefix(path, "outputs[") && strings.HasSuffix(path, "].data") && strings.Count(path, ".") == 1
			attachments := path == "attachments"
			for _, m := range v.obj {
				p := m.key
				if path != "" {
					p = path + "." + m.key
				}
				walk(cell, p, m.val, base64 || attachments || bundle && binaryMime(m.key))
			}
		}
	}
	for _, m := range nb.root.obj {
		if m.key != "cells" {
			walk(-1, m.key, m.val, false)
		}
	}
	for i, c := range nb.cells {
		walk(i, "", c, false)
	}
	return out
}

// Kept reports whether Strip kept the outputs of cell i.
func (nb *Notebook) Kept(i int) bool { return i >= 0 && i < len(nb.kept) && nb.kept[i] }

// Cells is the number of cells.
func (nb *Notebook) Cells() int { return len(nb.cells) }

package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Notebook is the part of an nbformat 4 notebook the exporter reads.
type Notebook struct {
	Cells    []Cell         `json:"cells"`
	Metadata map[string]any `json:"metadata"`
	Format   int            `json:"nbformat"`
}

// Cell is one notebook cell.
type Cell struct {
	Type        string                          `json:"cell_type"`
	Source      MultiLine                       `json:"source"`
	Metadata    CellMetadata                    `json:"metadata"`
	Outputs     []Output                        `json:"outputs"`
	Attachments map[string]map[string]MultiLine `json:"attachments"`
}

// CellMetadata holds the cell's tags.
type CellMetadata struct {
	Tags []string `json:"tags"`
}

// Output is one output of a code cell.
type Output struct {
	Type string               `json:"output_type"`
	Name string               `json:"name"` // stream: stdout or stderr
	Text MultiLine            `json:"text"`
	Data map[string]MultiLine `json:"data"`
	// Metadata of a display, by key; helpers put a figure's lineage under provenance.MetadataKey.
	Metadata map[string]json.RawMessage `json:"metadata"`
	EName    string                     `json:"ename"`
	EVal     string                     `json:"evalue"`
}

// MultiLine is nbformat's "multiline string": a string or a list of strings to concatenate.
type MultiLine string

// UnmarshalJSON accepts both forms.
func (m *MultiLine) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var parts []string
		if err := json.Unmarshal(b, &parts); err != nil {
			return err
		}
		*m = MultiLine(strings.Join(parts, ""))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		// Non-string data (e.g. application/json outputs) is kept as its JSON text.
		*m = MultiLine(b)
		return nil
	}
	*m = MultiLine(s)
	return nil
}

// ParseError says why a file is not a notebook the exporter can read.
type ParseError struct {
	File   string
	Line   int // 0 when unknown
	Reason string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("report: %s:%d is not a valid notebook: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("report: %s is not a valid notebook: %s", e.File, e.Reason)
}

// ParseNotebook decodes an nbformat 4 notebook; name is used in errors.
func ParseNotebook(name string, data []byte) (*Notebook, error) {
	var nb Notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		perr := &ParseError{File: name, Reason: err.Error()}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			perr.Line = lineAt(data, se.Offset)
			perr.Reason = "JSON syntax error: " + se.Error()
		case errors.As(err, &te):
			perr.Line = lineAt(data, te.Offset)
			perr.Reason = fmt.Sprintf("expected %s for %q, found JSON %s", te.Type, te.Field, te.Value)
		}
		return nil, perr
	}
	if nb.Format != 4 {
		return nil, &ParseError{File: name, Reason: fmt.Sprintf("expected nbformat 4, found %d", nb.Format)}
	}
	if nb.Cells == nil {
		return nil, &ParseError{File: name, Reason: `expected a "cells" list, found none`}
	}
	return &nb, nil
}

func lineAt(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return 1 + strings.Count(string(data[:offset]), "\n")
}

// tagged reports whether the cell carries any of the tags.
func (c Cell) tagged(tags ...string) bool {
	for _, t := range c.Metadata.Tags {
		for _, want := range tags {
			if t == want {
				return true
			}
		}
	}
	return false
}

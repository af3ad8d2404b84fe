package nbclean

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// DefaultExtraKeys are the metadata keys nbstripout removes by default
// (nbstripout 0.9.1): "metadata." keys are looked up in the notebook's
// metadata, "cell." keys in every cell.
var DefaultExtraKeys = []string{
	"metadata.signature",
	"metadata.widgets",
	"cell.metadata.collapsed",
	"cell.metadata.ExecuteTime",
	"cell.metadata.execution",
	"cell.metadata.heading_collapsed",
	"cell.metadata.hidden",
	"cell.metadata.scrolled",
}

// KeepOutputTag is the cell tag (and metadata key) that keeps a cell's
// outputs; a notebook-level metadata key of the same name keeps them all.
const KeepOutputTag = "keep_output"

// Options are nbstripout's options; the zero value is nbstripout's default.
type Options struct {
	KeepOutput       bool     // --keep-output: keep every cell's outputs
	KeepCount        bool     // --keep-count: keep execution counts
	KeepID           bool     // --keep-id: keep cell ids instead of numbering cells 0, 1, ...
	ExtraKeys        []string // --extra-keys, added to DefaultExtraKeys
	KeepMetadataKeys []string // --keep-metadata-keys, removed from the keys to strip
}

// ErrNotNotebook is wrapped by errors for JSON that is not a notebook
// nbformat 4 can read.
var ErrNotNotebook = errors.New("not a Jupyter notebook")

// Notebook is a parsed .ipynb file, held the way nbformat holds it in
// memory (multi-line strings joined), so that cleaning and writing it back
// give what nbstripout gives.
type Notebook struct {
	root     *value
	cells    []*value
	stripped bool
	kept     []bool // per cell, after Strip: outputs kept
}

// Parse reads a notebook. Errors are a *SyntaxError for invalid JSON or wrap
// ErrNotNotebook for JSON that nbformat 4 would refuse.
func Parse(data []byte) (*Notebook, error) {
	root, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	if root.kind != kObject {
		return nil, fmt.Errorf("%w: the top-level JSON value is %s, expected an object", ErrNotNotebook, kindName(root.kind))
	}
	major, minor := 1, 0 // nbformat's defaults
	if v := root.get("nbformat"); v != nil {
		major = intOf(v, -1)
	}
	if v := root.get("nbformat_minor"); v != nil {
		minor = intOf(v, -1)
	}
	if major != 4 {
		return nil, fmt.Errorf("%w: nbformat version %s, expected 4 (convert it with jupyter nbconvert --to notebook)", ErrNotNotebook, describe(root.get("nbformat")))
	}
	meta := root.get("metadata")
	if meta == nil || meta.kind != kObject {
		return nil, fmt.Errorf("%w: the notebook's \"metadata\" is %s, expected an object", ErrNotNotebook, describe(meta))
	}
	cells := root.get("cells")
	if cells == nil || cells.kind != kArray {
		return nil, fmt.Errorf("%w: \"cells\" is %s, expected an array", ErrNotNotebook, describe(cells))
	}
	nb := &Notebook{root: root, cells: cells.arr}
	for i, c := range nb.cells {
		if c.kind != kObject {
			return nil, fmt.Errorf("%w: cell %d is %s, expected an object", ErrNotNotebook, i, kindName(c.kind))
		}
		if m := c.get("metadata"); m == nil || m.kind != kObject {
			return nil, fmt.Errorf("%w: cell %d: \"metadata\" is %s, expected an object", ErrNotNotebook, i, describe(m))
		}
		if ct := c.get("cell_type"); ct == nil || ct.kind != kString {
			return nil, fmt.Errorf("%w: cell %d: \"cell_type\" is %s, expected a string", ErrNotNotebook, i, describe(ct))
		}
		if c.get("cell_type").textOr() == "code" {
			if o := c.get("outputs"); o == nil || o.kind != kArray {
				return nil, fmt.Errorf("%w: code cell %d: \"outputs\" is %s, expected an array", ErrNotNotebook, i, describe(o))
			}
		}
		if err := rejoinCell(c); err != nil {
			return nil, fmt.Errorf("cell %d: %w", i, err)
		}
	}
	if major > 4 || minor >= 5 {
		// nbformat's validate() gives missing or duplicate ids a random one.
		seen := map[string]bool{}
		for _, c := range nb.cells {
			id := c.get("id")
			if id == nil {
				c.set("id", newString(randomID()))
				continue
			}
			if id.kind == kString && seen[id.textOr()] {
				c.set("id", newString(randomID()))
				continue
			}
			if id.kind == kString {
				seen[id.textOr()] = true
			}
		}
	}
	return nb, nil
}

func kindName(k kind) string {
	return [...]string{"null", "false", "true", "a number", "a string", "an array", "an object"}[k]
}

func describe(v *value) string {
	if v == nil {
		return "missing"
	}
	if v.kind == kNumber {
		return string(v.raw)
	}
	return kindName(v.kind)
}

func intOf(v *value, def int) int {
	if v.kind != kNumber {
		return def
	}
	n, err := strconv.Atoi(string(v.raw))
	if err != nil {
		return def
	}
	return n
}

func randomID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// rejoinCell joins multi-line strings stored as lists (nbformat's
// rejoin_lines), except in code outputs, which are joined after Strip drops
// most of them.
func rejoinCell(c *value) error {
	if src := c.get("source"); src != nil && src.kind == kArray {
		if err := joinInto(src); err != nil {
			return fmt.Errorf("source: %w", err)
		}
	}
	if att := c.get("attachments"); att != nil && att.kind == kObject {
		for _, m := range att.obj {
			if err := rejoinBundle(m.val); err != nil {
				return err
			}
		}
	}
	return nil
}

func rejoinOutputs(c *value) error {
	if c.get("cell_type").textOr() != "code" {
		return nil
	}
	outs := c.get("outputs")
	if outs == nil || outs.kind != kArray {
		return nil
	}
	for _, o := range outs.arr {
		if o.kind != kObject {
			continue
		}
		ot := o.get("output_type")
		switch t := ot.textOr(); {
		case t == "execute_result" || t == "display_data":
			if err := rejoinBundle(o.get("data")); err != nil {
				return err
			}
		case ot != nil && ot.truthy():
			if txt := o.get("text"); txt != nil && txt.kind == kArray {
				if err := joinInto(txt); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func isJSONMime(mime string) bool {
	return mime == "application/json" || strings.HasPrefix(mime, "application/") && strings.HasSuffix(mime, "+json")
}

func rejoinBundle(data *value) error {
	if data == nil || data.kind != kObject {
		return nil
	}
	for _, m := range data.obj {
		if isJSONMime(m.key) || m.val.kind != kArray {
			continue
		}
		if err := joinInto(m.val); err != nil {
			return err
		}
	}
	return nil
}

// joinInto turns a list of strings into their concatenation, as "".join does;
// a list holding anything but strings is left alone.
func joinInto(v *value) error {
	for _, el := range v.arr {
		if el.kind != kString {
			return nil
		}
	}
	var b strings.Builder
	for _, el := range v.arr {
		s, err := el.text()
		if err != nil {
			return err
		}
		b.WriteString(s)
	}
	*v = value{kind: kString, decoded: true, str: b.String()}
	return nil
}

// Strip removes outputs, execution counts and volatile metadata as nbstripout
// does with the same options. Cells tagged keep_output (or with
// metadata.keep_output true, or init_cell true) keep their outputs.
func (nb *Notebook) Strip(opts Options) error {
	meta := nb.root.get("metadata")
	keepOutput := opts.KeepOutput
	if !keepOutput && meta.has(KeepOutputTag) {
		keepOutput = meta.get(KeepOutputTag).truthy()
	}
	var metaKeys, cellKeys []string
	keys := append(append([]string{}, DefaultExtraKeys...), opts.ExtraKeys...)
	for _, k := range keys {
		if contains(opts.KeepMetadataKeys, k) {
			continue
		}
		ns, sub, ok := strings.Cut(k, ".")
		switch {
		case !ok:
		case ns == "metadata":
			metaKeys = append(metaKeys, sub)
		case ns == "cell":
			cellKeys = append(cellKeys, sub)
		}
	}
	for _, k := range metaKeys {
		popRecursive(meta, k)
	}
	nb.kept = make([]bool, len(nb.cells))
	for i, c := range nb.cells {
		keep, err := keepOutputOf(c, keepOutput)
		if err != nil {
			return fmt.Errorf("cell %d: %w", i, err)
		}
		nb.kept[i] = keep
		if outs := c.get("outputs"); outs != nil && outs.kind == kArray {
			if !keep {
				// nbstripout keeps outputs whose strings sum to at most
				// --max-size characters, 0 by default.
				kept := outs.arr[:0]
				for _, o := range outs.arr {
					if sizeIsZero(o) {
						kept = append(kept, o)
					}
				}
				clear(outs.arr[len(kept):])
				outs.arr = kept
			}
			if !opts.KeepCount {
				for _, o := range outs.arr {
					if o.kind == kObject && o.has("execution_count") {
						o.set("execution_count", &value{kind: kNull})
					}
				}
			}
		}
		if !opts.KeepCount {
			for _, k := range []string{"prompt_number", "execution_count"} {
				if c.has(k) {
					c.set(k, &value{kind: kNull})
				}
			}
		}
		if c.has("id") && !opts.KeepID {
			c.set("id", newString(strconv.Itoa(i)))
		}
		for _, k := range cellKeys {
			popRecursive(c, k)
		}
		if err := rejoinOutputs(c); err != nil {
			return fmt.Errorf("cell %d: %w", i, err)
		}
	}
	nb.stripped = true
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// popRecursive is nbstripout's pop_recursive: key is a dotted path.
func popRecursive(d *value, key string) {
	if d == nil || d.kind != kObject {
		return
	}
	if d.pop(key) {
		return
	}
	head, tail, ok := strings.Cut(key, ".")
	if !ok {
		return
	}
	popRecursive(d.get(head), tail)
}

// ErrKeepOutputConflict is returned by Strip for a cell whose metadata says
// keep_output false while its tags say keep_output (nbstripout refuses it too).
var ErrKeepOutputConflict = errors.New("cell metadata contradicts tags: `keep_output` is false, but `keep_output` in tags")

func keepOutputOf(c *value, def bool) (bool, error) {
	m := c.get("metadata")
	if m == nil {
		return def, nil
	}
	if m.has("init_cell") {
		return m.get("init_cell").truthy(), nil
	}
	hasMeta := m.has(KeepOutputTag)
	metaVal := hasMeta && m.get(KeepOutputTag).truthy()
	hasTag := false
	if tags := m.get("tags"); tags != nil {
		switch tags.kind {
		case kArray:
			for _, t := range tags.arr {
				if t.kind == kString && t.textOr() == KeepOutputTag {
					hasTag = true
				}
			}
		case kString: // Python's `in` on a str is a substring test
			hasTag = strings.Contains(tags.textOr(), KeepOutputTag)
		case kObject:
			hasTag = tags.has(KeepOutputTag)
		}
	}
	if hasMeta && hasTag && !metaVal {
		return false, ErrKeepOutputConflict
	}
	if hasMeta || hasTag {
		return metaVal || hasTag, nil
	}
	return def, nil
}

// sizeIsZero reports whether nbstripout's get_size(output) is 0: only empty
// strings and containers of them count nothing.
func sizeIsZero(v *value) bool {
	switch v.kind {
	case kString:
		return !v.truthy()
	case kArray:
		for _, el := range v.arr {
			if !sizeIsZero(el) {
				return false
			}
		}
		return true
	case kObject:
		for _, m := range v.obj {
			if !sizeIsZero(m.val) {
				return false
			}
		}
		return true
	}
	return false
}

// Bytes writes the notebook as nbformat.write does: split multi-line
// strings, drop transient keys, indent 1, sorted keys, a final newline.
func (nb *Notebook) Bytes() ([]byte, error) {
	meta := nb.root.get("metadata")
	for _, k := range []string{"orig_nbformat", "orig_nbformat_minor", "signature"} {
		meta.pop(k)
	}
	for _, c := range nb.cells {
		if !nb.stripped {
			if err := rejoinOutputs(c); err != nil {
				return nil, err
			}
		}
		c.get("metadata").pop("trusted")
	}
	nb.stripped = true // outputs are joined now
	// Split on copies so that the in-memory notebook stays joined.
	w := &writer{buf: make([]byte, 0, 4096)}
	saved := make([]*value, len(nb.cells))
	for i, c := range nb.cells {
		saved[i] = c
		nb.cells[i] = splitCell(c)
	}
	w.write(nb.root, 0)
	copy(nb.cells, saved)
	if w.err != nil {
		return nil, w.err
	}
	return append(w.buf, '\n'), nil
}

var nonTextSplitMimes = map[string]bool{"application/javascript": true, "image/svg+xml": true}

// splitCell returns a shallow copy of c with nbformat's split_lines applied.
func splitCell(c *value) *value {
	cc := *c
	cc.obj = append([]member(nil), c.obj...)
	splitIn := func(obj *value, key string) {
		v := obj.get(key)
		if v == nil || v.kind != kString {
			return
		}
		s, err := v.text()
		if err != nil {
			return // written as is; the writer reports the error
		}
		lines := splitLines(s)
		arr := &value{kind: kArray, arr: make([]*value, len(lines))}
		for i, l := range lines {
			arr.arr[i] = newString(l)
		}
		obj.set(key, arr)
	}
	splitBundle := func(data *value) *value {
		if data == nil || data.kind != kObject {
			return data
		}
		dc := &value{kind: kObject, obj: append([]member(nil), data.obj...)}
		for _, m := range data.obj {
			if strings.HasPrefix(m.key, "text/") || nonTextSplitMimes[m.key] {
				splitIn(dc, m.key)
			}
		}
		return dc
	}
	splitIn(&cc, "source")
	if att := cc.get("attachments"); att != nil && att.kind == kObject {
		ac := &value{kind: kObject, obj: append([]member(nil), att.obj...)}
		for i := range ac.obj {
			ac.obj[i].val = splitBundle(ac.obj[i].val)
		}
		cc.set("attachments", ac)
	}
	if cc.get("cell_type").textOr() == "code" {
		if outs := cc.get("outputs"); outs != nil && outs.kind == kArray {
			oc := &value{kind: kArray, arr: make([]*value, len(outs.arr))}
			for i, o := range outs.arr {
				oc.arr[i] = o
				if o.kind != kObject {
					continue
				}
				switch o.get("output_type").textOr() {
				case "execute_result", "display_data":
					if d := o.get("data"); d != nil {
						x := &value{kind: kObject, obj: append([]member(nil), o.obj...)}
						x.set("data", splitBundle(d))
						oc.arr[i] = x
					}
				case "stream":
					x := &value{kind: kObject, obj: append([]member(nil), o.obj...)}
					splitIn(x, "text")
					oc.arr[i] = x
				}
			}
			cc.set("outputs", oc)
		}
	}
	return &cc
}

// Clean parses, strips and writes a notebook: the bytes nbstripout would
// write for data with the same options.
func Clean(data []byte, opts Options) ([]byte, error) {
	nb, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if err := nb.Strip(opts); err != nil {
		return nil, err
	}
	return nb.Bytes()
}

// SourceText joins a cell's "source" as JSON decodes it into an any: one string, or a list of
// lines (nbformat allows both). Anything else is "".
func SourceText(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []any:
		var b strings.Builder
		for _, l := range s {
			if t, ok := l.(string); ok {
				b.WriteString(t)
			}
		}
		return b.String()
	}
	return ""
}

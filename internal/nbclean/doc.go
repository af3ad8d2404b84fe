// Package nbclean strips Jupyter notebooks the way nbstripout does, byte for
// byte: outputs, execution counts and volatile metadata go, sources stay.
//
//	clean, err := nbclean.Clean(data, nbclean.Options{})
//	// clean is what `nbstripout < nb.ipynb` writes (nbstripout 0.9.1, nbformat 5.11)
//
// To inspect or change what will be written (the pre-commit hook strips
// secrets from cell sources this way), parse, strip, edit, then write:
//
//	nb, err := nbclean.Parse(data)     // *SyntaxError, or wraps ErrNotNotebook
//	err = nb.Strip(nbclean.Options{})
//	for _, t := range nb.Texts() {     // sources, kept outputs, metadata, decoded
//		if strings.Contains(t.Value, "secret") {
//			t.Replace("<removed>")
//		}
//	}
//	clean, err := nb.Bytes()
//
// # What is removed
//
// As nbstripout with its defaults: every cell's outputs, execution counts
// (cells and kept outputs), the notebook's metadata.signature and
// metadata.widgets, cells' metadata.collapsed, ExecuteTime, execution,
// heading_collapsed, hidden and scrolled (DefaultExtraKeys), plus what
// nbformat drops on every write (metadata.orig_nbformat*, cells'
// metadata.trusted). Cell ids become "0", "1", ... so that re-running a
// notebook does not change them. Cells tagged keep_output (or with metadata
// keep_output: true, or init_cell: true) keep their outputs, and so does
// every cell of a notebook whose metadata has keep_output: true.
//
// # Byte-for-byte compatibility
//
// The output is Python's json.dumps(indent=1, sort_keys=True,
// ensure_ascii=False) of nbformat's in-memory notebook: multi-line strings
// split with str.splitlines(keepends=True) semantics (\r, \v, \f, U+2028...
// included), only '"', '\\' and control characters escaped, floats written
// as Python's repr (1e-05, 1500.0, NaN, Infinity), integers exactly, last
// duplicate key kept, a final newline. Notebooks of nbformat 4.5 and later
// missing cell ids get numbered ones, as nbformat then nbstripout do. The
// golden files in testdata/corpus were written by nbstripout 0.9.1 (see
// testdata/README.md); `go test -regen` rewrites them when nbstripout is on
// PATH or in $NBSTRIPOUT.
//
// Deliberate differences:
//   - nbstripout FILE (in place) leaves a file alone when stripping changes
//     nothing in its parsed content, even if it is formatted differently;
//     Clean always returns the canonical form, which is what nbstripout
//     writes as a git filter (stdin to stdout) or with --textconv.
//   - Notebooks in nbformat 3 or older, and JSON that nbformat 4 cannot read
//     (a cell without metadata, a code cell without outputs), are errors
//     wrapping ErrNotNotebook instead of being converted or crashing.
//   - Only nbstripout's default mode and the options in Options are
//     implemented: not --max-size, --drop-empty-cells, --drop-tagged-cells,
//     --keep-output-type/--drop-output-type, --strip-init-cells or Zeppelin.
//
// Invalid JSON, invalid UTF-8, a byte order mark and lone UTF-16 surrogate
// escapes in kept strings are errors, as they are for nbstripout; a
// *SyntaxError gives the line and column.
package nbclean

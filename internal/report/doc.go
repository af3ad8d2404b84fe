// Package report exports a notebook as a report for stakeholders (scripts/report, `make report NB=...`):
// the partial results of step 6 and the living report of step 7, as one self-contained HTML page, and on
// request a PDF (headless Chromium, A4 or Letter) and a Word document people can comment on (.docx,
// through pandoc).
//
// What a report holds:
//   - Markdown cells, rendered (GitHub-flavoured: tables, task lists); pasted images (attachments) embedded;
//   - the outputs of code cells — HTML tables, charts (PNG, JPEG, SVG embedded as data: URIs), text — but not
//     their code, unless the cell is tagged "show-code"; figures and query-result tables numbered, each
//     caption linking to where its numbers came from;
//   - a header: title, author, date, the git commit (and whether the notebook has uncommitted changes), the
//     parameters of the run, and one statement of how fresh the data is (see [Provenance]); a section whose
//     data was read at another time or lag starts with a note of its own. Reports say when and with what lag
//     the data was read, never from which server or as which user, since those are .env values;
//   - a table of contents of the level-2 and level-3 headings, and an appendix: cells tagged "appendix";
//     every figure and table with the query behind it (SQL, arguments, rows, read time, lag); the output of
//     exploration helpers, moved out of the body; the questions log (notebooks/questions.md), each
//     question once.
//
// Everything it reads about data comes from the provenance protocol the helpers write
// (internal/provenance): the marks on banners and load lines, the lineage records of figures and tables,
// and the marks on exploration output and on text meant only for a live notebook.
//
// Cell tags: "show-code" (also "show-input"), "hide" (also "remove-cell", "remove_cell", "hide-cell"),
// "appendix", "remove-output" (also "hide-output"), "keep-explore", "parameters". Tags can be set in
// JupyterLab's property inspector.
//
// Parameters (papermill's and Quarto's convention): [Export] with a [Variant] runs the notebook with a cell
// tagged "injected-parameters" after the cell tagged "parameters", whose declarations give the types the
// values are checked against before anything runs; [ExportVariants] writes one report per variant.
//
// Verification: with Verify, the query of every figure and table is run again on the replica and its
// numbers compared with the recorded ones (provenance.Compare, 0.5 % tolerance by default); changed ones are
// flagged in the caption, the appendix and the header.
//
// Layout: [CheckReport] opens a written report in headless Chromium at a 1200-pixel screen and at the
// printable widths of A4 and Letter and measures every element against the text column.
//
// Safety: outputs keep their markup and styles, but scripts, frames, event handlers and anything that
// would load from the network are removed, so the file opens offline and runs nothing. Before writing, the
// report — and what goes into the .docx — is scanned with the pre-commit hook's scanner (internal/secrets);
// a report with a finding is refused and nothing is written.
package report

// Package report exports a notebook as a self-contained HTML report for stakeholders (scripts/report,
// `make report NB=...`): the partial results of step 6 and the living report of step 7.
//
// What a report holds:
//   - Markdown cells, rendered (GitHub-flavoured: tables, task lists); pasted images (attachments) embedded;
//   - the outputs of code cells — HTML tables, charts (PNG, JPEG, SVG embedded as data: URIs), text — but not
//     their code, unless the cell is tagged "show-code";
//   - a header: title, author, date, the git commit (and whether the notebook has uncommitted changes), and
//     how fresh the data is, gathered from the provenance marks the helpers put on their outputs (the replica
//     banner and cached results); the report says when and with what lag the data was read, never from which
//     server or as which user, since those are .env values;
//   - a table of contents of the level-2 and level-3 headings; cells tagged "appendix" in an appendix; the
//     questions log (notebooks/questions.md) as a final appendix.
//
// Cell tags: "show-code" (also "show-input"), "hide" (also "remove-cell", "remove_cell", "hide-cell"),
// "appendix", "remove-output" (also "hide-output"). Tags can be set in JupyterLab's property inspector.
//
// Safety: outputs keep their markup and styles, but scripts, frames, event handlers and anything that
// would load from the network are removed, so the file opens offline and runs nothing. Before writing, the
// report is scanned with the pre-commit hook's scanner (internal/secrets: the .env values, gitleaks' rules,
// connection strings with passwords); a report with a finding is refused and nothing is written.
//
// --execute runs the notebook on the "Go (replica)" kernel first (nbclient from the project's .venv) without
// changing the .ipynb; --pdf prints the HTML to PDF with headless Chromium.
package report

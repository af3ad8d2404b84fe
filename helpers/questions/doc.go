// Package questions keeps the questions log of an analysis: each question, whom it is for, the
// query or table that prompted it, and later its answer, in a Markdown file committed with the
// repository (reviewed like code, and included in the report's appendix).
//
// Two ways to use it, side by side. In a notebook cell, the repository's log and no error
// plumbing (an error is shown and stops the cell):
//
//	%%
//	q := questions.Ask("Why do some users have two accounts?", "product team",
//		"SELECT lower(email), count(*) FROM users GROUP BY 1 HAVING count(*) > 1")
//	questions.Answer(q.ID, "Sign-ups before 2024 compared e-mails case-sensitively.")
//	questions.All().Open().Show()
//
// Re-running a cell that asks a question adds nothing: a question already in the log (the same
// words, case and spacing aside) is found there and returned. In a program, the explicit form:
//
//	log, err := questions.Default() // <repo>/notebooks/questions.md
//	q, err := log.Ask("Why do some users have two accounts?", "product team", sql)
//	qs, err := log.List()
//
// The file lives at notebooks/questions.md by default: beside the notebooks that raise the
// questions, in a tracked folder (reports/ is ignored by git except its figures). REPLICALAB_REPO,
// set by the kernel, locates the repository; REPLICALAB_QUESTIONS overrides the path.
//
// The format is plain Markdown that people can edit by hand: a "## Q<n>: question" heading, then
// "- **For:**", "- **Asked:**", "- **Status:** open | answered YYYY-MM-DD", "- **Prompted by:**"
// (inline, or a fenced SQL block), and "**Answer:**" followed by the answer. [Parse] and [Format]
// round-trip it; text before the first question is kept as written.
package questions

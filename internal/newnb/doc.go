// Package newnb starts a new analysis notebook by copying a template (scripts/newnb, `make new`), with the
// cookiecutter-data-science naming: number, the author's initials, a description.
//
//	make new NAME=orders-by-region              # from 5.0-start-simple.ipynb
//	make new NAME=churn FROM=6.0 INITIALS=ab    # from 6.0-partial-results.ipynb, as "ab"
//
// writes notebooks/8.0-ab-churn.ipynb, where 8 is one more than the highest number in notebooks/. The
// copy is clean (no outputs, no execution counts, cell ids "0", "1", ..., as the pre-commit hook leaves
// notebooks) and its first heading becomes a title made from the name ("# Orders by region"), followed by
// a line saying which template it came from. Initials come from INITIALS, else from
// `git config user.name` (the first letter of each word: "Ada Lovelace" gives "al").
//
// It never overwrites a file, and refuses a name already used by another notebook of the same author
// (whatever its number), so that "make new" twice does not give two notebooks with one description.
package newnb

// Package kernelspec installs the project's Jupyter kernel, "Go (replica)": the kernel process of
// internal/kernel (built from ./kernel), which runs GoNB as its child with --go_work=<repository root>, so
// that cells compile in a Go workspace that includes this module and can import its helpers/ packages at
// the versions pinned in go.mod.
//
// Install does four things, each skipped when already done:
//
//  1. builds the pinned tools into <repo>/.tools/bin: gonb (the version go.mod pins as a tool), goimports
//     and gopls (versions pinned here, chosen to build with the local Go), and the kernel process itself
//     (replicalab-kernel, rebuilt from this repository by every install; the go command relinks it only
//     when its sources changed);
//  2. writes a small `go` shim into <repo>/.tools/shim that turns GoNB's automatic, argument-less
//     `go get` into a no-op (see below);
//  3. writes the kernelspec "replicalab" (display name "Go (replica)") into the Jupyter data directory the
//     project's JupyterLab reads; a user's own "gonb" kernelspec is never touched;
//  4. compiles every helpers/ package, their dependencies and gonbui in a throwaway module wired like
//     GoNB's, so the first cell a user runs finds a warm build cache.
//
// # Pinned versions in notebooks
//
// Before every build GoNB runs a bare `go get` in its temporary module, which asks the module proxy for the
// @latest version of any import the temporary module does not require itself. That floats versions away
// from go.mod and fails outright for modules the proxy only serves at exact versions (gota). Inside the
// Go workspace every import of the project already resolves to go.mod's versions, so the kernel puts a
// shim first on its PATH that answers that one call — `go get` with no package, run in a GoNB temporary
// module — with success and leaves every other `go` invocation to the real toolchain. A notebook therefore
// builds against exactly what `go test` in this repository builds against; to use a new library, add it
// to go.mod (`go get module@version` at the repository root) and import it in a cell.
//
// # Where the kernelspec goes
//
// The first of: the --data-dir flag; $JUPYTER_DATA_DIR; <repo>/.venv/share/jupyter when the project's
// virtual environment exists (that is sys.prefix for the venv's JupyterLab, which lists it); the user's
// Jupyter data directory (~/.local/share/jupyter, ~/Library/Jupyter on macOS).
//
// kernel.json holds paths and the PATH template only — never a value from the environment or .env.
package kernelspec

// Package kernel is the "Go (replica)" Jupyter kernel process: a thin front that binds the five Jupyter
// sockets itself and runs an unmodified GoNB as a child for Go cells.
//
// Why a front and not a fork: GoNB v0.11.4 keeps its message handling in internal packages, so no module
// can patch it, and a fork would have to be carried forward by hand. Standing in front of it costs one
// relay hop (tens of microseconds next to a cell's compile) and lets the kernel:
//
//   - answer kernel_info at once and publish status starting and idle at start (GoNB publishes nothing
//     until its first request, so JupyterLab showed "unknown");
//   - answer is_complete_request and history_request, which GoNB ignores;
//   - answer Go completion and inspection itself, with a gopls of its own started with the kernel: GoNB
//     starts gopls at once but its client waits a fixed 12 s (goplsclient.ConnectTimeout, used as the
//     delay before the first connection attempt and between waits in WaitConnection) before it
//     connects, and a completion asked in that window blocks GoNB's queue, and so the next cell, until
//     then; later, GoNB answers completion only after the running cell. The kernel's gopls works on a
//     scratch module wired like GoNB's, with the cell composed the way GoNB composes it (imports and
//     declarations of the cells already run included), answers at once and while a cell runs, and
//     loads only the packages a cell needs. GoNB's own gopls is replaced by a stand-in that ends at
//     once (internal/kernelspec writes it), so the workspace is not loaded twice;
//   - own the execution count and the execution queue (cells run one at a time, in order; after a
//     failing cell the queued ones are aborted when the client asked for stop_on_error);
//   - handle interrupt_request itself: stop a Go cell at any step (GoNB stops only a program it has
//     started, so an interrupt during the build was lost: the kernel signals the cell's processes itself)
//     and cancel on the server every query in flight through the notebook's replica session;
//   - shut down cleanly: GoNB runs in a session of its own and dies with the kernel (parent-death signal);
//     a watchdog process sweeps that session (GoNB, cell programs, gopls) and the kernel's private folder
//     when the kernel exits, however it exits.
//
// Every other message — Go execute requests, comms (widgets, the explore picker), input requests, later
// completion and inspection — passes through to GoNB and back unchanged: GoNB gets a connection file of
// its own on unix sockets in the kernel's private folder (0700), with the same signing key.
//
// GoNB builds each cell with -ldflags=-s, set through GoNB's own %goflags when it starts (unless GOFLAGS
// already sets -ldflags): the symbol table and DWARF are much of what the linker writes for a cell that
// imports the helpers, and cell programs are not debugged with a debugger. GOFLAGS itself is left alone:
// gopls keys its cache on it.
package kernel

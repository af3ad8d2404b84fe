package kernel

import (
	"sync"
)

// historySession is the number the kernel gives its one session in history replies. History lives in
// memory for the kernel's life: cells are saved in the notebook, and code typed in a cell is not copied
// anywhere else on disk.
const historySession = 1

// History records the code of executed cells (and the text of their results) for history_request.
type History struct {
	mu      sync.Mutex
	entries []historyEntry
}

type historyEntry struct {
	line   int
	input  string
	output *string
}

// Add records the input of execution number line.
func (h *History) Add(line int, input string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.entries = append(h.entries, historyEntry{line: line, input: input})
}

// SetOutput records the text/plain result of execution number line.
func (h *History) SetOutput(line int, output string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.entries) - 1; i >= 0; i-- {
		if h.entries[i].line == line {
			h.entries[i].output = &output
			return
		}
	}
}

// HistoryRequest is the content of a history_request.
type HistoryRequest struct {
	Output         bool    `json:"output"`
	Raw            bool    `json:"raw"`
	HistAccessType string  `json:"hist_access_type"`
	Session        *int    `json:"session"`
	Start          *int    `json:"start"`
	Stop           *int    `json:"stop"`
	N              *int    `json:"n"`
	Pattern        *string `json:"pattern"`
	Unique         bool    `json:"unique"`
}

// Query answers a history request: a list of [session, line, input] (or [session, line, [input,
// output]] when output is asked for), oldest first.
//
//   - tail: the last n entries;
//   - range: entries start <= line < stop of a session (0 or 1: this one; earlier sessions are not kept);
//   - search: entries whose input matches a glob pattern (* and ?), the last n of them.
//
// unique drops repeated inputs, keeping the latest.
func (h *History) Query(r HistoryRequest) []any {
	h.mu.Lock()
	entries := append([]historyEntry(nil), h.entries...)
	h.mu.Unlock()

	var picked []historyEntry
	switch r.HistAccessType {
	case "range":
		if r.Session != nil && *r.Session != 0 && *r.Session != historySession {
			return []any{}
		}
		start, stop := 0, int(^uint(0)>>1)
		if r.Start != nil {
			start = *r.Start
		}
		if r.Stop != nil && *r.Stop > 0 {
			stop = *r.Stop
		}
		for _, e := range entries {
			if e.line >= start && e.line < stop {
				picked = append(picked, e)
			}
		}
	case "search":
		pattern := "*"
		if r.Pattern != nil {
			pattern = *r.Pattern
		}
		for _, e := range entries {
			if globMatch(pattern, e.input) {
				picked = append(picked, e)
			}
		}
	default: // "tail"
		picked = entries
	}
	if r.Unique {
		seen := map[string]bool{}
		var kept []historyEntry
		for i := len(picked) - 1; i >= 0; i-- {
			if !seen[picked[i].input] {
				seen[picked[i].input] = true
				kept = append(kept, picked[i])
			}
		}
		for i, j := 0, len(kept)-1; i < j; i, j = i+1, j-1 {
			kept[i], kept[j] = kept[j], kept[i]
		}
		picked = kept
	}
	if r.HistAccessType != "range" && r.N != nil && *r.N >= 0 && len(picked) > *r.N {
		picked = picked[len(picked)-*r.N:]
	}
	out := make([]any, 0, len(picked))
	for _, e := range picked {
		if r.Output {
			var o any
			if e.output != nil {
				o = *e.output
			}
			out = append(out, []any{historySession, e.line, []any{e.input, o}})
		} else {
			out = append(out, []any{historySession, e.line, e.input})
		}
	}
	return out
}

// globMatch reports whether s matches pattern as SQLite's GLOB does for history search: * is any run of
// characters (newlines and slashes included), ? is any one character, everything else is itself.
func globMatch(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	pi, ti, star, mark := 0, 0, -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]) && p[pi] != '*':
			pi, ti = pi+1, ti+1
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi, mark = star+1, mark+1
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

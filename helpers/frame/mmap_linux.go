package frame

import "syscall"

// mapPopulate maps the cached file's pages (already in the page cache, as a
// rule) in one go rather than one page fault at a time.
const mapPopulate = syscall.MAP_POPULATE

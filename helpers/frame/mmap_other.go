//go:build !unix

package frame

import (
	"errors"
	"os"
)

// mapFile is not available here: cache files are read instead.
func mapFile(*os.File, int64) ([]byte, func(), error) {
	return nil, nil, errors.New("memory mapping is not supported on this system")
}

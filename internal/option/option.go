// Package option applies functional options: each helper package defines its own Option type
// (func(*options)), checked by the compiler, and collects them with Collect.
package option

// Collect applies opts, in order, to a zero T and returns it; nil options are skipped.
func Collect[T any, O ~func(*T)](opts []O) T {
	var o T
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

//go:build unix && !linux

package frame

const mapPopulate = 0

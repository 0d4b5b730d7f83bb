//go:build !linux || !cgo

package db

// LimitMallocArenas does nothing where the C allocator is not glibc's.
func LimitMallocArenas() {}

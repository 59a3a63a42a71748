package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// profiler is a profile `candour dev` was asked for: where it goes, and how
// it starts (stop ends it and writes what is left).
type profiler struct {
	path  string
	start func(path string) (stop func() error, err error)
}

// startCPUProfile writes a CPU profile of this process to path until stop is
// called (`candour dev --cpu-profile`, how the profiles in
// docs/benchmarks.md are taken). A profile holds function names and sampled
// times, never a request's data.
func startCPUProfile(path string) (stop func() error, err error) {
	return startStream(path, "CPU profile", pprof.StartCPUProfile, pprof.StopCPUProfile)
}

// startStream creates path and starts writing what (a CPU profile or an
// execution trace) to it, until stop ends the stream and closes the file.
// Only one stream of each kind runs at a time: a second start is refused.
func startStream(path, what string, start func(io.Writer) error, end func()) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("the %s cannot be written: %w", what, err)
	}
	if err := start(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("the %s cannot start: %w", what, err)
	}
	return func() error {
		end()
		return f.Close()
	}, nil
}

// startAllocProfile creates path now, so that a path that cannot be written
// is refused before the server starts, and writes to it when stop is called
// the profile of every allocation the process sampled since it began
// (`candour dev --alloc-profile`). Like the CPU profile, it holds function
// names and sampled sizes, never a request's data.
func startAllocProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("the allocation profile cannot be written: %w", err)
	}
	return func() error {
		werr := pprof.Lookup("allocs").WriteTo(f, 0)
		return errors.Join(werr, f.Close())
	}, nil
}

// startTrace writes an execution trace of this process to path until stop is
// called (`candour dev --trace`; read it with `go tool trace`, for instance
// `-pprof=sched` for the time goroutines waited to run, or `-pprof=net` for
// the time they waited on the network). Like the profiles, it holds goroutine
// events and function names, never a request's data. A trace grows by
// megabytes a second under load: take it for seconds, not hours.
func startTrace(path string) (stop func() error, err error) {
	return startStream(path, "execution trace", trace.Start, trace.Stop)
}

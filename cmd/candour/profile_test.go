package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProfiles(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		start    func(string) (func() error, error)
		file     string
		wantErr  string
		wantType string // a sample type the written profile counts, or "trace" for an execution trace
	}{
		{"CPU, a file in a directory that exists", startCPUProfile, "cpu.pprof", "", "cpu"},
		{"CPU, a directory that does not exist", startCPUProfile, "missing/cpu.pprof", "CPU profile cannot be written", ""},
		{"allocations, a file in a directory that exists", startAllocProfile, "allocs.pprof", "", "alloc_space"},
		{"allocations, a directory that does not exist", startAllocProfile, "missing/allocs.pprof", "allocation profile cannot be written", ""},
		{"execution trace, a file in a directory that exists", startTrace, "exec.trace", "", "trace"},
		{"execution trace, a directory that does not exist", startTrace, "missing/exec.trace", "execution trace cannot be written", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			stop, err := tt.start(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("start = %v, want an error saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantType == "cpu" || tt.wantType == "trace" {
				if _, err := tt.start(filepath.Join(dir, "second-"+tt.file)); err == nil {
					t.Errorf("a second %s started while the first ran", tt.wantType)
				}
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if tt.wantType == "trace" {
				// An execution trace begins with its format's header.
				raw, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(raw, []byte("go 1.")) || !bytes.Contains(raw[:min(len(raw), 16)], []byte(" trace")) {
					t.Errorf("the file does not begin with an execution trace's header: %q", raw[:min(len(raw), 16)])
				}
				return
			}
			// A profile is a gzipped protocol buffer whose string table names
			// its sample types.
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatalf("the file is not a profile: %v", err)
			}
			raw, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("the file is not a profile: %v", err)
			}
			if !bytes.Contains(raw, []byte(tt.wantType)) {
				t.Errorf("the profile does not count %s", tt.wantType)
			}
		})
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStartCPUProfile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		path    string
		wantErr string
	}{
		{"a file in a directory that exists", filepath.Join(dir, "cpu.pprof"), ""},
		{"a directory that does not exist", filepath.Join(dir, "missing", "cpu.pprof"), "cannot be written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stop, err := startCPUProfile(tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("startCPUProfile = %v, want an error saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := startCPUProfile(filepath.Join(dir, "second.pprof")); err == nil {
				t.Error("a second profile started while the first ran")
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if fi, err := os.Stat(tt.path); err != nil || fi.Size() == 0 {
				t.Errorf("profile file: %v, %v; want a non-empty file", fi, err)
			}
		})
	}
}

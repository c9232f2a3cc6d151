package main

import (
	"runtime/debug"
	"strings"
)

// version describes the binary from its build information: the module
// version ("(devel)" for a build from a checkout, v1.2.3 for `go
// install ...@v1.2.3`), the VCS commit it was built from, its time and
// whether the tree had changes, and the Go version.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	return formatVersion(bi)
}

func formatVersion(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var commit, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	var b strings.Builder
	b.WriteString(v)
	if commit != "" {
		b.WriteString(", commit ")
		b.WriteString(commit)
		if at != "" {
			b.WriteString(" of " + at)
		}
		if modified {
			b.WriteString(" with uncommitted changes")
		}
	}
	if bi.GoVersion != "" {
		b.WriteString(", " + bi.GoVersion)
	}
	return b.String()
}

package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CleanStale removes what crashed lab runs left behind: namespaces named
// "acd" + 6 hex digits + "-..." (with the processes inside them and their
// /var/run/frr folders) and the labs' temporary folders ("acdXXXXXX-*" and
// "acdbuild-*" in os.TempDir()), when older than maxAge. Pick maxAge well
// above the longest lab test (a few minutes): labs of tests running right
// now have the same names. It returns what it removed.
func CleanStale(maxAge time.Duration) ([]string, error) {
	var removed []string
	var errs []error
	cutoff := time.Now().Add(-maxAge)
	entries, err := os.ReadDir(netnsDir)
	if err != nil && !os.IsNotExist(err) {
		errs = append(errs, err)
	}
	for _, e := range entries {
		if !isLabNamespace(e.Name()) {
			continue
		}
		// The nsfs inode's times are those of the namespace's creation.
		fi, err := os.Stat(filepath.Join(netnsDir, e.Name()))
		if err != nil || fi.ModTime().After(cutoff) {
			continue
		}
		if err := removeNamespace(e.Name()); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, filepath.Join(netnsDir, e.Name()))
	}
	for _, dir := range []string{frrRunDir, os.TempDir()} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !isLabNamespace(e.Name()) && !strings.HasPrefix(e.Name(), namePrefix+"build-") {
				continue
			}
			fi, err := e.Info()
			if err != nil || fi.ModTime().After(cutoff) {
				continue
			}
			p := filepath.Join(dir, e.Name())
			if err := os.RemoveAll(p); err != nil {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, p)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("lab: CleanStale: %w", err)
	}
	return removed, nil
}

// isLabNamespace reports whether name is "<lab name>-<anything>".
func isLabNamespace(name string) bool {
	lab, rest, ok := strings.Cut(name, "-")
	return ok && rest != "" && namePattern.MatchString(lab)
}

// Package durable writes the files of anycostd's state so that a crash
// (kill -9, a power cut) at any moment leaves either the old or the new
// content, never a mix or an empty file.
package durable

import (
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile replaces path with data, mode perm: it writes a temporary
// file in the same directory, fsyncs it, renames it over path and fsyncs
// the directory, so that the rename itself is on disk when it returns.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

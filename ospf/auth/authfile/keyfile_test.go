package authfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLoadKeyFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string // the key, when it loads
		errHas  string // else a part of the error
	}{
		{"plain", "s3cret", 0o600, "s3cret", ""},
		{"newline stripped", "s3cret\n", 0o600, "s3cret", ""},
		{"crlf stripped", "s3cret\r\n", 0o600, "s3cret", ""},
		{"one newline only", "s3cret\n\n", 0o600, "s3cret\n", ""},
		{"inner spaces kept", " a b \n", 0o600, " a b ", ""},
		{"read-only owner", "k\n", 0o400, "k", ""},
		{"write-only owner", "k", 0o200, "k", ""}, // readable by root only
		{"no permission bits", "k", 0o000, "k", ""},
		{"group read", "k", 0o640, "", "mode 0640"},
		{"group write", "k", 0o620, "", "mode 0620"},
		{"other read", "k", 0o604, "", "mode 0604"},
		{"world", "k", 0o666, "", "mode 0666"},
		{"owner execute", "k", 0o700, "", "mode 0700"},
		{"empty", "", 0o600, "", "empty key"},
		{"newline only", "\n", 0o600, "", "empty key"},
		{"too big", strings.Repeat("k", MaxKeyFileSize+1), 0o600, "", "bytes"},
		{"largest", strings.Repeat("k", MaxKeyFileSize), 0o600, strings.Repeat("k", MaxKeyFileSize), ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.mode&0o400 == 0 && tc.errHas == "" && os.Geteuid() != 0 {
				t.Skip("only root can read a file without the owner read bit")
			}
			p := write(filepath.Base(t.Name())+string(rune('a'+i)), tc.content, tc.mode)
			got, err := LoadKeyFile(p)
			if tc.errHas != "" {
				if !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), tc.errHas) || !strings.Contains(err.Error(), p) {
					t.Fatalf("LoadKeyFile: %v; want ErrKeyFile naming %s and %q", err, p, tc.errHas)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("LoadKeyFile = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestLoadKeyFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(good, []byte("k\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open")
	if err := os.WriteFile(open, []byte("k\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	linkGood, linkOpen := filepath.Join(dir, "link-good"), filepath.Join(dir, "link-open")
	if err := os.Symlink(good, linkGood); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(open, linkOpen); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}

	if k, err := LoadKeyFile(linkGood); err != nil || string(k) != "k" {
		t.Errorf("symlink to a 0600 file: %q, %v", k, err)
	}
	if _, err := LoadKeyFile(linkOpen); !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), "0644") {
		t.Errorf("symlink to a 0644 file: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := LoadKeyFile(fifo); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), "not a regular file") || !strings.Contains(err.Error(), fifo) {
			t.Errorf("fifo: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("LoadKeyFile hangs on a FIFO")
	}
	if _, err := LoadKeyFile(sub); !errors.Is(err, ErrKeyFile) || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	if _, err := LoadKeyFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
}

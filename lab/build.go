package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// BuildAnycostd builds ./cmd/anycostd of this module with `go build`, once
// per test binary, into a temporary folder and returns the binary's path.
// A build failure fails the test. Test packages that use it should remove
// the folder at exit with `func TestMain(m *testing.M) { lab.Main(m) }`;
// CleanStale removes folders left behind otherwise.
func BuildAnycostd(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		build.bin, build.err = buildAnycostd()
	})
	if build.err != nil {
		t.Fatalf("lab: building anycostd: %v", build.err)
	}
	return build.bin
}

func buildAnycostd() (string, error) {
	goBin, err := goTool()
	if err != nil {
		return "", err
	}
	out, err := runCmd(goBin, "env", "GOMOD")
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the anycostd module (go env GOMOD = %q)", gomod)
	}
	dir, err := os.MkdirTemp("", namePrefix+"build-")
	if err != nil {
		return "", err
	}
	build.dir = dir
	bin := filepath.Join(dir, "anycostd")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/anycostd")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/anycostd: %w\n%s", err, out)
	}
	return bin, nil
}

// goTool finds the go command: PATH first, then $GOROOT/bin (root's PATH
// under sudo often lacks it), then /usr/local/go/bin.
func goTool() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	for _, root := range []string{os.Getenv("GOROOT"), "/usr/local/go"} {
		if root == "" {
			continue
		}
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("go command not found in PATH, $GOROOT/bin or /usr/local/go/bin")
}

// Main runs the tests and then removes what BuildAnycostd built. Call it
// from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

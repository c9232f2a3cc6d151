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

// Build builds ./cmd/anycostd of this module with `go build`, once per
// process, into a temporary folder and returns the binary's path. Test
// packages that use it should remove the folder at exit with `func
// TestMain(m *testing.M) { lab.Main(m) }`, programs with RemoveBuild;
// CleanStale removes folders left behind otherwise.
func Build() (string, error) {
	build.once.Do(func() {
		build.bin, build.err = buildAnycostd()
	})
	if build.err != nil {
		return "", fmt.Errorf("lab: building anycostd: %w", build.err)
	}
	return build.bin, nil
}

// BuildAnycostd is Build for tests: a build failure fails the test.
func BuildAnycostd(t testing.TB) string {
	t.Helper()
	bin, err := Build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// RemoveBuild removes what Build built.
func RemoveBuild() {
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
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
	RemoveBuild()
	os.Exit(code)
}

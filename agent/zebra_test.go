package agent

import (
	"path/filepath"
	"strings"
	"testing"
)

// No zebra at the socket: NewZebra says so and leaves nothing behind.
func TestNewZebraNoSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "zserv.api")
	_, err := NewZebra(ZebraConfig{Socket: sock, Log: quiet})
	if err == nil || !strings.Contains(err.Error(), sock) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("NewZebra without zebra: %v", err)
	}
	if _, err := NewZebra(ZebraConfig{Socket: sock, RouteType: "nonsense", Log: quiet}); err == nil || !strings.Contains(err.Error(), "nonsense") {
		t.Errorf("bad route type: %v", err)
	}
}

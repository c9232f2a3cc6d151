package config

import (
	"os"
	"strings"
	"testing"
)

// The minimal configuration docs/quickstart.md shows an operator is a
// valid one: its toml block parses and validates as it stands.
func TestQuickstartConfigIsValid(t *testing.T) {
	doc, err := os.ReadFile("../docs/quickstart.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```toml\n")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("docs/quickstart.md has no ```toml block")
	}
	c, err := Parse("docs/quickstart.md", []byte(block))
	if err != nil {
		t.Fatalf("the quick start's configuration: %v", err)
	}
	if len(c.Services) != 1 || len(c.Services[0].Tiers) != 3 {
		t.Errorf("the quick start's configuration: %d services, want 1 with 3 tiers", len(c.Services))
	}
}

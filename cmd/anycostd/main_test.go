package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

// childArgsEnv makes the test binary run as anycostd: TestMain runs the
// CLI with the arguments it holds (a JSON array, argv[0] first) and exits
// with its code. Tests that need a separate process (a terminal, another
// user) start the test binary with it.
const childArgsEnv = "ANYCOSTD_TEST_MAIN"

func TestMain(m *testing.M) {
	if v := os.Getenv(childArgsEnv); v != "" {
		var args []string
		if err := json.Unmarshal([]byte(v), &args); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", childArgsEnv, err)
			os.Exit(3)
		}
		// As the real binary: urfave/cli's shell completion reads
		// os.Args.
		os.Args = args
		os.Exit(runMain(context.Background(), args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// childEnv is the environment that runs the test binary as `anycostd
// args...`.
func childEnv(args ...string) []string {
	b, _ := json.Marshal(append([]string{"anycostd"}, args...))
	return append(os.Environ(), childArgsEnv+"="+string(b))
}

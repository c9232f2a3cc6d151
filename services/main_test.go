package services

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any goroutine started by a test
// is still running once they are all done (issue 6, part 5).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

package lab

import "testing"

// TestMain removes what BuildAnycostd built once the tests are done.
func TestMain(m *testing.M) { Main(m) }

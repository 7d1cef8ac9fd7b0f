package harness

import "github.com/natverk/natverk/internal/natstest"

// FreePorts returns n loopback TCP ports that were free a moment ago
// (natstest.FreePorts). Another process may take one before it is used;
// the caller retries.
func FreePorts(n int) ([]int, error) { return natstest.FreePorts(n) }

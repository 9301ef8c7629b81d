package main

import (
	"context"
	"fmt"
	"io"
)

// benchInboxCommand measures the staff inbox with many open tasks.
func benchInboxCommand(ctx context.Context, args []string, out, errOut io.Writer) int {
	fmt.Fprintln(errOut, "larder bench inbox: not built yet")
	return 1
}

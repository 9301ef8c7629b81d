package main

import (
	"context"
	"fmt"
	"io"
)

// reindexCommand rebuilds the inbox index from Temporal's visibility.
func reindexCommand(ctx context.Context, args []string, out, errOut io.Writer) int {
	fmt.Fprintln(errOut, "larder reindex: not built yet")
	return 1
}

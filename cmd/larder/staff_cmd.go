package main

import (
	"fmt"
	"io"
)

// staffCommand manages staff sign-in.
func staffCommand(args []string, in io.Reader, out, errOut io.Writer) int {
	fmt.Fprintln(errOut, "larder staff: not built yet")
	return 1
}

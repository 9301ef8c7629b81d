package http

import (
	"fmt"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// resultEnv is what a result expression sees: reply, the decoded JSON
// reply (a map, a list or a value). Maps yield nil for a missing key, so
// reply.maybe?.deeper ?? "none" reads safely.
type resultEnv struct {
	Reply any `expr:"reply"`
}

func resultOptions() []expr.Option {
	return []expr.Option{expr.Env(resultEnv{}), expr.DisableBuiltin("now")}
}

// compileResult parses a result expression, refusing names other than reply.
func compileResult(src string) (*vm.Program, error) {
	if src == "" {
		return nil, fmt.Errorf("needs an expression over reply, e.g. reply.id")
	}
	prog, err := expr.Compile(src, resultOptions()...)
	if err != nil {
		// The first line; expr's next lines draw the place, for a terminal.
		msg, _, _ := strings.Cut(err.Error(), "\n")
		return nil, fmt.Errorf("expression %q: %s", src, msg)
	}
	return prog, nil
}

// mapResult builds a step's result from the reply by the operation's
// result expressions.
func mapResult(progs map[string]*vm.Program, reply any) (map[string]any, error) {
	names := make([]string, 0, len(progs))
	for n := range progs {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make(map[string]any, len(progs))
	for _, n := range names {
		v, err := expr.Run(progs[n], resultEnv{Reply: reply})
		if err != nil {
			msg, _, _ := strings.Cut(err.Error(), "\n")
			return nil, fmt.Errorf("result.%s: %s", n, msg)
		}
		out[n] = v
	}
	return out, nil
}

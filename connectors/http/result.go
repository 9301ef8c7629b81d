package http

import (
	"fmt"
	"sort"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// resultEnv is what a result expression sees: reply, the decoded reply.
// Maps yield nil for a missing key, so reply.maybe?.deeper reads safely.
func resultOptions() []expr.Option {
	return []expr.Option{
		expr.Env(map[string]any{"reply": nil}),
		expr.DisableBuiltin("now"),
	}
}

// compileResult parses a result expression, refusing names other than reply.
func compileResult(src string) (*vm.Program, error) {
	if src == "" {
		return nil, fmt.Errorf("needs an expression over reply, e.g. reply.id")
	}
	prog, err := expr.Compile(src, resultOptions()...)
	if err != nil {
		return nil, fmt.Errorf("expression %q: %v", src, err)
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
		v, err := expr.Run(progs[n], map[string]any{"reply": reply})
		if err != nil {
			return nil, fmt.Errorf("result.%s: %v", n, err)
		}
		out[n] = v
	}
	return out, nil
}

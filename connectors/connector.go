// Package connectors holds Larder's connectors to line-of-business systems:
// one subfolder per kind, one small interface, and an explicit registry built
// from the connectors.yaml a service designer keeps beside the recipes.
package connectors

import (
	"context"
	"errors"
	"fmt"
	"sort"
)

// Request is one call of a connector operation.
type Request struct {
	// Operation names one of the connector's operations.
	Operation string
	// Input is the mapped inputs of the call.
	Input map[string]any
	// IdempotencyKey is the same on every attempt of one step of one case, so
	// the line-of-business system can ignore repeats.
	IdempotencyKey string
}

// Connector calls operations on one line-of-business system.
type Connector interface {
	// Call performs the operation. When err is not nil, retry says whether
	// trying again could succeed (a timeout) or not (a refusal).
	Call(ctx context.Context, req Request) (out map[string]any, retry bool, err error)
	// Operations lists the operations the connector offers, sorted.
	Operations() []string
}

// Error is a failure reported by a line-of-business system. Its fields are
// what a recipe's on_error route sees as steps.<id>.error.
type Error struct {
	// Status is the HTTP status or 0.
	Status int `json:"status"`
	// Code is the system's machine-readable reason, when it gives one.
	Code string `json:"code"`
	// Message is the system's explanation, safe to show staff.
	Message string `json:"message"`
}

func (e *Error) Error() string {
	switch {
	case e.Code != "" && e.Status != 0:
		return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message)
	case e.Status != 0:
		return fmt.Sprintf("status %d: %s", e.Status, e.Message)
	}
	return e.Message
}

// Registry is the set of connectors a deployment has, by name.
type Registry struct {
	byName map[string]Connector
}

// NewRegistry builds a registry from named connectors.
func NewRegistry(byName map[string]Connector) *Registry {
	return &Registry{byName: byName}
}

// Get returns the named connector.
func (r *Registry) Get(name string) (Connector, error) {
	c, ok := r.byName[name]
	if !ok {
		return nil, fmt.Errorf("unknown connector %q (define it in connectors.yaml)", name)
	}
	return c, nil
}

// Operations lists a connector's operations; it lets the recipe validator
// check call steps against what is deployed.
func (r *Registry) Operations(name string) ([]string, bool) {
	c, ok := r.byName[name]
	if !ok {
		return nil, false
	}
	return c.Operations(), true
}

// Names lists the connectors, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// AsError returns the line-of-business error inside err, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

package connectors_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/larder-council/larder/connectors"
)

// waste is a connector with fixed operations.
type waste struct{ ops []string }

func (w waste) Call(context.Context, connectors.Request) (map[string]any, bool, error) {
	return nil, false, nil
}

func (w waste) Operations() []string { return w.ops }

var _ connectors.Connector = waste{}

func TestErrorTextShowsWhatTheSystemSaid(t *testing.T) {
	for _, tc := range []struct {
		err  connectors.Error
		want string
	}{
		{connectors.Error{Status: 422, Code: "not_due", Message: "1 Orchard Way was not due a collection"}, "not_due (422): 1 Orchard Way was not due a collection"},
		{connectors.Error{Status: 503, Message: "Service Unavailable"}, "status 503: Service Unavailable"},
		{connectors.Error{Message: "the system did not answer in time"}, "the system did not answer in time"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%+v.Error() = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestAsErrorFindsTheSystemsErrorWhereverItIsWrapped(t *testing.T) {
	lob := &connectors.Error{Status: 404, Code: "property_not_found", Message: "no property has that UPRN"}
	wrapped := fmt.Errorf("call waste.get_property: %w", fmt.Errorf("attempt 2: %w", lob))
	got, ok := connectors.AsError(wrapped)
	if !ok || got != lob {
		t.Errorf("AsError(wrapped) = %v, %v; want the system's error", got, ok)
	}
	for _, err := range []error{nil, errors.New("dial tcp: connection refused")} {
		if got, ok := connectors.AsError(err); ok || got != nil {
			t.Errorf("AsError(%v) = %v, %v; want nothing found", err, got, ok)
		}
	}
}

func TestRegistryFindsConnectorsByName(t *testing.T) {
	reg := connectors.NewRegistry(map[string]connectors.Connector{
		"waste":    waste{ops: []string{"get_property", "report_missed"}},
		"highways": waste{ops: []string{"report_pothole"}},
		"council":  waste{},
	})
	if got := reg.Names(); !slices.Equal(got, []string{"council", "highways", "waste"}) {
		t.Errorf("Names() = %v, want them sorted", got)
	}
	c, err := reg.Get("highways")
	if err != nil {
		t.Fatalf("Get(highways): %v", err)
	}
	if ops := c.Operations(); !slices.Equal(ops, []string{"report_pothole"}) {
		t.Errorf("Get(highways) gave a connector with %v, want highways' operations", ops)
	}
	if ops, ok := reg.Operations("waste"); !ok || !slices.Equal(ops, []string{"get_property", "report_missed"}) {
		t.Errorf("Operations(waste) = %v, %v; want its two operations", ops, ok)
	}
}

func TestRegistryUnknownConnectorSaysWhereToDefineIt(t *testing.T) {
	reg := connectors.NewRegistry(map[string]connectors.Connector{"waste": waste{}})
	c, err := reg.Get("wastes")
	if err == nil || c != nil {
		t.Fatalf("Get(wastes) = %v, %v; want an error", c, err)
	}
	for _, want := range []string{`"wastes"`, "connectors.yaml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
	if ops, ok := reg.Operations("wastes"); ok || ops != nil {
		t.Errorf("Operations(wastes) = %v, %v; want not found", ops, ok)
	}
}

func TestEmptyRegistry(t *testing.T) {
	reg := connectors.NewRegistry(map[string]connectors.Connector{})
	if names := reg.Names(); len(names) != 0 {
		t.Errorf("Names() of an empty registry = %v", names)
	}
	if _, err := reg.Get("waste"); err == nil {
		t.Error("Get on an empty registry: want an error")
	}
}

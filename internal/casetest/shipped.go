package casetest

import (
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/connectors/registry"
	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// Env is a test's running Larder back end: the shipped recipes, their
// connectors pointed at a waste simulator of the test's own, a case worker
// on a queue of the test's own, and the case client that starts cases on it.
type Env struct {
	// Cases is the case client, on the test's task queue.
	Cases *cases.Client
	// Recipes are the shipped recipes (the repository's recipes folder).
	Recipes []*recipe.Recipe
	// Connectors are the shipped connectors, pointed at Waste.
	Connectors *connectors.Registry
	// Waste is the waste simulator the connectors call, at WasteURL.
	Waste    *wastesim.Server
	WasteURL string
	// Outbox is the folder the case worker's emails are written to as .eml files.
	Outbox string
}

// RecipesDir is the repository's recipes folder.
func RecipesDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "recipes")
}

// Shipped starts a waste simulator (opts as given), loads the shipped
// recipes and connectors against it and starts a case worker. It sets
// WASTE_URL for the test, so the test may not be parallel.
func Shipped(t testing.TB, opts wastesim.Options) *Env {
	t.Helper()
	waste := wastesim.New(opts)
	ws := httptest.NewServer(waste)
	t.Cleanup(ws.Close)
	t.Setenv("WASTE_URL", ws.URL)
	conns, err := registry.LoadFile(filepath.Join(RecipesDir(), "connectors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	recipes, err := recipe.LoadDir(RecipesDir(), conns)
	if err != nil {
		t.Fatal(err)
	}
	outbox := filepath.Join(t.TempDir(), "outbox")
	queue := Worker(t, &activities.Activities{Connectors: conns, Mail: &mail.Outbox{Dir: outbox, From: "Larchester Council <no-reply@larchester.example>"}})
	return &Env{
		Cases: &cases.Client{
			Temporal: Client(t), Namespace: "default", TaskQueue: queue,
			Secret: []byte("test secret " + queue), Recipes: recipes, Log: Log(),
		},
		Recipes: recipes, Connectors: conns, Waste: waste, WasteURL: ws.URL, Outbox: outbox,
	}
}

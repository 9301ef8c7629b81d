package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// askRecipe is a small recipe with the given title and steps.
func askRecipe(title, steps string) string {
	return `id: ask
version: "1"
title: ` + title + `
reference_prefix: AQ
form:
  pages:
    - id: question
      title: Your question
      fields:
        - id: question
          type: textarea
          label: What would you like to know?
          validate: required,max=1000
steps:
` + steps
}

// Steps of the ask recipe: first a day's wait, then an answer at once.
const (
	askHeld = `  - id: hold
    title: Read by the team
    wait:
      for: 24h
    next: answered
  - id: answered
    end:
      outcome: Question received
`
	askAtOnce = `  - id: answered
    end:
      outcome: Answered at once
`
	// askBroken routes to a step that is not there and waits "a while".
	askBroken = `  - id: hold
    wait:
      for: a while
    next: nowhere
  - id: answered
    end:
      outcome: Answered at once
`
)

// logBuffer is a log a test reads while Larder writes it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// eventually polls ok until it holds, failing the test after a while.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// caseView reads a case's progress as the API shows it.
func caseView(t *testing.T, base, ref string) workflows.CaseView {
	t.Helper()
	var v workflows.CaseView
	if err := json.Unmarshal([]byte(getPage(t, http.DefaultClient, base+"/api/v1/cases/"+ref)), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDevServeReloadsChangedRecipes: with --dev, a designer who saves a
// recipe sees the new title and steps on the resident's and designer's
// pages without a restart; the next new case takes the new version
// while a case already in flight keeps the one it started with; and a
// save with mistakes logs each at its file:line:col, and the designer's
// page lists them, while the version that last loaded is still served.
func TestDevServeReloadsChangedRecipes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ask.yaml")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(askRecipe("Ask about bulky waste", askHeld))
	logs := &logBuffer{}
	base, _ := startLarderWith(t, larderOptions{
		recipesDir: dir, dataDir: t.TempDir(), dev: true,
		log: slog.New(slog.NewTextHandler(logs, nil)),
	})
	question := map[string]any{"question": "Do you take garden furniture?"}
	start := func() string {
		t.Helper()
		status, reply := submitTo(t, base, "ask", question)
		ref, _ := reply["reference"].(string)
		if status != http.StatusCreated || ref == "" {
			t.Fatalf("submit: %d %v", status, reply)
		}
		return ref
	}

	held := start()
	eventually(t, "the first case waits at hold", func() bool {
		return strings.Join(caseView(t, base, held).CurrentSteps, ",") == "hold"
	})
	before := caseView(t, base, held).RecipeVersion

	write(askRecipe("Ask us about bulky waste", askAtOnce))
	eventually(t, "the resident's start page shows the new title", func() bool {
		return strings.Contains(getPage(t, http.DefaultClient, base+"/services/ask"), "Ask us about bulky waste")
	})
	designer := getPage(t, http.DefaultClient, base+"/dev/recipes/ask")
	if !strings.Contains(designer, "Ask us about bulky waste") || strings.Contains(designer, `id="step-hold"`) || !strings.Contains(designer, `id="step-answered"`) {
		t.Errorf("the designer's page does not follow the change: want the new title and only the answered step")
	}
	if !strings.Contains(logs.String(), "recipe changed") {
		t.Errorf("the reload does not say which recipe changed; logged:\n%s", logs)
	}

	next := start()
	after := waitForCase(t, base, next, 30*time.Second)
	if after.Outcome != "Answered at once" || after.RecipeVersion == before {
		t.Errorf("a case started after the change: outcome %q on %s, want \"Answered at once\" on a version other than %s", after.Outcome, after.RecipeVersion, before)
	}
	if v := caseView(t, base, held); v.RecipeVersion != before || strings.Join(v.CurrentSteps, ",") != "hold" || v.Status != workflows.StatusRunning {
		t.Errorf("the case in flight: %s at %v (%s), want still waiting at hold on %s", v.Status, v.CurrentSteps, v.RecipeVersion, before)
	}

	broken := askRecipe("Ask us anything", askBroken)
	write(broken)
	positioned := regexp.MustCompile(fmt.Sprintf(`ask\.yaml:%d:\d+: [^\n]*nowhere`, lineOf(broken, "next: nowhere")))
	duration := regexp.MustCompile(fmt.Sprintf(`ask\.yaml:%d:\d+: `, lineOf(broken, "for: a while")))
	eventually(t, "each problem of the broken save is logged at its place", func() bool {
		l := logs.String()
		return positioned.MatchString(l) && duration.MatchString(l)
	})
	if page := getPage(t, http.DefaultClient, base+"/services/ask"); strings.Contains(page, "Ask us anything") || !strings.Contains(page, "Ask us about bulky waste") {
		t.Errorf("after a broken save, the start page is not the version that last loaded")
	}
	if v := waitForCase(t, base, start(), 30*time.Second); v.Outcome != "Answered at once" || v.RecipeVersion != after.RecipeVersion {
		t.Errorf("after a broken save, a new case: %q on %s, want the last version that loaded (%s)", v.Outcome, v.RecipeVersion, after.RecipeVersion)
	}
	designer = getPage(t, http.DefaultClient, base+"/dev/recipes/ask")
	if !strings.Contains(designer, "the version that last loaded") || !positioned.MatchString(designer) {
		t.Errorf("after a broken save, the designer's page does not list its mistakes at their places")
	}

	write(askRecipe("Ask us anything", askAtOnce))
	eventually(t, "the fixed save is served", func() bool {
		return strings.Contains(getPage(t, http.DefaultClient, base+"/services/ask"), "Ask us anything")
	})
	if designer := getPage(t, http.DefaultClient, base+"/dev/recipes/ask"); strings.Contains(designer, "data-load-problems") {
		t.Errorf("once a save loads, the designer's page still lists the mistakes of the one before")
	}
}

// lineOf is the 1-based line of text that holds s.
func lineOf(text, s string) int {
	return strings.Count(text[:strings.Index(text, s)], "\n") + 1
}

// TestLiveWebAsksForARestartWhenConnectorsChange: connectors are read at
// start, so a changed connectors.yaml is named once with what to do,
// while recipe changes go on being served.
func TestLiveWebAsksForARestartWhenConnectorsChange(t *testing.T) {
	dir := t.TempDir()
	writeFile := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeFile("ask.yaml", askRecipe("Ask about bulky waste", askHeld))
	writeFile(connectorsFile, "connectors: {}\n")
	logs := &logBuffer{}
	live := newLiveWeb(dir, nil, slog.New(slog.NewTextHandler(logs, nil)))
	live.every = 20 * time.Millisecond
	recipes, err := recipe.LoadDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	build := func([]*recipe.Recipe) (http.Handler, error) { return http.NotFoundHandler(), nil }
	h, _ := build(recipes)
	live.start(t.Context(), recipes, h, build)

	writeFile(connectorsFile, "connectors: {}\n# a comment\n")
	writeFile("ask.yaml", askRecipe("Ask us about bulky waste", askHeld))
	eventually(t, "the new title is served", func() bool { return live.Recipes()[0].Title == "Ask us about bulky waste" })
	writeFile("ask.yaml", askRecipe("Ask us anything", askHeld))
	eventually(t, "the next title is served", func() bool { return live.Recipes()[0].Title == "Ask us anything" })
	if n := strings.Count(logs.String(), "restart larder serve"); n != 1 {
		t.Errorf("a changed connectors.yaml asked for a restart %d times, want once:\n%s", n, logs)
	}
}

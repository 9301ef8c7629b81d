package recipe_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/workflows/recipe"
)

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	for in, want := range map[string]time.Duration{
		"90s":   90 * time.Second,
		"36h":   36 * time.Hour,
		"1h30m": 90 * time.Minute,
		"2d":    2 * day,
		"1w":    7 * day,
		"1w2d":  9 * day,
		"1d12h": 36 * time.Hour,
		"12h1d": 36 * time.Hour,
		"1.5d":  36 * time.Hour,
		"0":     0,
		"-1d":   -day,
	} {
		if got, err := recipe.ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "2", "2x", "2 days", "soon", "1d2", "-", "99999999999w"} {
		if got, err := recipe.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
}

// TestDurationsDecodeWithDays: a recipe's durations take d and w, and a
// snapshot still carries them as the integer nanoseconds time.Duration
// marshals to, so recorded histories replay as before.
func TestDurationsDecodeWithDays(t *testing.T) {
	src, err := os.ReadFile("testdata/steps/wait.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src = []byte(strings.Replace(string(src), "for: 72h", "for: 3d", 1))
	r, err := recipe.Parse("wait.yaml", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := r.StepByID("collected")
	if s.Wait.For != 72*time.Hour {
		t.Fatalf("for: 3d decoded as %v, want 72h", s.Wait.For)
	}
	b, err := json.Marshal(s.Wait)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"for":259200000000000`) {
		t.Errorf("snapshot of the wait = %s, want for as integer nanoseconds", b)
	}
}

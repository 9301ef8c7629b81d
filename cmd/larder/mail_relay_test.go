package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/connectors/connectortest"
	"github.com/larder-council/larder/internal/wastesim"
)

// TestServeSendsEmailThroughTheSMTPRelay runs `larder serve` as a small
// council would on one machine — embedded Temporal and Redis — with
// smtp.url set: the resident's confirmation goes to the relay, from the
// configured sender, and nothing is left in the outbox folder.
func TestServeSendsEmailThroughTheSMTPRelay(t *testing.T) {
	clearEnv(t)
	ws := httptest.NewServer(wastesim.New(wastesim.Options{}))
	t.Cleanup(ws.Close)
	t.Setenv("WASTE_URL", ws.URL)
	relay := connectortest.NewSMTPRelay(t)
	dataDir := t.TempDir()
	addr, log := startCommand(t, "serve", "--data-dir", dataDir, "--recipes-dir", recipesDir,
		"--http-address", "127.0.0.1:0", "--smtp-url", "smtp://"+relay.Addr,
		"--smtp-from", "Larchester Council <bins@larchester.example>")
	base := "http://" + addr
	if !strings.Contains(log.String(), "embedded redis started") {
		t.Errorf("larder serve without redis.url did not start its own Redis:\n%s", log)
	}

	answers := exampleAnswers(t)
	answers["uprn"] = "100001000001"
	status, reply := submit(t, base, answers, "")
	if status != http.StatusCreated {
		t.Fatalf("submit: %d %v", status, reply)
	}
	ref := reply["reference"].(string)
	if view := waitForCase(t, base, ref, 60*time.Second); view.Outcome != "Missed collection reported" {
		t.Fatalf("case ended %q %q", view.Status, view.Outcome)
	}
	// The email activity may finish just after the case reports done.
	deadline := time.Now().Add(10 * time.Second)
	for len(relay.To("sam@example.com")) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	mails := relay.To("sam@example.com")
	if len(mails) != 1 {
		t.Fatalf("the relay received %d emails for the resident, want 1", len(mails))
	}
	if mails[0].From != "bins@larchester.example" || !strings.Contains(mails[0].Data, ref) {
		t.Errorf("email from %q, want bins@larchester.example, naming %s:\n%s", mails[0].From, ref, mails[0].Data)
	}
	if box := outbox(t, dataDir); len(box) != 0 {
		t.Errorf("with smtp.url set, %d emails were written to the outbox folder too", len(box))
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/internal/redistest"
	"github.com/larder-council/larder/internal/wastesim"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// Test tokens for the staff API and hooks.
const (
	staffToken = "staff-test-token"
	hooksToken = "hooks-test-token"
)

// larderOptions say how a test runs larder.
type larderOptions struct {
	recipesDir string
	dataDir    string
	// staffFile, when set, is the staff.yaml staff sign in from.
	staffFile string
	// started, when set, is given the running app.
	started func(*app)
	// dev runs it in development mode (serve --dev).
	dev bool
	// log, when set, receives what Larder logs.
	log *slog.Logger
}

// startLarder runs `larder serve` in-process against a real embedded
// Temporal server and the waste simulator, and returns its base URL.
func startLarder(t *testing.T, waste *wastesim.Server) (base, dataDir string) {
	t.Helper()
	ws := httptest.NewServer(waste)
	t.Cleanup(ws.Close)
	t.Setenv("WASTE_URL", ws.URL)
	dataDir = t.TempDir()
	base, _ = startLarderWith(t, larderOptions{recipesDir: recipesDir, dataDir: dataDir})
	return base, dataDir
}

// startLarderWith runs larder, on the test's own Redis keys, until the
// returned stop is called or the test ends; stop waits for a clean shutdown.
func startLarderWith(t testing.TB, o larderOptions) (base string, stop func()) {
	t.Helper()
	cfg, err := defaults().parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	db := redistest.New(t)
	cfg.DataDir, cfg.RecipesDir = o.dataDir, o.recipesDir
	cfg.HTTP.Address = "127.0.0.1:0"
	cfg.Redis.URL, cfg.Redis.KeyPrefix = db.URL, db.Prefix
	cfg.StaffToken, cfg.HooksToken = staffToken, hooksToken
	cfg.Dev = o.dev
	if o.staffFile != "" {
		cfg.StaffFile, cfg.staffFileSet = o.staffFile, true
	}
	// Tests send many forms from one address; the limits have tests of
	// their own in forms/resident.
	cfg.Forms.SubmissionsPerMinute, cfg.Forms.AnswersPerMinute, cfg.Forms.DraftsPerHour = 10000, 0, 0
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan string, 1)
	stopped := make(chan error, 1)
	logger := o.log
	if logger == nil {
		logger = casetest.Log()
	}
	go func() {
		stopped <- runApp(ctx, cfg, roles{web: true, worker: true}, logger, func(a *app) {
			if o.started != nil {
				o.started(a)
			}
			started <- a.Addr
		})
	}()
	select {
	case addr := <-started:
		base = "http://" + addr
	case err := <-stopped:
		cancel()
		t.Fatalf("larder did not start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("larder did not start within 60s")
	}
	done := false
	stop = func() {
		if done {
			return
		}
		done = true
		cancel()
		select {
		case err := <-stopped:
			if err != nil {
				t.Errorf("larder stopped with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("larder did not shut down within 30s")
		}
	}
	t.Cleanup(stop)
	return base, stop
}

// TestServeMissedBinEndToEnd runs `larder serve` as wired by the command
// (router, case client, worker, outbox) and takes cases through it by the
// API. Each subtest stands alone: it starts its own cases and counts only
// what they did.
func TestServeMissedBinEndToEnd(t *testing.T) {
	waste := wastesim.New(wastesim.Options{})
	base, dataDir := startLarder(t, waste)

	for _, path := range []string{"/healthz", "/readyz", "/api/v1/schema/recipe.json", "/"} {
		resp, err := http.Get(base + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %v %v", path, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	// reportsFor counts the waste system's reports for one property.
	reportsFor := func(uprn string) int {
		n := 0
		for _, m := range waste.MissedCollections() {
			if m.UPRN == uprn {
				n++
			}
		}
		return n
	}

	t.Run("example answers reach completed with one email and one report", func(t *testing.T) {
		answers := exampleAnswers(t)
		answers["uprn"] = "100001000001"
		before := reportsFor("100001000001")
		status, reply := submit(t, base, answers, "")
		if status != http.StatusCreated {
			t.Fatalf("submit: %d %v", status, reply)
		}
		ref, _ := reply["reference"].(string)
		if !referenceLike(ref) {
			t.Fatalf("reference %q does not look like MB-XXXX-XXXX", ref)
		}
		view := waitForCase(t, base, ref, 20*time.Second)
		if view.Status != "completed" || view.Outcome != "Missed collection reported" {
			t.Fatalf("case ended %q %q: %+v", view.Status, view.Outcome, view.Timeline)
		}
		mails := emailsFor(outbox(t, dataDir), ref)
		if len(mails) != 1 || !strings.Contains(mails[0], ref) || !strings.Contains(mails[0], "To: <sam@example.com>") {
			t.Fatalf("want one email to the resident naming %s, got %d: %v", ref, len(mails), mails)
		}
		if n := reportsFor("100001000001") - before; n != 1 {
			t.Fatalf("want one missed-collection record, got %d", n)
		}
	})

	t.Run("same idempotency key returns the same case", func(t *testing.T) {
		answers := exampleAnswers(t)
		answers["uprn"] = "100001000002"
		key := fmt.Sprintf("resident-click-%d", time.Now().UnixNano())
		before := reportsFor("100001000002")
		_, first := submit(t, base, answers, key)
		_, second := submit(t, base, answers, key)
		if first["reference"] == nil || first["reference"] != second["reference"] {
			t.Fatalf("references differ: %v then %v", first["reference"], second["reference"])
		}
		waitForCase(t, base, first["reference"].(string), 20*time.Second)
		_, third := submit(t, base, answers, key)
		if third["reference"] != first["reference"] {
			t.Fatalf("after completion the key named another case: %v", third["reference"])
		}
		if n := reportsFor("100001000002") - before; n != 1 {
			t.Fatalf("want 1 record after one repeated submission, got %d", n)
		}
	})

	t.Run("a refusal by the waste system emails a polite refusal", func(t *testing.T) {
		answers := exampleAnswers(t)
		answers["bin_type"] = "garden" // house 1 has no garden subscription
		_, reply := submit(t, base, answers, "")
		ref := reply["reference"].(string)
		view := waitForCase(t, base, ref, 20*time.Second)
		if view.Outcome != "Report not accepted" {
			t.Fatalf("outcome %q", view.Outcome)
		}
		mails := emailsFor(outbox(t, dataDir), ref)
		if len(mails) != 1 || !strings.Contains(mails[0], "garden waste subscription") {
			t.Fatalf("want one refusal naming the reason, got %v", mails)
		}
	})

	t.Run("bad answers get 422 with one entry per field", func(t *testing.T) {
		answers := exampleAnswers(t)
		answers["postcode"] = "not a postcode"
		delete(answers, "email")
		status, reply := submit(t, base, answers, "")
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", status)
		}
		errs, _ := reply["errors"].([]any)
		fields := map[string]string{}
		for _, e := range errs {
			m := e.(map[string]any)
			fields[m["field"].(string)] = m["message"].(string)
		}
		if fields["postcode"] != "Enter a full UK postcode, like LR1 1AA" || fields["email"] != "Enter an email address" || len(fields) != 2 {
			t.Fatalf("errors: %v", fields)
		}
	})

	t.Run("metrics count submissions", func(t *testing.T) {
		answers := exampleAnswers(t)
		answers["uprn"] = "100001000003"
		if status, reply := submit(t, base, answers, ""); status != http.StatusCreated {
			t.Fatalf("submit: %d %v", status, reply)
		}
		answers["postcode"] = "not a postcode"
		submit(t, base, answers, "")
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{`larder_submissions_total{result="started",service="missed-bin"}`, `larder_submissions_total{result="invalid",service="missed-bin"}`} {
			if !strings.Contains(string(body), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})

	t.Run("fly-tipping runs to its end once staff clear it", func(t *testing.T) {
		r, err := recipe.LoadFile(filepath.Join(recipesDir, "fly-tipping.yaml"), nil)
		if err != nil {
			t.Fatal(err)
		}
		answers := map[string]any{}
		for _, f := range r.Fields() {
			if f.Example != "" {
				answers[f.ID] = f.Example
			}
		}
		answers["amount"] = "lorry"
		var reply map[string]any
		if code := staffCall(t, http.MethodPost, base+"/api/v1/services/fly-tipping/submissions", "", answers, &reply); code != http.StatusCreated {
			t.Fatalf("submit: %d %v", code, reply)
		}
		ref := reply["reference"].(string)
		d := waitForDetail(t, base, ref, func(d workflows.CaseDetail) bool { return openTask(d) != nil })
		if task := openTask(d); task.Queue != "street-scene" || !strings.Contains(task.Title, "(high priority)") {
			t.Errorf("task %+v, want a high-priority task for street-scene", task)
		}
		if d.Form["phone"] != workflows.Redacted || d.Form["items"] == nil {
			t.Errorf("detail form %v: want phone redacted and items listed", d.Form)
		}
		d = drive(t, base, "fly-tipping", ref)
		if d.Outcome != "Fly-tipping cleared" || len(emailsFor(outbox(t, dataDir), ref)) != 2 {
			t.Errorf("ended %q with %d emails, want cleared with 2", d.Outcome, len(emailsFor(outbox(t, dataDir), ref)))
		}
	})

	t.Run("unknown case is 404", func(t *testing.T) {
		resp, err := http.Get(base + "/api/v1/cases/MB-2222-2222")
		if err != nil || resp.StatusCode != http.StatusNotFound {
			t.Fatalf("got %v %v", resp.StatusCode, err)
		}
		resp.Body.Close()
	})
}

func referenceLike(ref string) bool {
	return len(ref) == 12 && strings.HasPrefix(ref, "MB-") && ref[7] == '-'
}

package staff_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/staff"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// token is the staff API's bearer token in these tests: staff_token, a
// client of every queue.
const token = "staff-test-token"

// lineOfBusiness is the system the test recipes call: it books, cancels
// bookings and logs vehicles, and can be down for vehicles.
type lineOfBusiness struct {
	mu        sync.Mutex
	booked    int
	cancelled []string
	// down makes vehicle logging answer 503.
	down     atomic.Bool
	vehicles atomic.Int32
}

func (l *lineOfBusiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/bookings":
		l.booked++
		fmt.Fprintf(w, `{"id":"BKG-%d"}`, l.booked)
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/cancel"):
		l.cancelled = append(l.cancelled, strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/bookings/"), "/cancel"))
		fmt.Fprint(w, `{"cancelled":true}`)
	case r.Method == http.MethodPost && r.URL.Path == "/vehicles":
		l.vehicles.Add(1)
		if l.down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"code":"unavailable","message":"highways system is down"}`)
			return
		}
		fmt.Fprint(w, `{"id":"HW-1"}`)
	default:
		http.NotFound(w, r)
	}
}

// cancellations are the bookings cancelled so far.
func (l *lineOfBusiness) cancellations() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.cancelled...)
}

// crmToken is the crm client's token: it works the waste-crew queue only.
const crmToken = "crm-client-token-0123456789"

// apiClientsYAML names the staff API's clients besides staff_token.
const apiClientsYAML = `api_clients:
  - {name: crm, token_env: STAFF_TEST_CRM_TOKEN, queues: [waste-crew]}
`

// serve serves only the staff API h, under /api/v1 behind the body limit,
// for tests of the API over a case client of their own.
func serve(t *testing.T, h *staff.API) string {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(web.LimitBody)
	h.Routes(r.Group("/api/v1"))
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL + "/api/v1"
}

// submit starts a case of a test recipe with answers, as a resident would.
func (o *backOffice) submit(t *testing.T, service string, answers map[string]any) string {
	t.Helper()
	r := recipe.Find(o.Recipes, service)
	if r == nil {
		t.Fatalf("no test recipe %q", service)
	}
	clean, errs := forms.New().Form(r, answers)
	if len(errs) > 0 {
		t.Fatalf("answers for %s: %v", service, errs)
	}
	ref, err := o.Cases.Start(t.Context(), r, clean, "")
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// booked submits a booking and waits for its task in the waste team's
// queue, the check.
func booked(t *testing.T, o *backOffice) (string, *workflows.Task) {
	t.Helper()
	ref := o.submit(t, "booking", map[string]any{"uprn": "100001000001", "email": "sam@example.com"})
	return ref, o.waitForTask(t, ref, "check")
}

// call sends a staff API request with a bearer token (none when empty)
// and decodes the reply into out.
func call(t *testing.T, method, url, bearer string, body, out any) int {
	t.Helper()
	var buf bytes.Buffer
	if body != nil {
		if s, ok := body.(string); ok {
			buf.WriteString(s)
		} else if err := json.NewEncoder(&buf).Encode(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, url, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// postCase sends a staff API post to the case's path with token.
func (o *backOffice) postCase(t *testing.T, ref, path string, body, out any) int {
	t.Helper()
	return call(t, http.MethodPost, o.API+"/cases/"+ref+path, token, body, out)
}

// detail is the case's detail as the staff API shows it.
func (o *backOffice) detail(t *testing.T, ref string) workflows.CaseDetail {
	t.Helper()
	var d workflows.CaseDetail
	if code := call(t, http.MethodGet, o.API+"/cases/"+ref+"/detail", token, nil, &d); code != http.StatusOK {
		t.Fatalf("detail of %s: %d", ref, code)
	}
	return d
}

// waitFor polls the case's detail until ok says it is what the test needs.
func (o *backOffice) waitFor(t *testing.T, ref string, ok func(workflows.CaseDetail) bool) workflows.CaseDetail {
	t.Helper()
	var d workflows.CaseDetail
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		d = workflows.CaseDetail{}
		if call(t, http.MethodGet, o.API+"/cases/"+ref+"/detail", token, nil, &d) == http.StatusOK && ok(d) {
			return d
		}
	}
	t.Fatalf("case %s never reached the expected state; last: %+v", ref, d)
	return d
}

// waitForTask waits until the case has an open task at step and returns
// it.
func (o *backOffice) waitForTask(t *testing.T, ref, step string) *workflows.Task {
	t.Helper()
	at := func(d workflows.CaseDetail) *workflows.Task {
		for _, task := range d.Tasks {
			if task.Step == step && task.Completion == nil {
				return task
			}
		}
		return nil
	}
	return at(o.waitFor(t, ref, func(d workflows.CaseDetail) bool { return at(d) != nil }))
}

// closed waits for the case to leave running.
func (o *backOffice) closed(t *testing.T, ref string) workflows.CaseDetail {
	t.Helper()
	return o.waitFor(t, ref, func(d workflows.CaseDetail) bool { return d.Status != workflows.StatusRunning })
}

// openTask returns the first open task of the detail, or nil.
func openTask(d workflows.CaseDetail) *workflows.Task {
	for _, task := range d.Tasks {
		if task.Completion == nil {
			return task
		}
	}
	return nil
}

// hasOpenTask says the case waits for staff on a task.
func hasOpenTask(d workflows.CaseDetail) bool { return openTask(d) != nil }

// taskPath is the API path, under the case, of the task's completion.
func taskPath(ref string, task *workflows.Task) string {
	return "/tasks/" + strings.TrimPrefix(task.ID, ref+"/") + "/complete"
}

// taskURL is the task's page.
func taskURL(ref string, task *workflows.Task) string {
	return "/staff/tasks/" + ref + "/" + strings.TrimPrefix(task.ID, ref+"/")
}

// problem is an RFC 9457 problem+json reply.
type problem struct {
	Title  string             `json:"title"`
	Status int                `json:"status"`
	Errors []forms.FieldError `json:"errors"`
}

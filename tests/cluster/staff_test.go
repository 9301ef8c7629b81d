package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/connectors/connectortest"
	"github.com/larder-council/larder/workflows"
)

// staffToken is the staff API's bearer token in the cluster.
const staffToken = "cluster-test-staff-token-0123456789abcdef"

// administrator stands in for a council's administrator while the cases
// run. A worker killed in the instant between an email's end going to the
// relay and the relay's answer leaves an email that may have gone: the
// case does not send it again but raises an incident (email_unsure). The
// administrator looks in the relay's log for the case's email, as staff
// would, and marks it sent when it is there or sends it again when not.
type administrator struct {
	base  string
	relay *connectortest.SMTPRelay
	refs  map[string]string // reference → the resident's email address
	// marked and resent count the emails marked sent and sent again;
	// other counts sightings of open incidents of any other kind, which no
	// case here should raise.
	marked, resent, other atomic.Int32
	stop, done            chan struct{}
}

// watch starts an administrator who looks at the open incidents every two
// seconds until stopped.
func watch(t *testing.T, base string, relay *connectortest.SMTPRelay, refs map[string]string) *administrator {
	a := &administrator{base: base, relay: relay, refs: refs, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for {
			if err := a.round(); err != nil {
				t.Logf("administrator: %v", err)
			}
			select {
			case <-a.stop:
				return
			case <-time.After(2 * time.Second):
			}
		}
	}()
	return a
}

// halt stops the administrator and waits for its last round.
func (a *administrator) halt() {
	close(a.stop)
	<-a.done
}

// round answers each open email_unsure incident.
func (a *administrator) round() error {
	var open struct {
		Items []inbox.Entry `json:"items"`
	}
	if err := a.call(http.MethodGet, "/api/v1/incidents?per_page=100", nil, &open); err != nil {
		return err
	}
	for _, e := range open.Items {
		var d workflows.CaseDetail
		if err := a.call(http.MethodGet, "/api/v1/cases/"+e.Reference+"/detail", nil, &d); err != nil {
			return err
		}
		for _, inc := range d.Incidents {
			if inc.Resolution != nil || e.ID != e.Reference+"/"+inc.ID {
				continue
			}
			if inc.Code != workflows.CodeEmailUnsure {
				a.other.Add(1)
				continue
			}
			action, count := "retry", &a.resent // not in the relay's log: send it again
			for _, m := range a.relay.To(a.refs[e.Reference]) {
				if strings.Contains(m.Data, e.Reference) {
					action, count = "skip", &a.marked // it went: mark it sent
				}
			}
			body := map[string]any{"action": action, "by": "cluster-admin"}
			if err := a.call(http.MethodPost, "/api/v1/cases/"+e.Reference+"/incidents/"+inc.ID+"/resolve", body, nil); err != nil {
				return err
			}
			count.Add(1)
		}
	}
	return nil
}

// call makes one staff API request and decodes its JSON answer into out.
func (a *administrator) call(method, path string, in, out any) error {
	var body bytes.Buffer
	if in != nil {
		_ = json.NewEncoder(&body).Encode(in)
	}
	req, err := http.NewRequest(method, a.base+path, &body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+staffToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

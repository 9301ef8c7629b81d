package access_test

import (
	"strings"
	"testing"

	"github.com/larder-council/larder/connectors/connectortest"
	"github.com/larder-council/larder/forms/staff/access"
)

func TestClientsAuthenticateByToken(t *testing.T) {
	t.Setenv("LARDER_TEST_CRM_TOKEN", crmToken)
	d, err := access.LoadFile(writeStaff(t, team(t)))
	if err != nil {
		t.Fatal(err)
	}
	const staffToken = "the-old-shared-staff-token"
	clients, err := d.Clients(staffToken)
	if err != nil {
		t.Fatal(err)
	}
	if clients.Len() != 2 {
		t.Errorf("Len = %d; want the CRM and staff_token", clients.Len())
	}
	crm, ok := clients.Authenticate(crmToken)
	if !ok || crm.Name != "crm" || crm.All || !crm.MayWork("street-scene") || crm.MayWork("waste-team") {
		t.Errorf("the CRM's token: %+v, %v; want crm, limited to street-scene", crm, ok)
	}
	old, ok := clients.Authenticate(staffToken)
	if !ok || old.Name != access.StaffTokenClient || !old.All || !old.MayWork("waste-team") {
		t.Errorf("LARDER_STAFF_TOKEN: %+v, %v; want the staff_token client, with every queue", old, ok)
	}
	for _, token := range []string{"", crmToken[:len(crmToken)-1], crmToken + "x", strings.ToUpper(crmToken), " " + staffToken} {
		if c, ok := clients.Authenticate(token); ok {
			t.Errorf("Authenticate(%q) = %+v; want no client", token, c)
		}
	}
	crm.Queues[0] = "waste-team"
	if again, _ := clients.Authenticate(crmToken); again.MayWork("waste-team") {
		t.Errorf("changing a returned client's queues changed the client")
	}
}

func TestClientsWithoutStaffToken(t *testing.T) {
	t.Setenv("LARDER_TEST_CRM_TOKEN", crmToken)
	d, err := access.LoadFile(writeStaff(t, team(t)))
	if err != nil {
		t.Fatal(err)
	}
	clients, err := d.Clients("")
	if err != nil {
		t.Fatal(err)
	}
	if clients.Len() != 1 {
		t.Errorf("Len = %d; want the CRM alone", clients.Len())
	}
	if c, ok := clients.Authenticate(""); ok {
		t.Errorf("an empty token authenticated as %+v", c)
	}
	var none *access.Clients
	if _, ok := none.Authenticate(crmToken); ok || none.Len() != 0 {
		t.Errorf("no clients at all should authenticate no one")
	}
}

func TestClientsRefuseStaffTokenSharedWithAClient(t *testing.T) {
	t.Setenv("LARDER_TEST_CRM_TOKEN", crmToken)
	d, err := access.LoadFile(writeStaff(t, team(t)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Clients(crmToken)
	if err == nil || !strings.Contains(err.Error(), "staff_token (LARDER_STAFF_TOKEN) is the token of API client crm too (LARDER_TEST_CRM_TOKEN)") {
		t.Errorf("staff_token shared with the CRM: %v", err)
	}
	connectortest.NoSecretInError(t, err, crmToken)
}

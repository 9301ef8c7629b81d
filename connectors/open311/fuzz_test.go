package open311

import (
	"encoding/json"
	"testing"
)

// FuzzReply feeds GeoReport replies to the mapping from a reply body to a
// result or an error: no panic, every result encodes to JSON again (a
// case's history holds it), and an error always carries its status.
func FuzzReply(f *testing.F) {
	for _, s := range []string{
		``, `[]`, `{}`, `null`, `1`, `"x"`, `[{"service_code":"a","metadata":"true"}]`,
		`{"service_code":"a","attributes":[{"code":"b","order":"1","values":[{"key":1,"name":"x"}]}]}`,
		`[{"service_request_id":1,"lat":"NaN","long":1e400}]`, `[{"code":400,"description":"bad"}]`,
		`<errors><error><code>403</code><description>no</description></error></errors>`,
		`<services><service><service_code>a</service_code><metadata>yes</metadata></service></services>`,
		`<service_definition><attributes><attribute><order>x</order></attribute></attributes></service_definition>`,
		`<service_requests><request><lat>1</lat></request></service_requests>`, `<`, "\xff", `[{"a":"\ud800"}]`,
	} {
		f.Add(200, []byte(s))
		f.Add(403, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, data []byte) {
		var results []map[string]any
		if list, err := decodeList[service](data); err == nil {
			for _, s := range list {
				results = append(results, s.result())
			}
		}
		if d, err := decodeOne[definition](data); err == nil {
			results = append(results, d.result())
		}
		if list, err := decodeList[request](data); err == nil {
			for _, r := range list {
				results = append(results, r.receipt(), r.status())
			}
		}
		for _, r := range results {
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("result of %q does not encode: %v", data, err)
			}
		}
		e := replyError(status, data)
		if e == nil || e.Status != status || e.Message == "" {
			t.Fatalf("replyError(%d, %q) = %+v", status, data, e)
		}
		_ = e.Error()
	})
}

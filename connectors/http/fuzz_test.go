package http

import (
	"encoding/json"
	"testing"
)

// FuzzReply feeds connector replies to the mapping from a reply body to a
// step's result or error: no panic, a result is always a map that encodes
// to JSON again (a case's history holds it), and an error reply always
// carries its status.
func FuzzReply(f *testing.F) {
	for _, s := range []string{
		``, ` `, `{}`, `[]`, `null`, `1`, `"x"`, `{"items":[{"uprn":"100"}]}`,
		`[{"uprn":"100","address":"1 High St"}]`, `{"code":"full","message":"No slots"}`,
		`{"error":"bad"}`, `{"code":1}`, `{"a":1e400}`, `{"a":"\ud800"}`, `{`, "\xff",
	} {
		f.Add(200, []byte(s))
		f.Add(503, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, data []byte) {
		reply, err := decode(data)
		if err == nil {
			out := asResult(reply)
			if out == nil {
				t.Fatalf("decodeReply(%q) = nil, nil", data)
			}
			if _, err := json.Marshal(out); err != nil {
				t.Fatalf("result of %q does not encode: %v", data, err)
			}
		}
		e := replyError(status, data)
		if e == nil || e.Status != status {
			t.Fatalf("replyError(%d, %q) = %+v", status, data, e)
		}
		_ = e.Error()
	})
}

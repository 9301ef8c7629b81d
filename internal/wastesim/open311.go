package wastesim

import (
	"net/http"
)

// open311Errors answers a GeoReport v2 error list.
func open311Errors(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	writeJSON(w, status, []map[string]any{{"code": status, "description": msg}})
}

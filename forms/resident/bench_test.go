package resident

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkQuestionPage measures showing a question page to a resident
// with a session, in process: go test ./forms/resident -bench QuestionPage
func BenchmarkQuestionPage(b *testing.B) {
	l := serve(b, &Handler{}, 0, nil)
	h := l.Config.Handler
	first := httptest.NewRecorder()
	h.ServeHTTP(first, httptest.NewRequest(http.MethodGet, "/services/missed-bin/pages/postcode", nil))
	cookie := first.Result().Cookies()[0]
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest(http.MethodGet, "/services/missed-bin/pages/postcode", nil)
		req.AddCookie(cookie)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/workflows/recipe"
)

// BenchmarkQuestionPage measures rendering a question page for a resident
// with a session, in process: go test ./forms/web -bench QuestionPage
func BenchmarkQuestionPage(b *testing.B) {
	mr := miniredis.RunT(b)
	rs, err := recipe.LoadDir("../../recipes", nil)
	if err != nil {
		b.Fatal(err)
	}
	s := &Server{Recipes: rs, Redis: redis.NewClient(&redis.Options{Addr: mr.Addr()}), Validator: forms.New(),
		Secret: []byte("bench"), CouncilName: "Larchester Council", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h, err := s.Handler()
	if err != nil {
		b.Fatal(err)
	}
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

func TestCachedPageCarriesEachSessionsToken(t *testing.T) {
	mr := miniredis.RunT(t)
	rs, err := recipe.LoadDir("../../recipes", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Recipes: rs, Redis: redis.NewClient(&redis.Options{Addr: mr.Addr()}), Validator: forms.New(),
		Secret: []byte("test"), CouncilName: "Larchester Council", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h, err := s.Handler()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second visit is served from the cache
		for _, sid := range []string{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"} {
			req := httptest.NewRequest(http.MethodGet, "/services/missed-bin/pages/postcode", nil)
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sid})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			body := w.Body.String()
			if !strings.Contains(body, `value="`+s.csrfToken(sid)+`"`) || strings.Contains(body, csrfPlaceholder) {
				t.Fatalf("session %s did not get its own CSRF token", sid[:1])
			}
		}
	}
}

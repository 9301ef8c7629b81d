// Package connectortest is the shared kit for connector tests: a recording
// httptest server, an in-process SMTP relay, the retry table every HTTP
// connector should honour, and an assertion that no secret leaks into an
// error message.
package connectortest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Request is one request the server received.
type Request struct {
	Method string
	// Path is the escaped path, as sent on the wire.
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// Server is an httptest server that records every request and answers each
// with the current canned reply.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	status   int
	body     string
	requests []Request
}

// NewServer starts a server answering status and body (JSON); it closes
// when the test ends.
func NewServer(t testing.TB, status int, body string) *Server {
	t.Helper()
	s := &Server{status: status, body: body}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
	status, reply := s.status, s.body
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, reply)
}

// Reply changes the canned reply for later requests.
func (s *Server) Reply(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

// Requests returns every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Only returns the one request received, failing the test if there were
// none or several.
func (s *Server) Only(t testing.TB) Request {
	t.Helper()
	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("server received %d requests, want 1", len(reqs))
	}
	return reqs[0]
}

// RetryCase is one HTTP reply status and whether a failure with it is worth
// retrying.
type RetryCase struct {
	Status int
	Retry  bool
}

// RetryTable is what every HTTP connector should say about retrying: a
// refusal (4xx) is final, except a request timeout or a rate limit; a
// server failure (5xx) may pass.
var RetryTable = []RetryCase{
	{http.StatusBadRequest, false},
	{http.StatusUnauthorized, false},
	{http.StatusForbidden, false},
	{http.StatusNotFound, false},
	{http.StatusRequestTimeout, true},
	{http.StatusConflict, false},
	{http.StatusUnprocessableEntity, false},
	{http.StatusTooManyRequests, true},
	{http.StatusInternalServerError, true},
	{http.StatusBadGateway, true},
	{http.StatusServiceUnavailable, true},
	{http.StatusGatewayTimeout, true},
}

// NoSecretInError fails the test if err's message, in any formatting,
// contains one of the secrets as written or URL-escaped. A nil err fails
// too: the assertion is only meaningful on an error.
func NoSecretInError(t testing.TB, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Error("NoSecretInError: want an error to check, got nil")
		return
	}
	texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
	for _, secret := range secrets {
		if secret == "" {
			t.Fatal("NoSecretInError: empty secret")
		}
		forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret), url.UserPassword("u", secret).String()[2:]}
		for _, text := range texts {
			for _, form := range forms {
				if strings.Contains(text, form) {
					t.Errorf("error leaks a secret (%q): %s", form, err)
					return
				}
			}
		}
	}
}

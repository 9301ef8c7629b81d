package wastesim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Auth is the credentials the simulator asks of callers of /api and
// /open311: a request carrying any one of those set gets through, any
// other gets 401. Secrets never appear in an answer.
type Auth struct {
	// BearerToken is accepted as "Authorization: Bearer <token>".
	BearerToken string
	// Username and Password are accepted as HTTP basic authentication.
	Username, Password string
	// APIKey is accepted in the header APIKeyHeader and, when APIKeyQuery
	// is set, in that query parameter. With neither named the header is
	// X-API-Key.
	APIKey       string
	APIKeyHeader string
	APIKeyQuery  string
	// ClientID and ClientSecret fetch access tokens from POST /oauth/token
	// (OAuth2 client credentials); a token is accepted as a bearer token
	// for TokenTTL.
	ClientID, ClientSecret string
	// TokenTTL is how long an access token lasts on the simulator's clock;
	// default one hour.
	TokenTTL time.Duration
}

// same compares a secret in constant time; an unset secret matches nothing.
func same(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// apiKeyHeader is the header an API key is read from, if any.
func (a *Auth) apiKeyHeader() string {
	if a.APIKeyHeader == "" && a.APIKeyQuery == "" {
		return "X-API-Key"
	}
	return a.APIKeyHeader
}

// authorised lets a request through when it carries valid credentials, or
// when the simulator asks for none.
func (s *Server) authorised(h http.HandlerFunc) http.HandlerFunc {
	a := s.opts.Auth
	if a == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		ok, why := s.credentials(a, r)
		if ok {
			h(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="wastesim"`)
		if a.Username != "" {
			w.Header().Add("WWW-Authenticate", `Basic realm="wastesim"`)
		}
		if strings.HasPrefix(r.URL.Path, "/open311/") {
			open311Errors(w, r, http.StatusUnauthorized, why)
			return
		}
		problem(w, http.StatusUnauthorized, "unauthorized", why)
	}
}

// credentials checks the request's credentials and, when they fail, says
// why without repeating them.
func (s *Server) credentials(a *Auth, r *http.Request) (bool, string) {
	if key := a.apiKeyHeader(); key != "" && same(r.Header.Get(key), a.APIKey) {
		return true, ""
	}
	if a.APIKeyQuery != "" && same(r.URL.Query().Get(a.APIKeyQuery), a.APIKey) {
		return true, ""
	}
	if user, pass, ok := r.BasicAuth(); ok && same(user, a.Username) && same(pass, a.Password) {
		return true, ""
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return false, "this waste system needs credentials: send them with the request"
	}
	if same(token, a.BearerToken) {
		return true, ""
	}
	now := s.now()
	s.mu.Lock()
	expires, issued := s.tokens[token]
	s.mu.Unlock()
	switch {
	case issued && now.Before(expires):
		return true, ""
	case issued:
		return false, "the access token has expired: fetch a new one from /oauth/token"
	}
	return false, "the credentials sent are not valid for this waste system"
}

// TokensIssued counts the access tokens POST /oauth/token has handed out.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// issueToken is the OAuth2 token endpoint for the client credentials
// grant; the client authenticates with basic auth (id and secret
// form-encoded first, as RFC 6749 says) or client_id and client_secret in
// the form.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	a := s.opts.Auth
	if a == nil || a.ClientID == "" {
		oauthError(w, http.StatusNotFound, "unsupported", "this waste system does not issue access tokens")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body must be form-encoded")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only grant_type=client_credentials is supported")
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if !same(id, a.ClientID) || !same(secret, a.ClientSecret) {
		w.Header().Set("WWW-Authenticate", `Basic realm="wastesim"`)
		oauthError(w, http.StatusUnauthorized, "invalid_client", "the client id or secret is wrong")
		return
	}
	ttl := a.TokenTTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	now := s.now()
	s.mu.Lock()
	s.tokens[token] = now.Add(ttl)
	s.issued++
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token, "token_type": "Bearer",
		"expires_in": max(1, int((ttl+time.Second-1)/time.Second)),
	})
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// Auth returns the credentials the simulator asks for, nil for none.
func (s *Server) Auth() *Auth { return s.opts.Auth }

package http

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// The auth kinds.
const (
	AuthNone   = "none"
	AuthBasic  = "basic"
	AuthBearer = "bearer"
	AuthAPIKey = "api_key"
	AuthOAuth2 = "oauth2_client_credentials"
)

// Auth is how a connector proves who it is. Kind picks which of the other
// fields count; each secret usually comes from the environment
// (password: ${WASTE_PASSWORD}) and never appears in an error.
type Auth struct {
	// Kind is none, basic, bearer, api_key or oauth2_client_credentials.
	Kind string `yaml:"kind"`
	// Username is basic's user name.
	Username string `yaml:"username"`
	// Password is basic's password.
	Password string `yaml:"password"`
	// Token is bearer's token, sent as Authorization: Bearer <token>.
	Token string `yaml:"token"`
	// In is where api_key puts the key: header (default) or query.
	In string `yaml:"in"`
	// Name is api_key's header or query parameter, e.g. X-API-Key.
	Name string `yaml:"name"`
	// Value is api_key's key.
	Value string `yaml:"value"`
	// TokenURL is where oauth2_client_credentials asks for a token.
	TokenURL string `yaml:"token_url"`
	// ClientID is oauth2_client_credentials' client.
	ClientID string `yaml:"client_id"`
	// ClientSecret is oauth2_client_credentials' client secret.
	ClientSecret string `yaml:"client_secret"`
	// Scopes are the scopes oauth2_client_credentials asks for.
	Scopes []string `yaml:"scopes"`
	// AuthStyle is how oauth2_client_credentials sends the client id and
	// secret: header (HTTP basic auth), form (in the form body), or left
	// out to try header, then form.
	AuthStyle string `yaml:"auth_style"`
}

// authFields says which fields each kind uses; the first ones listed in
// required must be set.
var authFields = map[string]struct{ uses, required []string }{
	AuthNone:   {},
	AuthBasic:  {uses: []string{"username", "password"}, required: []string{"username"}},
	AuthBearer: {uses: []string{"token"}, required: []string{"token"}},
	AuthAPIKey: {uses: []string{"in", "name", "value"}, required: []string{"name", "value"}},
	AuthOAuth2: {uses: []string{"token_url", "client_id", "client_secret", "scopes", "auth_style"}, required: []string{"token_url", "client_id", "client_secret"}},
}

// set lists which fields are given, by YAML key.
func (a *Auth) set() map[string]bool {
	return map[string]bool{
		"username": a.Username != "", "password": a.Password != "", "token": a.Token != "",
		"in": a.In != "", "name": a.Name != "", "value": a.Value != "",
		"token_url": a.TokenURL != "", "client_id": a.ClientID != "", "client_secret": a.ClientSecret != "",
		"scopes": len(a.Scopes) > 0, "auth_style": a.AuthStyle != "",
	}
}

func (a *Auth) validate(ck *checker) {
	if a == nil {
		return
	}
	if a.Kind == "" {
		a.Kind = AuthNone
	}
	fields, ok := authFields[a.Kind]
	if !ok {
		ck.at(fmt.Sprintf("%q is not none, basic, bearer, api_key or oauth2_client_credentials", a.Kind), "auth", "kind")
		return
	}
	set := a.set()
	for _, key := range []string{"username", "password", "token", "in", "name", "value", "token_url", "client_id", "client_secret", "scopes", "auth_style"} {
		if set[key] && !slices.Contains(fields.uses, key) {
			ck.at(fmt.Sprintf("is not used by auth kind %s", a.Kind), "auth", key)
		}
	}
	for _, key := range fields.required {
		if !set[key] {
			ck.at(fmt.Sprintf("is required for auth kind %s", a.Kind), "auth", key)
		}
	}
	switch a.Kind {
	case AuthAPIKey:
		if a.In == "" {
			a.In = "header"
		}
		if a.In != "header" && a.In != "query" {
			ck.at(fmt.Sprintf("%q is not header or query", a.In), "auth", "in")
		}
	case AuthOAuth2:
		if u, err := url.Parse(a.TokenURL); a.TokenURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			ck.at("must be an http or https URL", "auth", "token_url")
		}
		if a.AuthStyle != "" && a.AuthStyle != "header" && a.AuthStyle != "form" {
			ck.at(fmt.Sprintf("%q is not header or form", a.AuthStyle), "auth", "auth_style")
		}
	}
}

// authorizer adds credentials to a request.
type authorizer interface {
	// authorize adds the credentials; cached is true when they were
	// fetched earlier and may have gone stale.
	authorize(ctx context.Context, req *http.Request) (cached bool, err error)
	// forget drops cached credentials the system refused.
	forget()
}

// newAuthorizer builds the authorizer for validated settings; nil for none.
func newAuthorizer(a *Auth, client *http.Client) authorizer {
	if a == nil {
		return nil
	}
	switch a.Kind {
	case AuthBasic:
		return headerAuth(func(r *http.Request) { r.SetBasicAuth(a.Username, a.Password) })
	case AuthBearer:
		return headerAuth(func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+a.Token) })
	case AuthAPIKey:
		if a.In == "query" {
			return headerAuth(func(r *http.Request) {
				q := r.URL.Query()
				q.Set(a.Name, a.Value)
				r.URL.RawQuery = q.Encode()
			})
		}
		return headerAuth(func(r *http.Request) { r.Header.Set(a.Name, a.Value) })
	case AuthOAuth2:
		style := oauth2.AuthStyleAutoDetect
		switch a.AuthStyle {
		case "header":
			style = oauth2.AuthStyleInHeader
		case "form":
			style = oauth2.AuthStyleInParams
		}
		return &tokenAuth{client: client, cfg: clientcredentials.Config{
			ClientID: a.ClientID, ClientSecret: a.ClientSecret, TokenURL: a.TokenURL,
			Scopes: a.Scopes, AuthStyle: style,
		}}
	}
	return nil
}

// headerAuth sets fixed credentials on each request.
type headerAuth func(*http.Request)

func (h headerAuth) authorize(_ context.Context, r *http.Request) (bool, error) {
	h(r)
	return false, nil
}

func (headerAuth) forget() {}

// tokenAuth fetches an OAuth2 token with client credentials, keeps it until
// shortly before it expires (or the system refuses it), then fetches another.
type tokenAuth struct {
	client *http.Client
	cfg    clientcredentials.Config

	mu  sync.Mutex
	tok *oauth2.Token
}

func (t *tokenAuth) authorize(ctx context.Context, r *http.Request) (bool, error) {
	tok, cached, err := t.token(ctx)
	if err != nil {
		return false, err
	}
	tok.SetAuthHeader(r)
	return cached, nil
}

// token returns the kept token while it is valid, else fetches one; calls
// wait for one fetch rather than each making its own.
func (t *tokenAuth) token(ctx context.Context) (*oauth2.Token, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok.Valid() {
		return t.tok, true, nil
	}
	tok, err := t.cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, t.client))
	if err != nil {
		return nil, false, tokenError(err)
	}
	t.tok = tok
	return tok, false, nil
}

func (t *tokenAuth) forget() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tok = nil
}

// tokenError says why no token came without repeating what the token
// endpoint sent back, which may echo the credentials.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		msg := fmt.Sprintf("token endpoint answered %d", re.Response.StatusCode)
		if re.ErrorCode != "" {
			msg += " " + re.ErrorCode
		}
		if re.Response.StatusCode == http.StatusBadRequest || re.Response.StatusCode == http.StatusUnauthorized {
			msg += ": check auth.client_id, auth.client_secret and auth.scopes"
		}
		return errors.New("oauth2 token: " + msg)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("oauth2 token: %w", transportError(err))
	}
	return errors.New("oauth2 token: the token endpoint's answer has no usable token")
}

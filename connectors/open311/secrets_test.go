package open311_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/connectortest"
	"github.com/larder-council/larder/connectors/open311"
)

const password = "pa55-w0rd-x9"

// withPassword puts a user and password into an address, as a designer
// might with base_url: https://larder:${OPEN311_PASSWORD}@council.example/open311/v2.
func withPassword(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("larder", password)
	return u.String()
}

// TestErrorsKeepSecrets checks every way a call can fail: none may show
// the api_key or a password in base_url, since errors reach logs, the
// Temporal UI and staff screens; that includes a system that repeats the
// key it was sent in its error description. The connector itself logs
// nothing; what is logged of a call is its error.
func TestErrorsKeepSecrets(t *testing.T) {
	echoing := newGeoreport(t)
	echoing.echoKey = true
	down := connectortest.NewServer(t, 503, `[{"code":503,"description":"down for `+apiKey+`"}]`)
	notGeoReport := connectortest.NewServer(t, 200, `{"api_key": "`+apiKey+`"`)
	// The slow server reads the form first: only then does it notice the
	// client giving up.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(slow.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for _, format := range formats {
		for _, tc := range []struct {
			name, base, key string
			timeout         time.Duration
		}{
			{"refusal repeating a wrong key", echoing.base(), "wrong-" + apiKey, 0},
			{"server failure repeating the key", down.URL, apiKey, 0},
			{"reply not GeoReport", notGeoReport.URL, apiKey, 0},
			{"timeout", slow.URL, apiKey, 20 * time.Millisecond},
			{"connection refused", closed.URL, apiKey, 0},
			{"no such host", "http://council.invalid/open311/v2", apiKey, 500 * time.Millisecond},
		} {
			t.Run(format+"/"+tc.name, func(t *testing.T) {
				c, err := open311.New("council", open311.Config{BaseURL: withPassword(t, tc.base), Format: format, APIKey: tc.key, Timeout: tc.timeout})
				if err != nil {
					t.Fatal(err)
				}
				_, _, err = call(c, "submit_request", map[string]any{"service_code": "graffiti"})
				connectortest.NoSecretInError(t, err, tc.key, password)
			})
		}
	}
}

// TestResultsKeepSecrets: a system that repeats the key in a receipt does
// not put it into the case's history.
func TestResultsKeepSecrets(t *testing.T) {
	for _, format := range formats {
		g := newGeoreport(t)
		g.echoKey = true
		out, _, err := call(newClient(t, g.base(), format), "submit_request", map[string]any{"service_code": "graffiti"})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(out)
		if strings.Contains(string(b), apiKey) || !strings.Contains(string(b), "[redacted]") {
			t.Errorf("%s result = %s, want the key redacted", format, b)
		}
	}
}

func TestConfigErrorsKeepSecrets(t *testing.T) {
	_, err := open311.New("council", open311.Config{BaseURL: "https://larder:" + password + "@council.example/open311/v2?api_key=" + apiKey, APIKey: apiKey, Format: "yaml"})
	connectortest.NoSecretInError(t, err, apiKey, password)
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  open311.Config
		want []string
	}{
		{"not http", open311.Config{BaseURL: "ftp://council.example"},
			[]string{"connectors.council.open311.base_url: must be an http or https URL"}},
		{"no host", open311.Config{BaseURL: "https://"},
			[]string{"connectors.council.open311.base_url:"}},
		{"key in the address", open311.Config{BaseURL: "https://council.example/open311/v2?api_key=x"},
			[]string{"connectors.council.open311.base_url: must not carry a query", "put the key under api_key"}},
		{"format", open311.Config{BaseURL: "https://council.example", Format: "JSON"},
			[]string{"connectors.council.open311.format: must be json or xml"}},
		{"timeout", open311.Config{BaseURL: "https://council.example", Timeout: -time.Second},
			[]string{"connectors.council.open311.timeout: must be positive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := open311.New("council", tc.cfg)
			if err == nil {
				t.Fatal("New accepted an invalid config")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			// The loader shows each mistake at its key in connectors.yaml.
			var ce *connectors.ConfigError
			if !errors.As(err, &ce) || len(ce.Path) != 4 || ce.Path[2] != "open311" {
				t.Errorf("error %v is not a ConfigError at a key under connectors.council.open311", err)
			}
		})
	}
}

// TestConfigDefaults: json unless told, and a base URL with a trailing
// slash works.
func TestConfigDefaults(t *testing.T) {
	g := newGeoreport(t)
	c, err := open311.New("council", open311.Config{BaseURL: g.base() + "/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := call(c, "services", nil); err != nil {
		t.Fatal(err)
	}
	reqs, _ := g.received()
	if reqs[0].URL.Path != "/services.json" {
		t.Errorf("asked for %s, want /services.json", reqs[0].URL.Path)
	}
}

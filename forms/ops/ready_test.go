package ops_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/larder-council/larder/forms/ops"
	"github.com/larder-council/larder/internal/redistest"
)

// temporal is a Temporal that answers readiness with err.
type temporal struct{ err error }

func (t temporal) Ready(context.Context) error { return t.err }

// serve serves only the operator's routes.
func serve(t *testing.T, h *ops.Handler, use ...gin.HandlerFunc) string {
	t.Helper()
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(use...)
	h.Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL
}

// get fetches url and decodes a JSON reply into out, when given.
func get(t *testing.T, url string, out any) *http.Response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
	}
	return resp
}

// closedRedis is a client of a port nothing listens on.
func closedRedis(t *testing.T) *redis.Client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestHealthzAnswersWithoutAskingAnything(t *testing.T) {
	// Neither Temporal nor Redis is asked: liveness is the process alone.
	base := serve(t, &ops.Handler{Temporal: temporal{errors.New("down")}, Redis: closedRedis(t)})
	var body map[string]string
	if resp := get(t, base+"/healthz", &body); resp.StatusCode != http.StatusOK || body["status"] != "ok" {
		t.Fatalf("/healthz: %d %v, want 200 ok", resp.StatusCode, body)
	}
}

func TestReadyWhenTemporalAndRedisAnswer(t *testing.T) {
	base := serve(t, &ops.Handler{Temporal: temporal{}, Redis: redistest.New(t).Client})
	var body map[string]string
	resp := get(t, base+"/readyz", &body)
	if resp.StatusCode != http.StatusOK || body["temporal"] != "ok" || body["redis"] != "ok" {
		t.Fatalf("/readyz: %d %v, want 200 with both ok", resp.StatusCode, body)
	}
	if resp.Header.Get("Retry-After") != "" {
		t.Error("a ready service asks callers to retry")
	}
}

func TestNotReadyNamesWhatIsDown(t *testing.T) {
	for _, tc := range []struct {
		name     string
		temporal ops.Temporal
		redis    func(*testing.T) redis.UniversalClient
		want     map[string]string
	}{
		{"redis down", temporal{}, func(t *testing.T) redis.UniversalClient { return closedRedis(t) },
			map[string]string{"temporal": "ok", "redis": "unavailable"}},
		{"temporal down", temporal{errors.New("connection refused")}, func(t *testing.T) redis.UniversalClient { return redistest.New(t).Client },
			map[string]string{"temporal": "unavailable", "redis": "ok"}},
		{"both down", temporal{errors.New("connection refused")}, func(t *testing.T) redis.UniversalClient { return closedRedis(t) },
			map[string]string{"temporal": "unavailable", "redis": "unavailable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := serve(t, &ops.Handler{Temporal: tc.temporal, Redis: tc.redis(t)})
			var body map[string]string
			resp := get(t, base+"/readyz", &body)
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("/readyz: %d %v, want 503", resp.StatusCode, body)
			}
			for k, v := range tc.want {
				if body[k] != v {
					t.Errorf("/readyz says %s is %q, want %q (%v)", k, body[k], v, body)
				}
			}
			if resp.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After: load balancers and probes are not told when to ask again")
			}
		})
	}
}

// hangingTemporal never answers: it waits until asked to stop.
type hangingTemporal struct{}

func (hangingTemporal) Ready(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestATemporalThatHangsDoesNotMakeRedisLookDown asks Redis on its own
// time: a Temporal that does not answer at all (a dropped network path
// rather than a refused connection) is named alone.
func TestATemporalThatHangsDoesNotMakeRedisLookDown(t *testing.T) {
	base := serve(t, &ops.Handler{Temporal: hangingTemporal{}, Redis: redistest.New(t).Client})
	var body map[string]string
	resp := get(t, base+"/readyz", &body)
	if resp.StatusCode != http.StatusServiceUnavailable || body["temporal"] != "unavailable" || body["redis"] != "ok" {
		t.Fatalf("/readyz: %d %v, want 503 naming temporal alone", resp.StatusCode, body)
	}
}

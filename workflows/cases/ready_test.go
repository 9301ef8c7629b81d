package cases_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/larder-council/larder/internal/casetest"
	"github.com/larder-council/larder/workflows/cases"
)

// TestReady is /readyz's question: does Temporal answer?
func TestReady(t *testing.T) {
	up := &cases.Client{Temporal: casetest.Client(t), Namespace: "default"}
	if err := up.Ready(context.Background()); err != nil {
		t.Errorf("ready with the test server up: %v", err)
	}

	gone, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1", Logger: sdklog.NewStructuredLogger(casetest.Log())})
	if err != nil {
		t.Fatal(err)
	}
	defer gone.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := (&cases.Client{Temporal: gone, Namespace: "default"}).Ready(ctx); err == nil {
		t.Error("ready with no Temporal listening; want an error")
	}
}

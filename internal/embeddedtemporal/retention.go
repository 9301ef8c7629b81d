package embeddedtemporal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"
)

// DefaultRetention is how long the server keeps a closed case when Config
// gives no Retention: 90 days, as a council keeps records for months.
// Temporal's own default is a day, after which a case's page is gone.
const DefaultRetention = 90 * 24 * time.Hour

// ensureRetention gives the namespace of a database made earlier (by an
// older Larder, or with another retention) the configured retention. A new
// namespace was created with it; this changes an existing one through the
// frontend, as an operator would, waiting up to a minute for the frontend
// to answer. Cases closed before the change keep the retention they
// closed with.
func (s *Server) ensureRetention() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nc, err := client.NewNamespaceClient(client.Options{
		HostPort: s.hostPort,
		Logger:   sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	if err != nil {
		return fmt.Errorf("embedded temporal: retention: %w", err)
	}
	defer nc.Close()
	for {
		err = setRetention(ctx, nc, s.cfg.Namespace, s.cfg.Retention)
		var unavailable *serviceerror.Unavailable
		if err == nil || !errors.As(err, &unavailable) || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("embedded temporal: set retention of namespace %q to %s: %w", s.cfg.Namespace, s.cfg.Retention, err)
	}
	return nil
}

// setRetention updates the namespace's retention when it differs.
func setRetention(ctx context.Context, nc client.NamespaceClient, namespace string, retention time.Duration) error {
	ns, err := nc.Describe(ctx, namespace)
	if err != nil {
		return err
	}
	if ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration() == retention {
		return nil
	}
	return nc.Update(ctx, &workflowservice.UpdateNamespaceRequest{
		Namespace: namespace,
		Config:    &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(retention)},
	})
}

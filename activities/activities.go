// Package activities holds the side effects of a case: calling connectors,
// sending email and writing the inbox index. Workflows call them through a
// nil *Activities.
package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/workflows/calendar"
)

// Activities are the case's side effects; their fields are their clients.
type Activities struct {
	Connectors *connectors.Registry
	Mail       mail.Sender
	// Calendar counts working days for due dates; nil is England and Wales
	// without closure days.
	Calendar *calendar.Calendar
	// Index is the inbox index cases write their open work to; nil writes
	// nothing (a worker without Redis, or a test).
	Index *inbox.Index
}

// CallRequest is one connector call made by a call step.
type CallRequest struct {
	Connector      string         `json:"connector"`
	Operation      string         `json:"operation"`
	Input          map[string]any `json:"input"`
	IdempotencyKey string         `json:"idempotency_key"`
}

// RefusedError is the error type of a non-retryable connector failure; its
// details carry the connectors.Error the recipe's on_error route sees.
const RefusedError = "ConnectorRefused"

// Call runs a connector operation. A refusal by the system fails at once
// without retries; other failures are retried by Temporal.
func (a *Activities) Call(ctx context.Context, req CallRequest) (map[string]any, error) {
	c, err := a.Connectors.Get(req.Connector)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "UnknownConnector", nil)
	}
	began := time.Now()
	out, retry, err := c.Call(ctx, connectors.Request{Operation: req.Operation, Input: req.Input, IdempotencyKey: req.IdempotencyKey})
	observeCall(req, began, retry, err)
	if err == nil {
		return out, nil
	}
	lob, _ := connectors.AsError(err)
	if lob == nil {
		lob = &connectors.Error{Message: err.Error()}
	}
	if activity.IsActivity(ctx) {
		// Temporal logs a failed activity but not a failed local activity:
		// this line says what failed either way, with the case's tags.
		activity.GetLogger(ctx).Warn("connector call failed", "connector", req.Connector, "operation", req.Operation, "retry", retry, "err", err)
	}
	if retry {
		return nil, temporal.NewApplicationError(err.Error(), "ConnectorUnavailable", lob)
	}
	return nil, temporal.NewNonRetryableApplicationError(err.Error(), RefusedError, errors.Unwrap(err), lob)
}

// RecipientLimitError is the error type of an email not sent because its
// address has had as many emails this hour as are allowed; it is not
// retried, and the case records it and goes on.
const RecipientLimitError = "EmailRecipientLimit"

// MaybeSentError is the error type of an email the relay may have taken
// (mail.ErrMaybeSent); it is not retried, and the case asks staff whether
// it arrived.
const MaybeSentError = "EmailMaybeSent"

// SendEmail delivers one message, at most once per key. A message over the
// limit per recipient, or one that may have gone, fails at once, without
// retries.
func (a *Activities) SendEmail(ctx context.Context, m mail.Message) error {
	err := a.Mail.Send(ctx, m)
	switch {
	case errors.Is(err, mail.ErrRecipientLimit):
		return temporal.NewNonRetryableApplicationError(err.Error(), RecipientLimitError, nil)
	case errors.Is(err, mail.ErrMaybeSent):
		return temporal.NewNonRetryableApplicationError(err.Error(), MaybeSentError, nil)
	}
	return err
}

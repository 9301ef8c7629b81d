package cases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// startAttributes are the search attributes a case starts with: its
// service, and the terms staff search finds it by.
func (c *Client) startAttributes(r *recipe.Recipe, answers map[string]any) temporal.SearchAttributes {
	updates := []temporal.SearchAttributeUpdate{workflows.ServiceKey.ValueSet(r.ID)}
	if terms := c.SearchTerms(r, answers); len(terms) > 0 {
		updates = append(updates, workflows.SearchKey.ValueSet(terms))
	}
	return temporal.NewSearchAttributes(updates...)
}

// ErrKeyReused means the idempotency key already started a case with
// other answers: the caller is told so, and neither the case's reference
// nor its answers, and no second case is started.
var ErrKeyReused = errors.New("the idempotency key was used with other answers")

// answersMemo names the memo field holding the hash of the answers a case
// was started with by an idempotency key (answersHash). The case never
// writes it; it lives as long as Temporal keeps the case.
const answersMemo = "answers_sha256"

// ScopedKey is the idempotency key the caller scope sent as key: keys are
// one namespace per caller, so one caller's key never names another's
// case. scope must not hold a NUL; the key comes last.
func ScopedKey(scope, key string) string { return scope + "\x00" + key }

// answersHash is the SHA-256 of the answers as canonical JSON (object keys
// sorted, as encoding/json writes a map).
func answersHash(answers map[string]any) (string, error) {
	b, err := json.Marshal(answers)
	if err != nil {
		return "", fmt.Errorf("start case: answers: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Start starts a case of the recipe with validated answers and returns its
// reference. The reference is the workflow id and Temporal refuses a second
// workflow with it. With an idempotency key the reference is derived from
// the key and the day (see keyDay), so a repeat returns the case already
// started, even after it has finished: always within a day of the first
// submission, never after two, and never, once Temporal has deleted the
// case, the old reference for a new one. A repeat must bring the same
// answers: the case keeps their hash (answersMemo), and a repeat with
// other answers is ErrKeyReused. The key is the caller's to scope: the API
// passes ScopedKey; a resident's draft key is a random token the server
// minted into the session's draft, so only that session can send it. The
// case carries its service and the terms staff search finds it by
// (SearchTerms).
func (c *Client) Start(ctx context.Context, r *recipe.Recipe, answers map[string]any, idempotencyKey string) (string, error) {
	return c.start(ctx, r, answers, idempotencyKey, time.Now())
}

// start is Start at the time now.
func (c *Client) start(ctx context.Context, r *recipe.Recipe, answers map[string]any, idempotencyKey string, now time.Time) (string, error) {
	if idempotencyKey == "" {
		for range 3 {
			ref, err := c.startAs(ctx, r, answers, c.NewReference(r, ""), "", now)
			var started *serviceerror.WorkflowExecutionAlreadyStarted
			if errors.As(err, &started) {
				continue // a random reference collided; draw another
			}
			return ref, err
		}
		return "", errors.New("start case: could not find a free reference")
	}
	hash, err := answersHash(answers)
	if err != nil {
		return "", err
	}
	day := dayOf(now)
	// A repeat just after midnight UTC finds the case the key started the
	// day before.
	yesterday := c.keyReference(r, idempotencyKey, day-1)
	switch err := c.sameAnswers(ctx, yesterday, hash); {
	case err == nil:
		return yesterday, nil
	case !errors.Is(err, ErrNoCase):
		return "", err
	}
	return c.startAs(ctx, r, answers, c.keyReference(r, idempotencyKey, day), hash, now)
}

// sameAnswers is nil when the case ref was started with the answers whose
// hash is hash, ErrKeyReused when with others, and ErrNoCase when there is
// no such case. A case without the hash was started by a resident's draft
// key before answers were hashed (an API key is scoped since, and so
// reaches no such case); it is taken as the same, as it was then.
func (c *Client) sameAnswers(ctx context.Context, ref, hash string) error {
	got, err := c.keptHash(ctx, ref)
	switch {
	case err != nil:
		return err
	case got != "" && got != hash:
		return ErrKeyReused
	}
	return nil
}

// keptHash is the hash of its answers the case ref keeps (answersMemo),
// "" when it keeps none, or ErrNoCase when there is no such case.
func (c *Client) keptHash(ctx context.Context, ref string) (string, error) {
	d, err := c.Temporal.DescribeWorkflowExecution(ctx, ref, "")
	var none *serviceerror.NotFound
	switch {
	case errors.As(err, &none):
		return "", ErrNoCase
	case err != nil:
		return "", fmt.Errorf("start case: %w", err)
	}
	p := d.GetWorkflowExecutionInfo().GetMemo().GetFields()[answersMemo]
	if p == nil {
		return "", nil
	}
	var got string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &got); err != nil {
		return "", fmt.Errorf("start case: memo of %s: %w", ref, err)
	}
	return got, nil
}

// startOptions start the case ref of recipe r: Temporal refuses a second
// case with the reference, and with hash (see answersMemo) the case keeps
// the hash of its answers.
func (c *Client) startOptions(ref string, r *recipe.Recipe, answers map[string]any, hash string) client.StartWorkflowOptions {
	opts := client.StartWorkflowOptions{
		ID:                                       ref,
		TaskQueue:                                c.TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    c.startAttributes(r, answers),
		// A worker in this process takes the case's first workflow task
		// straight from the start's answer, skipping the trip through
		// matching; with none here, the SDK does not ask for it.
		EnableEagerStart: true,
	}
	if hash != "" {
		opts.Memo = map[string]any{answersMemo: hash}
	}
	return opts
}

// startAs starts the case with reference ref. With hash, the hash of the
// answers of a case started by an idempotency key, a case already started
// with ref is the one asked for, running or finished, if it was started
// with the same answers.
func (c *Client) startAs(ctx context.Context, r *recipe.Recipe, answers map[string]any, ref, hash string, now time.Time) (string, error) {
	opts := c.startOptions(ref, r, answers, hash)
	in := workflows.CaseInput{Reference: ref, Recipe: *r, Answers: answers, SubmittedAt: now.UTC()}
	_, err := c.Temporal.ExecuteWorkflow(ctx, opts, workflows.CaseWorkflow, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case err == nil:
		return ref, nil
	case errors.As(err, &started) && hash != "":
		if err := c.sameAnswers(ctx, ref, hash); err != nil {
			return "", err
		}
		return ref, nil
	case errors.As(err, &started):
		return "", err
	}
	return "", fmt.Errorf("start case: %w", err)
}

package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/recipe"
)

// referenceAlphabet leaves out characters residents confuse: 0/O, 1/I/L, U/V.
const referenceAlphabet = "23456789ABCDEFGHJKMNPQRSTWXYZ"

// newReference makes a reference like MB-7K4Q-2PXD. With an idempotency key
// it is derived from the key, so a repeated submission names the same case;
// the secret keeps references unguessable even from guessable keys.
func (s *Server) newReference(r *recipe.Recipe, idempotencyKey string) string {
	var b [8]byte
	if idempotencyKey == "" {
		_, _ = rand.Read(b[:])
	} else {
		mac := hmac.New(sha256.New, s.Secret)
		fmt.Fprintf(mac, "%s\x00%s", r.ID, idempotencyKey)
		copy(b[:], mac.Sum(nil))
	}
	out := make([]byte, 0, 16)
	out = append(out, r.ReferencePrefix...)
	for i, c := range b {
		if i%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, referenceAlphabet[int(c)%len(referenceAlphabet)])
	}
	return string(out)
}

// startCase starts the case workflow. The reference is the workflow id and
// Temporal refuses a second workflow with it, so a repeat with the same key
// returns the case already started, even after it has finished.
func (s *Server) startCase(ctx context.Context, r *recipe.Recipe, answers map[string]any, idempotencyKey string) (string, error) {
	for attempt := 0; attempt < 3; attempt++ {
		ref := s.newReference(r, idempotencyKey)
		opts := client.StartWorkflowOptions{
			ID:                                       ref,
			TaskQueue:                                s.TaskQueue,
			WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			WorkflowExecutionErrorWhenAlreadyStarted: idempotencyKey == "",
			TypedSearchAttributes:                    temporal.NewSearchAttributes(workflows.ServiceKey.ValueSet(r.ID)),
		}
		in := workflows.CaseInput{Reference: ref, Recipe: *r, Answers: answers, SubmittedAt: time.Now().UTC()}
		_, err := s.Temporal.ExecuteWorkflow(ctx, opts, workflows.CaseWorkflow, in)
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		switch {
		case err == nil:
			return ref, nil
		case errors.As(err, &started) && idempotencyKey != "":
			return ref, nil
		case errors.As(err, &started):
			continue // a random reference collided; draw another
		}
		return "", fmt.Errorf("start case: %w", err)
	}
	return "", errors.New("start case: could not find a free reference")
}

var referencePattern = regexp.MustCompile(`^[A-Z]{1,4}-[` + referenceAlphabet + `]{4}-[` + referenceAlphabet + `]{4}$`)

// query asks a case a question. A case paused on a task or a call is still
// tied to the worker that last ran it; if that worker has gone (a crash or a
// restart), the server either waits for it or says no poller has been seen,
// so on either answer the tie is cut and the query goes to any worker.
func (s *Server) query(ctx context.Context, ref, name string) (converter.EncodedValue, error) {
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	v, err := s.Temporal.QueryWorkflow(qctx, ref, "", name)
	cancel()
	if err == nil || !workerGone(err) {
		return v, queryErrorOrNil(err)
	}
	// A closed case has no tie to cut and answers NotFound here; the query
	// is asked again either way.
	_, _ = s.Temporal.WorkflowService().ResetStickyTaskQueue(ctx, &workflowservice.ResetStickyTaskQueueRequest{
		Namespace: s.Namespace, Execution: &commonpb.WorkflowExecution{WorkflowId: ref},
	})
	qctx, cancel = context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err = s.Temporal.QueryWorkflow(qctx, ref, "", name)
	return v, queryErrorOrNil(err)
}

// workerGone reports whether a query failed because the worker the case is
// tied to did not answer: a deadline on either side, or matching's "no
// poller seen for task queue recently".
func workerGone(err error) bool {
	var deadline *serviceerror.DeadlineExceeded
	var precondition *serviceerror.FailedPrecondition
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &deadline) || errors.As(err, &precondition)
}

func queryErrorOrNil(err error) error {
	if err == nil {
		return nil
	}
	return queryError(err)
}

// queryError turns Temporal's not-found into errNoCase.
func queryError(err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return errNoCase
	}
	return fmt.Errorf("case: %w", err)
}

// errNoCase means no case has the reference.
var errNoCase = errors.New("no case has that reference")

// caseView asks the case workflow for its progress. When no worker
// answers, residents still get the case's status from Temporal's record.
func (s *Server) caseView(ctx context.Context, ref string) (workflows.CaseView, error) {
	var view workflows.CaseView
	err := s.askCase(ctx, ref, workflows.CaseQuery, &view)
	if err == nil || errors.Is(err, errNoCase) {
		return view, err
	}
	summary, serr := s.caseSummary(ctx, ref)
	if serr != nil {
		return view, err
	}
	s.Log.WarnContext(ctx, "case progress from its status only", "reference", ref, "err", err)
	return summary, nil
}

// askCase runs a query on the case with the reference and decodes its answer.
func (s *Server) askCase(ctx context.Context, ref, query string, out any) error {
	if !referencePattern.MatchString(ref) {
		return errNoCase
	}
	v, err := s.query(ctx, ref, query)
	if err != nil {
		return err
	}
	if err := v.Get(out); err != nil {
		return fmt.Errorf("query case: %w", err)
	}
	return nil
}

package cases

import (
	"context"
	"errors"
	"time"

	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/workflows"
)

// AssignTask claims, releases or reassigns a task; a refusal (someone else
// claimed it meanwhile, the task has closed) is a *RefusedError.
func (c *Client) AssignTask(ctx context.Context, ref string, a workflows.Assignment) error {
	return errors.New("assign task: not built yet")
}

// AddNote adds a note to a task; a refusal is a *RefusedError.
func (c *Client) AddNote(ctx context.Context, ref string, n workflows.TaskNote) error {
	return errors.New("add note: not built yet")
}

// SearchQuery finds cases for staff.
type SearchQuery struct {
	// Text is a reference, postcode, email address or name.
	Text string
	// Queues limits the answer to cases that have had a task in one of
	// them; nil means every case (an admin's search).
	Queues []string
	// Limit caps the answer; 0 means 50.
	Limit int
}

// CaseSummary is one case in a search's answer.
type CaseSummary struct {
	Reference string
	Service   string
	Status    string
	StartedAt time.Time
	ClosedAt  *time.Time
}

// Search finds cases by reference, postcode, email address or name, newest
// first.
func (c *Client) Search(ctx context.Context, q SearchQuery) ([]CaseSummary, error) {
	return nil, errors.New("search: not built yet")
}

// OpenWork lists every open task and incident of running cases from
// Temporal's visibility, for rebuilding the inbox index.
func (c *Client) OpenWork(ctx context.Context) ([]inbox.Entry, error) {
	return nil, errors.New("open work: not built yet")
}

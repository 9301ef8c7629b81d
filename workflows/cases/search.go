package cases

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/larder-council/larder/workflows"
)

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

// searchScan bounds how many matching cases a search reads from
// visibility, searchPage at a time, before sorting them newest first.
const (
	searchScan = 1000
	searchPage = 100
)

// queueName is a queue name as recipes may write one; only names like it
// are put in a visibility query.
var queueName = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

// Search finds cases by reference, postcode, email address or name, newest
// first. A reference finds its case; other text is matched, as an email
// address, a postcode and a name, against the keyed hashes each case
// started with (SearchTerms), so visibility never holds the answers and
// what staff type never reaches the query. With Queues set, only cases
// that have had a task in one of them are found.
func (c *Client) Search(ctx context.Context, q SearchQuery) ([]CaseSummary, error) {
	text := strings.TrimSpace(q.Text)
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	var queues []string
	if q.Queues != nil {
		queues = slices.DeleteFunc(slices.Clone(q.Queues), func(s string) bool { return !queueName.MatchString(s) })
		if len(queues) == 0 {
			return []CaseSummary{}, nil
		}
	}
	if text == "" {
		return []CaseSummary{}, nil
	}
	if ref := strings.ToUpper(text); ValidReference(ref) {
		return c.searchReference(ctx, ref, queues)
	}
	query := fmt.Sprintf("%s IN (%s)", workflows.SearchKey.GetName(), quoteAll(c.queryTerms(text)))
	if queues != nil {
		query += fmt.Sprintf(" AND %s IN (%s)", workflows.QueuesKey.GetName(), quoteAll(queues))
	}
	var found []CaseSummary
	var token []byte
	for len(found) < searchScan {
		resp, err := c.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: c.Namespace, PageSize: searchPage, NextPageToken: token, Query: query,
		})
		if err != nil {
			return nil, fmt.Errorf("search cases: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			found = append(found, c.summarise(e))
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	slices.SortStableFunc(found, func(a, b CaseSummary) int { return b.StartedAt.Compare(a.StartedAt) })
	return found[:min(len(found), limit)], nil
}

// searchReference finds the case with the reference, if it is one the
// queues may see.
func (c *Client) searchReference(ctx context.Context, ref string, queues []string) ([]CaseSummary, error) {
	d, err := c.Temporal.DescribeWorkflowExecution(ctx, ref, "")
	if err != nil {
		if err := notFound(err); !errors.Is(err, ErrNoCase) {
			return nil, fmt.Errorf("search cases: %w", err)
		}
		return []CaseSummary{}, nil
	}
	info := d.GetWorkflowExecutionInfo()
	if queues != nil && !slices.ContainsFunc(keywordList(info.GetSearchAttributes(), workflows.QueuesKey.GetName()), func(q string) bool {
		return slices.Contains(queues, q)
	}) {
		return []CaseSummary{}, nil
	}
	return []CaseSummary{c.summarise(info)}, nil
}

// summarise is what visibility says of a case, in staff's words.
func (c *Client) summarise(info *workflowpb.WorkflowExecutionInfo) CaseSummary {
	s := CaseSummary{
		Reference: info.GetExecution().GetWorkflowId(),
		StartedAt: info.GetStartTime().AsTime(),
		Status:    workflows.StatusRunning,
	}
	if p := info.GetSearchAttributes().GetIndexedFields()[workflows.ServiceKey.GetName()]; p != nil {
		_ = converter.GetDefaultDataConverter().FromPayload(p, &s.Service)
	}
	if r := c.recipeByPrefix(s.Reference); s.Service == "" && r != nil {
		s.Service = r.ID
	}
	if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return s
	}
	// A case records how it ended in its memo: Temporal calls a case
	// cancelled at an incident failed.
	s.Status = closedStatus[info.GetStatus()]
	if p := info.GetMemo().GetFields()[workflows.StatusMemo]; p != nil {
		_ = converter.GetDefaultDataConverter().FromPayload(p, &s.Status)
	}
	if info.GetCloseTime() != nil {
		closed := info.GetCloseTime().AsTime()
		s.ClosedAt = &closed
	}
	return s
}

// keywordList decodes a keyword-list search attribute.
func keywordList(sa *commonpb.SearchAttributes, name string) []string {
	var out []string
	if p := sa.GetIndexedFields()[name]; p != nil {
		_ = converter.GetDefaultDataConverter().FromPayload(p, &out)
	}
	return out
}

// quoteAll makes a list of string literals of a visibility query.
func quoteAll(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = quote(v)
	}
	return strings.Join(q, ", ")
}

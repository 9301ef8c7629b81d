package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

// CorrelationKeys is the search attribute listing the keys a case waits for
// messages on, so a hook can find the case by a business key.
var CorrelationKeys = temporal.NewSearchAttributeKeyKeywordList("LarderCorrelation")

// ServiceKey is the search attribute naming the recipe a case was started
// from, so a hook for one service never reaches another's cases.
var ServiceKey = temporal.NewSearchAttributeKeyKeyword("LarderService")

// QueuesKey is the search attribute listing every queue the case has had a
// task in, so staff searching find only cases of their teams.
var QueuesKey = temporal.NewSearchAttributeKeyKeywordList("LarderQueues")

// SearchKey is the search attribute holding the case's search terms: keyed
// hashes of the resident's email address, postcode and name (see
// cases.SearchTerms), never the answers themselves.
var SearchKey = temporal.NewSearchAttributeKeyKeywordList("LarderSearch")

// WorkMemo names the memo field holding the case's open work, a
// []inbox.Entry, from which `larder reindex` rebuilds the inbox index.
const WorkMemo = "work"

// StatusMemo names the memo field holding a closed case's status, which
// Temporal's own cannot tell (a case cancelled by staff at an incident
// ends as failed to Temporal).
const StatusMemo = "status"

// SearchAttributes are the attributes Larder needs on its namespace, with
// their types; `larder serve` registers any that are missing. Temporal's
// SQL visibility stores offer three keyword lists per namespace, and
// Larder uses all three.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	CorrelationKeys.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	ServiceKey.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	QueuesKey.GetName():       enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	SearchKey.GetName():       enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}

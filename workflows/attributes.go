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

// SearchAttributes are the attributes Larder needs on its namespace, with
// their types; `larder serve` registers any that are missing.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	CorrelationKeys.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
	ServiceKey.GetName():      enumspb.INDEXED_VALUE_TYPE_KEYWORD,
}

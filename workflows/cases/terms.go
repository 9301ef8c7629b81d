package cases

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/larder-council/larder/workflows/recipe"
)

// termLength is how many hex digits of a search term's HMAC are kept:
// 128 bits, plenty to tell a council's residents apart.
const termLength = 32

// SearchTerms are what a case is found by in staff search, kept in its
// LarderSearch search attribute: keyed hashes, never the answers
// themselves, of each email answer (lower-cased, trimmed), each postcode
// answer (upper-case, no spaces), and of each name (text fields whose id is
// name or ends in _name): the whole name and each word of it, lower-cased.
func (c *Client) SearchTerms(r *recipe.Recipe, answers map[string]any) []string {
	var terms []string
	add := func(v string) {
		if v == "" {
			return
		}
		if h := c.term(v); !slices.Contains(terms, h) {
			terms = append(terms, h)
		}
	}
	for _, f := range r.Fields() {
		v, ok := answers[f.ID].(string)
		if !ok {
			continue
		}
		switch {
		case f.Type == "email":
			add(normalEmail(v))
		case f.Type == "postcode":
			add(normalPostcode(v))
		case f.Type == "text" && (f.ID == "name" || strings.HasSuffix(f.ID, "_name")):
			add(normalName(v))
			for _, w := range strings.Fields(normalName(v)) {
				add(w)
			}
		}
	}
	return terms
}

// queryTerms are the terms a staff search for text matches: the text read
// as an email address, a postcode and a name, each normalised as
// SearchTerms normalises answers.
func (c *Client) queryTerms(text string) []string {
	var terms []string
	for _, v := range []string{normalEmail(text), normalPostcode(text), normalName(text)} {
		if h := c.term(v); v != "" && !slices.Contains(terms, h) {
			terms = append(terms, h)
		}
	}
	return terms
}

// term is the keyed hash of a normalised value.
func (c *Client) term(v string) string {
	mac := hmac.New(sha256.New, c.Secret)
	mac.Write([]byte(v))
	return hex.EncodeToString(mac.Sum(nil))[:termLength]
}

func normalEmail(v string) string { return strings.ToLower(strings.TrimSpace(v)) }

func normalPostcode(v string) string { return strings.ToUpper(strings.Join(strings.Fields(v), "")) }

func normalName(v string) string { return strings.ToLower(strings.Join(strings.Fields(v), " ")) }

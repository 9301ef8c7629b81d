package embeddedredis

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/alicebob/miniredis/v2"
)

// formatVersion is written in every snapshot; a file with another is refused.
const formatVersion = 1

// snapshot is the whole dataset at one moment, as kept in the snapshot file.
type snapshot struct {
	Version int       `json:"version"`
	SavedAt time.Time `json:"saved_at"`
	Keys    []entry   `json:"keys"`
}

// entry is one key. Type says which one of String, Hash, List, Set and ZSet
// holds its value.
type entry struct {
	DB   int    `json:"db"`
	Key  string `json:"key"`
	Type string `json:"type"`
	// ExpiresAt is when the key goes, zero if never: absolute, so its time
	// to live keeps counting while the process is down.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Base64 says every string in the entry (key, values, fields, members)
	// is base64, because one of them is not UTF-8 and JSON would mangle it.
	Base64 bool              `json:"base64,omitempty"`
	String string            `json:"string,omitempty"`
	Hash   map[string]string `json:"hash,omitempty"`
	// FieldExpiresAt holds the hash fields that have their own expiry.
	FieldExpiresAt map[string]time.Time `json:"field_expires_at,omitempty"`
	List           []string             `json:"list,omitempty"`
	Set            []string             `json:"set,omitempty"`
	ZSet           []member             `json:"zset,omitempty"`
}

// member is one member of a sorted set.
type member struct {
	Member string `json:"member"`
	Score  score  `json:"score"`
}

// score is a sorted set score: a JSON number, or "+inf" or "-inf", which
// Redis allows and JSON numbers cannot say.
type score float64

// MarshalJSON writes the score exactly.
func (s score) MarshalJSON() ([]byte, error) {
	switch f := float64(s); {
	case math.IsInf(f, 1):
		return []byte(`"+inf"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-inf"`), nil
	default:
		return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
	}
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *score) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"+inf"`:
		*s = score(math.Inf(1))
	case `"-inf"`:
		*s = score(math.Inf(-1))
	default:
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return fmt.Errorf("score %s is not a number", b)
		}
		*s = score(f)
	}
	return nil
}

// capture reads every kept key of m. Its TTLs must be current as of now.
// A key deleted or retyped while it is read is left out: the command that
// did it marked a change, so the next snapshot has it. notKept names the
// types of keys left out because the file has no place for them.
func capture(m *miniredis.Miniredis, now time.Time) (snap snapshot, notKept []string) {
	snap = snapshot{Version: formatVersion, SavedAt: now, Keys: []entry{}}
	for n := range databases {
		db := m.DB(n)
		for _, k := range db.Keys() {
			e, ok := captureKey(db, n, k, now)
			if ok {
				snap.Keys = append(snap.Keys, e)
			} else if t := e.Type; t != "" {
				notKept = append(notKept, t)
			}
		}
	}
	return snap, notKept
}

// captureKey reads one key. When it is not ok, entry.Type is the type the
// snapshot does not keep, or empty if the key changed under the read.
func captureKey(db *miniredis.RedisDB, n int, k string, now time.Time) (entry, bool) {
	e := entry{DB: n, Key: k, Type: db.Type(k)}
	var err error
	switch e.Type {
	case "string":
		e.String, err = db.Get(k)
	case "hash":
		e.Hash, e.FieldExpiresAt, err = captureHash(db, k, now)
	case "list":
		// List gives the list's own slice: copy it at once.
		e.List, err = db.List(k)
		e.List = slices.Clone(e.List)
	case "set":
		e.Set, err = db.Members(k)
	case "zset":
		e.ZSet, err = captureZSet(db, k)
	default:
		return e, false
	}
	if err != nil {
		return entry{}, false
	}
	if ttl := db.TTL(k); ttl > 0 {
		e.ExpiresAt = now.Add(ttl)
	}
	if !e.utf8() {
		e.Base64 = true
		_ = e.mapStrings(func(s string) (string, error) { return base64.StdEncoding.EncodeToString([]byte(s)), nil })
	}
	return e, true
}

// captureHash reads a hash and the expiry of those of its fields that have one.
func captureHash(db *miniredis.RedisDB, k string, now time.Time) (map[string]string, map[string]time.Time, error) {
	fields, err := db.HKeys(k)
	if err != nil {
		return nil, nil, err
	}
	hash := make(map[string]string, len(fields))
	var expires map[string]time.Time
	for _, f := range fields {
		hash[f] = db.HGet(k, f)
		if ttl := db.HTTL(k, f); ttl > 0 {
			if expires == nil {
				expires = map[string]time.Time{}
			}
			expires[f] = now.Add(ttl)
		}
	}
	return hash, expires, nil
}

// captureZSet reads a sorted set, lowest score first. miniredis's
// SortedSet hands back the set's own map, which a ZADD may write while it
// is read (a fatal error in Go), so the members are read as a copy and
// each score under miniredis's lock; a member removed meanwhile is left out.
func captureZSet(db *miniredis.RedisDB, k string) ([]member, error) {
	names, err := db.ZMembers(k)
	if err != nil {
		return nil, err
	}
	members := make([]member, 0, len(names))
	for _, m := range names {
		s, err := db.ZScore(k, m)
		if err != nil {
			continue
		}
		members = append(members, member{Member: m, Score: score(s)})
	}
	sort.Slice(members, func(i, j int) bool {
		a, b := members[i], members[j]
		return a.Score < b.Score || a.Score == b.Score && a.Member < b.Member
	})
	return members, nil
}

// restore puts the snapshot's keys into m, which must be empty, and counts
// the keys restored and those whose time ran out while the process was down.
func (s snapshot) restore(m *miniredis.Miniredis, now time.Time) (kept, expired int, err error) {
	if s.Version != formatVersion {
		return 0, 0, fmt.Errorf("format version %d, this larder reads only version %d", s.Version, formatVersion)
	}
	type dbKey struct {
		db  int
		key string
	}
	seen := make(map[dbKey]bool, len(s.Keys))
	for i, e := range s.Keys {
		if e.DB < 0 || e.DB >= databases {
			return 0, 0, fmt.Errorf("keys[%d]: db %d is not between 0 and %d", i, e.DB, databases-1)
		}
		if e.Base64 {
			if err := e.mapStrings(decodeBase64); err != nil {
				return 0, 0, fmt.Errorf("keys[%d]: %w", i, err)
			}
		}
		if seen[dbKey{e.DB, e.Key}] {
			return 0, 0, fmt.Errorf("keys[%d]: key %q appears twice in db %d", i, e.Key, e.DB)
		}
		seen[dbKey{e.DB, e.Key}] = true
		ok, err := restoreKey(m.DB(e.DB), e, now)
		if err != nil {
			return 0, 0, fmt.Errorf("keys[%d]: key %q in db %d: %w", i, e.Key, e.DB, err)
		}
		if ok {
			kept++
		} else {
			expired++
		}
	}
	return kept, expired, nil
}

// restoreKey writes one key; false means its time ran out.
func restoreKey(db *miniredis.RedisDB, e entry, now time.Time) (bool, error) {
	if !e.ExpiresAt.IsZero() && !e.ExpiresAt.After(now) {
		return false, nil
	}
	switch e.Type {
	case "string":
		if err := db.Set(e.Key, e.String); err != nil {
			return false, err
		}
	case "hash":
		ok, err := restoreHash(db, e, now)
		if !ok || err != nil {
			return false, err
		}
	case "list":
		if len(e.List) == 0 {
			return false, errors.New("a list with no items")
		}
		if _, err := db.Push(e.Key, e.List...); err != nil {
			return false, err
		}
	case "set":
		if len(e.Set) == 0 {
			return false, errors.New("a set with no members")
		}
		if _, err := db.SetAdd(e.Key, e.Set...); err != nil {
			return false, err
		}
	case "zset":
		if len(e.ZSet) == 0 {
			return false, errors.New("a sorted set with no members")
		}
		for _, z := range e.ZSet {
			if _, err := db.ZAdd(e.Key, float64(z.Score), z.Member); err != nil {
				return false, err
			}
		}
	default:
		return false, fmt.Errorf("type %q is not one of string, hash, list, set or zset", e.Type)
	}
	if !e.ExpiresAt.IsZero() {
		db.SetTTL(e.Key, e.ExpiresAt.Sub(now))
	}
	return true, nil
}

// restoreHash writes a hash and its field expiries; false means every field
// had expired.
func restoreHash(db *miniredis.RedisDB, e entry, now time.Time) (bool, error) {
	if len(e.Hash) == 0 {
		return false, errors.New("a hash with no fields")
	}
	live := make([]string, 0, 2*len(e.Hash))
	for f, v := range e.Hash {
		if at, ok := e.FieldExpiresAt[f]; !ok || at.After(now) {
			live = append(live, f, v)
		}
	}
	for f := range e.FieldExpiresAt {
		if _, ok := e.Hash[f]; !ok {
			return false, fmt.Errorf("field_expires_at names field %q, which the hash does not have", f)
		}
	}
	if len(live) == 0 {
		return false, nil
	}
	db.HSet(e.Key, live...)
	for f, at := range e.FieldExpiresAt {
		if at.After(now) {
			db.HExpire(e.Key, f, at.Sub(now))
		}
	}
	return true, nil
}

// utf8 says whether every string in the entry is valid UTF-8.
func (e *entry) utf8() bool {
	valid := true
	_ = e.mapStrings(func(s string) (string, error) {
		valid = valid && utf8.ValidString(s)
		return s, nil
	})
	return valid
}

// mapStrings replaces every string in the entry by f of it.
func (e *entry) mapStrings(f func(string) (string, error)) error {
	var first error
	do := func(s string) string {
		r, err := f(s)
		if first == nil {
			first = err
		}
		return r
	}
	e.Key = do(e.Key)
	e.String = do(e.String)
	if e.Hash != nil {
		hash := make(map[string]string, len(e.Hash))
		for k, v := range e.Hash {
			hash[do(k)] = do(v)
		}
		e.Hash = hash
	}
	if e.FieldExpiresAt != nil {
		expires := make(map[string]time.Time, len(e.FieldExpiresAt))
		for k, at := range e.FieldExpiresAt {
			expires[do(k)] = at
		}
		e.FieldExpiresAt = expires
	}
	for i := range e.List {
		e.List[i] = do(e.List[i])
	}
	for i := range e.Set {
		e.Set[i] = do(e.Set[i])
	}
	for i := range e.ZSet {
		e.ZSet[i].Member = do(e.ZSet[i].Member)
	}
	return first
}

// decodeBase64 undoes the encoding of an entry marked Base64.
func decodeBase64(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("base64 is set but %q is not base64", s)
	}
	return string(b), nil
}

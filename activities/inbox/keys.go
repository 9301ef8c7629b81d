package inbox

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The index's keys, each after Index.Prefix + "inbox:". Names (queues,
// services, usernames, ids) are escaped so none holds a ':':
//
//	entry:<id>                                     hash: seq, json, member, sets
//	gone:<id>                                      tombstone: the Seq a Closed write left, for a day
//	queue:<q>                                      tasks of a queue; score = due (+inf: no due date)
//	queue:<q>:service:<s>                          ... of one service
//	queue:<q>:assignee:<a>                         ... held by a ("-": nobody)
//	queue:<q>:service:<s>:assignee:<a>             ... both
//	incidents                                      open incidents; score = opened
//	incidents:service:<s>                          ... of one service
//	queues                                         set: every queue a task was put in, for metrics
//	keys                                           set: every entry and sorted-set key, for Replace
//	built                                          set by Replace: the index was rebuilt at least once
//
// A sorted set's member is the opened time (milliseconds, zero-padded to
// fixed width) then "|" and the escaped id, so entries due at the same time
// sort by opened time, then id.
const (
	// maxName bounds a queue, service or username used inside a key.
	maxName = 200
	// maxID bounds an entry's id.
	maxID = 400
	// tombstoneTTL is how long a Closed write keeps older writes out.
	tombstoneTTL = 24 * time.Hour
	// memberTimeWidth is the width of the opened time in a member.
	memberTimeWidth = 15
)

// base is the start of every key of the index.
func (ix *Index) base() string { return ix.Prefix + "inbox:" }

func (ix *Index) entryKey(id string) string     { return ix.base() + "entry:" + escape(id) }
func (ix *Index) tombstoneKey(id string) string { return ix.base() + "gone:" + escape(id) }
func (ix *Index) registryKey() string           { return ix.base() + "keys" }
func (ix *Index) queuesKey() string             { return ix.base() + "queues" }
func (ix *Index) builtKey() string              { return ix.base() + "built" }

// queueKey is the sorted set of a queue's tasks, narrowed to a service
// and/or an assignee when they are not empty; assignee is a Filter's:
// a username or Unassigned.
func (ix *Index) queueKey(queue, service, assignee string) string {
	token := ""
	if assignee == Unassigned {
		token = nobody
	} else if assignee != "" {
		token = userToken(assignee)
	}
	return ix.queueKeyOf(queue, service, token)
}

// queueKeyOf is queueKey with the assignee already a key token.
func (ix *Index) queueKeyOf(queue, service, token string) string {
	k := ix.base() + "queue:" + escape(queue)
	if service != "" {
		k += ":service:" + escape(service)
	}
	if token != "" {
		k += ":assignee:" + token
	}
	return k
}

// incidentsKey is the sorted set of open incidents, of one service when
// service is not empty.
func (ix *Index) incidentsKey(service string) string {
	if service == "" {
		return ix.base() + "incidents"
	}
	return ix.base() + "incidents:service:" + escape(service)
}

// setKeys are the sorted sets an open entry belongs to.
func (ix *Index) setKeys(e Entry) []string {
	if e.Kind == KindIncident {
		return []string{ix.incidentsKey(""), ix.incidentsKey(e.Service)}
	}
	holder := nobody
	if e.Assignee != "" {
		holder = userToken(e.Assignee)
	}
	return []string{
		ix.queueKeyOf(e.Queue, "", ""),
		ix.queueKeyOf(e.Queue, e.Service, ""),
		ix.queueKeyOf(e.Queue, "", holder),
		ix.queueKeyOf(e.Queue, e.Service, holder),
	}
}

// nobody is the assignee token of tasks nobody holds.
const nobody = "-"

// userToken is how a username is written in a key: escaped, and a
// username that is itself "-" so that it cannot be taken for nobody.
func userToken(name string) string {
	if name == nobody {
		return "%2D"
	}
	return escape(name)
}

// escape writes a name so it is safe inside a key: letters, digits and
// ".-_@" stay, every other byte becomes %XX.
func escape(s string) string {
	safe := true
	for i := 0; i < len(s) && safe; i++ {
		safe = keepByte(s[i])
	}
	if safe {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; keepByte(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func keepByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_' || c == '@'
}

// checkName refuses a name too long to be put in a key.
func checkName(what, name string) error {
	if len(name) > maxName {
		return fmt.Errorf("%s %.40q... is %d bytes long; at most %d fit in the inbox index", what, name, len(name), maxName)
	}
	return nil
}

// member is an entry's member in its sorted sets.
func member(e Entry) string {
	ms := max(e.OpenedAt.UnixMilli(), 0)
	return fmt.Sprintf("%0*d|%s", memberTimeWidth, ms, escape(e.ID))
}

// memberEntryKey is the entry key a sorted-set member stands for.
func (ix *Index) memberEntryKey(m string) string {
	_, id, _ := strings.Cut(m, "|")
	return ix.base() + "entry:" + id
}

// score is an entry's score: a task's due time, +inf when it has none; an
// incident's opened time; in milliseconds.
func score(e Entry) string {
	if e.Kind == KindIncident {
		return strconv.FormatInt(e.OpenedAt.UnixMilli(), 10)
	}
	if e.DueAt == nil {
		return "+inf"
	}
	return strconv.FormatInt(e.DueAt.UnixMilli(), 10)
}

// scoreOf is t as a score bound, exclusive when open is true.
func scoreOf(t time.Time, open bool) string {
	s := strconv.FormatInt(t.UnixMilli(), 10)
	if open {
		return "(" + s
	}
	return s
}

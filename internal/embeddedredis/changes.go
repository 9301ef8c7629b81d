package embeddedredis

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/alicebob/miniredis/v2/server"
)

// databases is how many numbered databases the snapshot keeps: 0 to 15, as
// a default Redis server offers. Commands naming any other are refused, so
// nothing is written where it would not be kept.
const databases = 16

// notChanges are commands that miniredis does not mark read-only but that
// change no key; a client sending them alone does not cost a snapshot.
var notChanges = map[string]bool{
	"AUTH": true, "CLIENT": true, "COMMAND": true, "DISCARD": true, "ECHO": true,
	"HELLO": true, "INFO": true, "MEMORY": true, "MULTI": true, "PING": true,
	"PSUBSCRIBE": true, "PUBLISH": true, "PUBSUB": true, "PUNSUBSCRIBE": true,
	"QUIT": true, "SCRIPT": true, "SELECT": true, "SUBSCRIBE": true, "TIME": true,
	"UNSUBSCRIBE": true, "UNWATCH": true, "WATCH": true,
}

// changes watches the commands a server runs and notes when one may have
// changed a key. It is a miniredis pre-hook that runs each writing command
// itself, so the note is taken after the command is done: a snapshot that
// clears the note can never miss the write that set it.
type changes struct {
	srv     *server.Server
	dirty   atomic.Bool
	running sync.Map // *server.Peer -> struct{}: a writing command this hook is running
}

// hook is the server pre-hook; true means the command was answered here.
func (c *changes) hook(peer *server.Peer, cmd string, args ...string) bool {
	if namesOtherDatabase(cmd, args) {
		peer.WriteError("ERR DB index is out of range")
		return true
	}
	if !c.srv.IsRegisteredCommand(cmd) || c.srv.IsReadOnlyCommand(cmd) || notChanges[cmd] {
		return false
	}
	if _, inner := c.running.LoadOrStore(peer, struct{}{}); inner {
		return false // the Dispatch below, coming back through the hook
	}
	defer c.running.Delete(peer)
	c.srv.Dispatch(peer, append([]string{cmd}, args...))
	c.dirty.Store(true)
	return true
}

// taken clears the note of a change and says whether there was one.
func (c *changes) taken() bool { return c.dirty.Swap(false) }

// namesOtherDatabase says whether a command names a database the snapshot
// does not keep.
func namesOtherDatabase(cmd string, args []string) bool {
	var named []string
	switch cmd {
	case "SELECT":
		named = args[:min(1, len(args))]
	case "SWAPDB":
		named = args[:min(2, len(args))]
	case "MOVE":
		named = args[min(1, len(args)):min(2, len(args))]
	case "COPY":
		for i := 2; i+1 < len(args); i++ {
			if strings.EqualFold(args[i], "DB") {
				named = append(named, args[i+1])
			}
		}
	}
	for _, a := range named {
		// A malformed number is left for miniredis to answer.
		if n, err := strconv.Atoi(a); err == nil && (n < 0 || n >= databases) {
			return true
		}
	}
	return false
}

package embeddedtemporal

import "time"

// SetHoldEvery makes running servers check their database's lock every d
// until restore is called.
func SetHoldEvery(d time.Duration) (restore func()) {
	was := holdEvery
	holdEvery = d
	return func() { holdEvery = was }
}

// LockKey is the advisory lock a server holds on its database.
const LockKey = lockKey

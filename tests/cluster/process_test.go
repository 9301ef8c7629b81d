package cluster

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
)

// processLog keeps what a process writes, safe to read while it writes,
// and copies it to a file kept for a failed test's reader.
type processLog struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	file *os.File
}

// newProcessLog opens the log's file, closed when the test ends.
func newProcessLog(t *testing.T, path string) *processLog {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return &processLog{file: f}
}

func (l *processLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.file.Write(p)
	return l.buf.Write(p)
}

func (l *processLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// tail is the log's last 40 lines, each cut at 500 bytes (Temporal's
// lines carry stack traces), for a failure message.
func (l *processLog) tail() string {
	lines := strings.Split(strings.TrimRight(l.String(), "\n"), "\n")
	if len(lines) > 40 {
		lines = append([]string{"..."}, lines[len(lines)-40:]...)
	}
	for i, line := range lines {
		if len(line) > 500 {
			lines[i] = line[:500] + "..."
		}
	}
	return strings.Join(lines, "\n")
}

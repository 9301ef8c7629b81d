package cluster

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// started is the log line `larder web` and `larder worker` write once they
// run, with the web server's address.
var started = regexp.MustCompile(`msg="larder started" web=(\w+) worker=(\w+) http=(\S*)`)

// larderProcess is one `larder web` or `larder worker`, run from its
// binary as an operator runs it.
type larderProcess struct {
	name   string
	cmd    *exec.Cmd
	exited chan error
	log    *processLog
	// addr is where a web process serves HTTP; empty for a worker.
	addr string
}

// startLarder runs the larder binary with args and the environment env
// (beside the test's own, less any LARDER_ setting), stopped with SIGTERM
// when the test ends, and returns once it logs that it has started.
func startLarder(t *testing.T, p programs, name string, env []string, args ...string) *larderProcess {
	t.Helper()
	l := &larderProcess{name: name, exited: make(chan error, 1), log: newProcessLog(t, filepath.Join(t.TempDir(), name+".log"))}
	l.cmd = exec.Command(p.larder, args...)
	l.cmd.Dir = p.root
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LARDER_") && !strings.HasPrefix(kv, "WASTE_") {
			l.cmd.Env = append(l.cmd.Env, kv)
		}
	}
	l.cmd.Env = append(l.cmd.Env, env...)
	l.cmd.Stdout, l.cmd.Stderr = l.log, l.log
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { l.exited <- l.cmd.Wait() }()
	t.Cleanup(func() {
		stopProcess(t, name, l.cmd, l.exited, l.log)
		if t.Failed() {
			t.Logf("%s's log ends:\n%s", name, l.log.tail())
		}
	})
	deadline := time.After(60 * time.Second)
	for {
		if m := started.FindStringSubmatch(l.log.String()); m != nil {
			if m[3] != `""` {
				l.addr = m[3]
			}
			return l
		}
		select {
		case err := <-l.exited:
			l.exited <- err // for the cleanup
			t.Fatalf("%s exited before it started: %v\n%s", name, err, l.log.tail())
		case <-deadline:
			t.Fatalf("%s did not start within 60s:\n%s", name, l.log.tail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// kill ends the process with SIGKILL, as a crashed machine or the kernel's
// out-of-memory killer does: no shutdown, no goodbye to Temporal.
func (l *larderProcess) kill(t *testing.T) {
	t.Helper()
	if err := l.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill %s: %v", l.name, err)
	}
	err := <-l.exited
	l.exited <- err // for the cleanup
}

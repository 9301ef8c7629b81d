package cluster

import (
	"context"
	"errors"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"text/template"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"
)

// serverConfig is a Temporal server's configuration for PostgreSQL, after
// the server module's config/development-postgres12.yaml: every service in
// one process, each on a free port of the loopback interface, four history
// shards (a small cluster's number; it cannot change once set), no
// archival and no metrics listener.
var serverConfig = template.Must(template.New("temporal.yaml").Parse(`log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:
      sql:
        pluginName: postgres12
        databaseName: {{.DB.Main}}
        connectAddr: "{{.PG.Addr}}"
        connectProtocol: tcp
        user: "{{.PG.User}}"
        password: "{{.PG.Password}}"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    postgres-visibility:
      sql:
        pluginName: postgres12
        databaseName: {{.DB.Visibility}}
        connectAddr: "{{.PG.Addr}}"
        connectProtocol: tcp
        user: "{{.PG.User}}"
        password: "{{.PG.Password}}"
        maxConns: 5
        maxIdleConns: 5
        maxConnLifetime: 1h

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1

services:
  frontend:
    rpc:
      grpcPort: {{index .Ports 0}}
      membershipPort: {{index .Ports 1}}
      httpPort: {{index .Ports 2}}
      bindOnLocalHost: true
  history:
    rpc:
      grpcPort: {{index .Ports 3}}
      membershipPort: {{index .Ports 4}}
      bindOnLocalHost: true
  matching:
    rpc:
      grpcPort: {{index .Ports 5}}
      membershipPort: {{index .Ports 6}}
      bindOnLocalHost: true
  worker:
    rpc:
      grpcPort: {{index .Ports 7}}
      membershipPort: {{index .Ports 8}}
      bindOnLocalHost: true

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:{{index .Ports 0}}"

dcRedirectionPolicy:
  policy: noop
`))

// startTemporal writes the server's configuration and starts Temporal's
// server as its own process, stopped when the test ends; it returns the
// frontend's address once the frontend answers.
func startTemporal(t *testing.T, p programs, pg postgres, dbs temporalDatabases) string {
	t.Helper()
	dir := t.TempDir()
	ports := freePorts(t, 9)
	file := filepath.Join(dir, "temporal.yaml")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	err = serverConfig.Execute(f, map[string]any{
		"DB":    map[string]string{"Main": dbs.main, "Visibility": dbs.visibility},
		"PG":    map[string]string{"Addr": pg.addr(), "User": pg.user, "Password": pg.password},
		"Ports": ports,
	})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	log := newProcessLog(t, filepath.Join(dir, "temporal.log"))
	cmd := exec.Command(p.server, "--config-file", file, "--allow-no-auth", "start")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { stopProcess(t, "temporal server", cmd, exited, log) })

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("temporal server exited before it answered: %v\n%s", err, log.tail())
		default:
		}
		c, err := client.Dial(client.Options{HostPort: addr, Logger: quiet})
		if err == nil {
			_, err = c.CheckHealth(context.Background(), &client.CheckHealthRequest{})
			c.Close()
			if err == nil {
				return addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("temporal server did not answer on %s within 90s: %v\n%s", addr, err, log.tail())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// registerNamespace registers the namespace Larder runs cases in, as an
// operator does once for a new cluster (`temporal operator namespace
// create`), and waits until the frontend knows it.
func registerNamespace(t *testing.T, addr, namespace string) {
	t.Helper()
	nc, err := client.NewNamespaceClient(client.Options{HostPort: addr, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err = nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        namespace,
		WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	})
	if err != nil {
		t.Fatalf("register namespace %q: %v", namespace, err)
	}
	for {
		_, err := nc.Describe(ctx, namespace)
		if err == nil {
			return
		}
		var notFound *serviceerror.NamespaceNotFound
		if ctx.Err() != nil || !errors.As(err, &notFound) {
			t.Fatalf("namespace %q registered but not described: %v", namespace, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// freePorts returns n ports free on the loopback interface, below 32768:
// Temporal keeps each service's membership port in a PostgreSQL smallint,
// so the kernel's ephemeral ports (from 32768) would not fit.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			t.Fatalf("found only %d free ports from 20000 to 32767", len(ports))
		}
		port := 20000 + mathrand.IntN(32768-20000)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		defer l.Close()
		ports = append(ports, port)
	}
	return ports
}

// stopProcess asks a process to stop with SIGTERM, as systemd and
// Kubernetes do, and fails the test unless it exits 0 within 30s.
func stopProcess(t *testing.T, name string, cmd *exec.Cmd, exited chan error, log *processLog) {
	t.Helper()
	select {
	case <-exited: // already gone: killed by the test, or failed
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("%s exited with %v when told to stop\n%s", name, err, log.tail())
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		t.Errorf("%s did not stop within 30s of SIGTERM\n%s", name, log.tail())
	}
}

// quiet is the SDK's logger for the test's own clients: warnings and worse.
var quiet = sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))

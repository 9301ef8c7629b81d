package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/larder-council/larder/activities"
	"github.com/larder-council/larder/activities/inbox"
	"github.com/larder-council/larder/connectors"
	"github.com/larder-council/larder/connectors/mail"
	"github.com/larder-council/larder/connectors/registry"
	"github.com/larder-council/larder/forms"
	"github.com/larder-council/larder/forms/web"
	"github.com/larder-council/larder/internal/embeddedredis"
	"github.com/larder-council/larder/internal/embeddedtemporal"
	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/calendar"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/cases/intake"
	"github.com/larder-council/larder/workflows/recipe"
)

// roles says which parts a process runs: serve runs both.
type roles struct{ web, worker bool }

// app is a running Larder process. Every field is safe to close half-built.
type app struct {
	cfg      Config
	log      *slog.Logger
	temporal *embeddedtemporal.Server
	tc       client.Client
	cases    *cases.Client
	// intake takes submissions in before their cases start (forms.intake
	// journal); stopIntake stops its starter and waits for it.
	intake     *intake.Intake
	stopIntake func()
	mini       *embeddedredis.Server
	redis      redis.UniversalClient
	mail       mail.Sender
	inbox      *inbox.Index
	worker     worker.Worker
	http       *http.Server
	// out is where the demo accounts of development mode are printed.
	out io.Writer
	// Addr is where the web server listens once started.
	Addr string
}

// runApp starts the process with a parsed configuration, calls started
// once it serves, and blocks until ctx ends.
func runApp(ctx context.Context, cfg Config, r roles, logger *slog.Logger, started func(*app)) error {
	stopTracing, err := startTracing(cfg, r, logger)
	if err != nil {
		return err
	}
	defer stopTracing() // after close: the last spans are sent once nothing makes more
	a := &app{cfg: cfg, log: logger, out: os.Stdout}
	defer a.close()
	if err := a.start(ctx, r); err != nil {
		return err
	}
	logger.Info("larder started", "web", r.web, "worker", r.worker, "http", a.Addr)
	if started != nil {
		started(a)
	}
	select {
	case <-ctx.Done():
	case err := <-a.temporal.Lost():
		return err // logged where it was found; larder exits with it
	}
	logger.Info("larder stopping")
	return nil
}

func (a *app) start(ctx context.Context, r roles) error {
	cfg := a.cfg
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	conns, err := registry.LoadFile(filepath.Join(cfg.RecipesDir, "connectors.yaml"))
	if err != nil {
		return err
	}
	if err := a.startTemporal(ctx); err != nil {
		return err
	}
	if err := a.startRedis(ctx); err != nil {
		return err
	}
	if a.mail, err = a.sender(); err != nil {
		return err
	}
	a.inbox = &inbox.Index{Redis: a.redis, Prefix: a.cfg.Redis.KeyPrefix}
	inboxMetrics.watch(a.inbox)
	if r.worker {
		if err := a.startWorker(conns); err != nil {
			return err
		}
	}
	if err := a.startWorkerOps(r); err != nil {
		return err
	}
	if r.web {
		// Redis lost the inbox (a new Larder, a flushed Redis): rebuild it
		// from Temporal before staff look at it.
		if err := reindexIfEmpty(ctx, a.cases, a.inbox, a.log); err != nil {
			a.log.Warn("inbox index not rebuilt; run larder reindex", "err", err)
		}
		if err := a.startWeb(ctx, conns); err != nil {
			return err
		}
		// Files no draft or case refers to go once their drafts would have.
		go (&forms.Uploads{Dir: filepath.Join(cfg.DataDir, "uploads")}).SweepEvery(ctx, time.Hour, cfg.Forms.DraftTTL, a.log)
	}
	return nil
}

func (a *app) startTemporal(ctx context.Context) error {
	addr := a.cfg.Temporal.Address
	if addr == "" {
		embedded := embeddedtemporal.Config{
			DatabaseFile:     filepath.Join(a.cfg.DataDir, "temporal.db"),
			Database:         a.cfg.Temporal.Embedded.Database,
			Address:          a.cfg.Temporal.Embedded.Address,
			Namespace:        a.cfg.Temporal.Namespace,
			LogFile:          filepath.Join(a.cfg.DataDir, "temporal.log"),
			SearchAttributes: workflows.SearchAttributes,
			Retention:        a.cfg.Temporal.Retention,
			Log:              a.log,
		}
		if embedded.Address == "" {
			// The temporal CLI's and Web UI's default, when it is free.
			embedded.PreferAddress = "127.0.0.1:7233"
		}
		srv, err := embeddedtemporal.New(embedded)
		if err != nil {
			var bad *embeddedtemporal.AddressError
			if errors.As(err, &bad) {
				return fmt.Errorf("temporal.embedded.address: %w", err)
			}
			return err
		}
		a.temporal = srv
		if err := srv.Start(); err != nil {
			return err
		}
		addr = srv.HostPort()
		if why := srv.Fallback(); why != nil {
			a.log.Warn("embedded temporal is not on 127.0.0.1:7233, which is taken; the temporal CLI and Web UI need --address "+addr+" (or set temporal.embedded.address)", "address", addr, "err", why)
		}
		a.log.Info("embedded temporal started", "address", addr, "database", srv.Where())
	}
	// A cluster that does not answer yet (starting, restarting, or not
	// reachable) is waited for, as Kubernetes expects of a pod.
	return a.waitFor(ctx, "temporal", func(ctx context.Context) error {
		tc, err := client.DialContext(ctx, a.clientOptions(addr))
		if err != nil {
			return err
		}
		a.tc = tc
		a.cases = &cases.Client{Temporal: tc, Namespace: a.cfg.Temporal.Namespace, TaskQueue: a.cfg.Temporal.TaskQueue, Log: a.log}
		err = a.cases.CheckRetention(ctx)
		if err == nil {
			err = a.registerSearchAttributes(ctx)
		}
		if err != nil {
			tc.Close()
			a.tc, a.cases = nil, nil
			return unlessUnavailable(err)
		}
		return nil
	}, "address", addr)
}

func (a *app) startRedis(ctx context.Context) error {
	url := a.cfg.Redis.URL
	if url == "" {
		// What residents were told is saved is kept in data_dir: a snapshot
		// every second, and TTLs that count down while Larder is stopped.
		m, err := embeddedredis.New(embeddedredis.Config{
			SnapshotFile: filepath.Join(a.cfg.DataDir, "redis.json"),
			Log:          a.log.With("component", "redis"),
		})
		if err != nil {
			return err
		}
		a.mini = m
		if err := m.Start(); err != nil {
			return err
		}
		url = "redis://" + m.Addr()
		a.log.Info("embedded redis started", "address", m.Addr(), "snapshot", filepath.Join(a.cfg.DataDir, "redis.json"))
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return fmt.Errorf("redis.url: not a redis:// URL")
	}
	a.redis = redis.NewClient(opts)
	// The client reconnects by itself once running; at start a Redis that
	// does not answer yet is waited for. Only its address is logged: the
	// URL may hold a password.
	return a.waitFor(ctx, "redis", func(ctx context.Context) error {
		return a.redis.Ping(ctx).Err()
	}, "address", opts.Addr)
}

// sender is the outbox folder, or the SMTP relay when one is configured.
func (a *app) sender() (mail.Sender, error) {
	if a.cfg.SMTP.URL == "" {
		return &mail.Outbox{Dir: filepath.Join(a.cfg.DataDir, "outbox"), From: a.cfg.SMTP.From}, nil
	}
	s, err := mail.NewSMTP(a.cfg.SMTP.URL, a.cfg.SMTP.From, a.redis)
	if err != nil {
		return nil, err
	}
	s.KeyPrefix = a.cfg.Redis.KeyPrefix
	return s, nil
}

func (a *app) startWorker(conns *connectors.Registry) error {
	closures := make([]string, len(a.cfg.CalendarClosures))
	for i, d := range a.cfg.CalendarClosures {
		closures[i] = d.Format(time.DateOnly)
	}
	cal, err := calendar.New(a.cfg.CalendarRegion, closures)
	if err != nil {
		return fmt.Errorf("calendar: %w", err)
	}
	if err := cal.CheckCoverage(time.Now()); err != nil {
		a.log.Warn("working days may be miscounted: refresh "+calendar.File, "err", err)
	}
	// Cases between steps beyond the cache are read back from their
	// history when they next move, so memory stays flat however many wait.
	worker.SetStickyWorkflowCacheSize(a.cfg.Worker.CacheSize)
	w := worker.New(a.tc, a.cfg.Temporal.TaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(workflows.Case, workflow.RegisterOptions{Name: workflows.CaseWorkflow})
	w.RegisterActivity(&activities.Activities{Connectors: conns, Mail: a.mail, Index: a.inbox, Calendar: cal})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	a.worker = w
	return nil
}

func (a *app) startWeb(ctx context.Context, conns *connectors.Registry) error {
	// In development mode the folder is watched from before it is read.
	var live *liveWeb
	if a.cfg.Dev {
		live = newLiveWeb(a.cfg.RecipesDir, conns, a.log)
	}
	recipes, err := recipe.LoadDir(a.cfg.RecipesDir, conns)
	if err != nil {
		return fmt.Errorf("recipes in %s:\n%w", a.cfg.RecipesDir, err)
	}
	secret, err := a.cfg.secret()
	if err != nil {
		return err
	}
	a.cases.Recipes, a.cases.Secret = recipes, secret
	if err := a.startIntake(ctx); err != nil {
		return err
	}
	staffDir, err := loadStaff(a.cfg, a.redis, a.cfg.Redis.KeyPrefix, a.out)
	if err != nil {
		return err
	}
	parts := webParts{
		Recipes: recipes, Cases: a.cases, Intake: a.intake, Redis: a.redis, KeyPrefix: a.cfg.Redis.KeyPrefix, Connectors: conns,
		Uploads: &forms.Uploads{Dir: filepath.Join(a.cfg.DataDir, "uploads")}, Mail: a.mail, Secret: secret,
		Branding: web.Branding{
			CouncilName: a.cfg.CouncilName, LogoURL: a.cfg.Branding.LogoURL,
			HeaderColour: a.cfg.Branding.HeaderColour, LinkColour: a.cfg.Branding.LinkColour,
		},
		PublicURL: a.cfg.HTTP.PublicURL, TrustedProxies: a.cfg.HTTP.TrustedProxies,
		DraftTTL: a.cfg.Forms.DraftTTL, SubmissionsPerMinute: a.cfg.Forms.SubmissionsPerMinute,
		AnswersPerMinute: a.cfg.Forms.AnswersPerMinute, DraftsPerHour: a.cfg.Forms.DraftsPerHour,
		StaffToken: a.cfg.StaffToken, HooksToken: a.cfg.HooksToken, Log: a.log,
		MetricsToken: a.cfg.Metrics.Token, MetricsAllow: a.cfg.Metrics.Allow,
		Staff: staffDir, Inbox: a.inbox, Dev: a.cfg.Dev,
	}
	if live != nil {
		parts.LoadProblems = live.Problems
	}
	h, err := newRouter(parts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.HTTP.Address)
	if err != nil {
		return fmt.Errorf("http.address: %w", err)
	}
	if live != nil {
		live.start(ctx, recipes, h, parts.rebuilt)
		h = live
	}
	a.Addr = ln.Addr().String()
	a.http = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := a.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("web server stopped", "err", err)
		}
	}()
	return nil
}

// close stops everything in reverse order: drain HTTP, stop the worker,
// then the clients and embedded servers.
func (a *app) close() {
	if a.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = a.http.Shutdown(ctx)
		cancel()
	}
	a.closeIntake()
	if a.worker != nil {
		a.worker.Stop()
	}
	if a.tc != nil {
		a.tc.Close()
	}
	if a.redis != nil {
		_ = a.redis.Close()
	}
	if err := a.mini.Close(); err != nil {
		a.log.Warn("embedded redis stop", "err", err)
	}
	if a.temporal != nil {
		if err := a.temporal.Stop(); err != nil {
			a.log.Warn("embedded temporal stop", "err", err)
		}
	}
}

// startIntake opens data_dir/intake.db and runs its starter, when
// forms.intake is journal.
func (a *app) startIntake(ctx context.Context) error {
	if a.cfg.Forms.Intake != "journal" {
		return nil
	}
	in, err := intake.Open(filepath.Join(a.cfg.DataDir, "intake.db"), a.cases, a.log)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		in.Run(ctx)
	}()
	a.intake, a.stopIntake = in, func() { cancel(); <-done }
	return nil
}

// closeIntake gives the starter a few seconds to start what the journal
// holds, then stops it; what is left starts when Larder next runs.
func (a *app) closeIntake() {
	if a.intake == nil {
		return
	}
	a.intake.Drain(5 * time.Second)
	a.stopIntake()
	if err := a.intake.Close(); err != nil {
		a.log.Warn("intake journal close", "err", err)
	}
}

// Command wastesim runs the reference waste-management system that Larder's
// demo services and tests talk to.
package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/larder-council/larder/internal/wastesim"
)

func main() {
	addr := flag.String("addr", envOr("WASTESIM_ADDR", "127.0.0.1:8081"), "listen address")
	failRate := flag.Float64("fail-rate", 0, "share of API requests answered 503, 0 to 1")
	latency := flag.Duration("latency", 0, "delay added to every API request")
	flag.Parse()

	srv := &http.Server{
		Addr:              *addr,
		Handler:           wastesim.New(wastesim.Options{Faults: wastesim.Faults{FailRate: *failRate, Latency: *latency}}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	slog.Info("wastesim listening", "addr", *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		slog.Error("wastesim stopped", "err", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

package main

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/larder-council/larder/workflows/recipe"
)

// connectorsFile is the recipes folder's connectors, read once at start.
const connectorsFile = "connectors.yaml"

// liveWeb is the web side of `larder serve --dev`: it serves what was
// built from the recipes folder as it last loaded, and watches the
// folder. When a file in it changes, every recipe (and emails.yaml) is
// loaded again; if all load, the web side is built afresh over them and
// swapped in between requests, so the next new case takes the new
// version while a case already started keeps the snapshot it started
// with. If any has a problem, each is logged at its file:line:col and
// the last version that loaded is still served. Connectors are read at
// start only: a changed connectors.yaml asks for a restart.
type liveWeb struct {
	dir   string
	conns recipe.Connectors
	log   *slog.Logger
	// every is how often the folder is looked at.
	every time.Duration
	// build makes the web side over a folder's recipes.
	build func([]*recipe.Recipe) (http.Handler, error)

	served atomic.Pointer[servedVersion]
	// problems kept the latest save from loading; nil once one loads.
	problems atomic.Pointer[[]string]
	// Only the watch reads and writes what follows once it has begun.
	stamps       folderStamps
	connectorsAt fileStamp // connectors.yaml when it was read
	warnedAt     fileStamp // connectors.yaml when a restart was last asked for
}

// servedVersion is what one load of the recipes folder serves.
type servedVersion struct {
	recipes []*recipe.Recipe
	handler http.Handler
}

// fileStamp tells one version of a file from another.
type fileStamp struct {
	size int64
	mod  int64 // modification time, Unix nanoseconds
}

// folderStamps are the stamps of a folder's YAML files, by name.
type folderStamps map[string]fileStamp

// newLiveWeb notes the folder's files as they are now; read the recipes
// after, so that no change is missed.
func newLiveWeb(dir string, conns recipe.Connectors, log *slog.Logger) *liveWeb {
	l := &liveWeb{dir: dir, conns: conns, log: log, every: time.Second}
	l.stamps, _ = stampFolder(dir)
	l.connectorsAt = l.stamps[connectorsFile]
	l.warnedAt = l.connectorsAt
	return l
}

// start serves handler, built over recipes, and watches the folder until
// ctx ends; build makes the web side over a new load.
func (l *liveWeb) start(ctx context.Context, recipes []*recipe.Recipe, handler http.Handler, build func([]*recipe.Recipe) (http.Handler, error)) {
	l.build = build
	l.served.Store(&servedVersion{recipes: recipes, handler: handler})
	l.log.Info("development mode: recipes reload when their files change", "folder", l.dir)
	go l.watch(ctx)
}

// ServeHTTP answers from the web side of the last load.
func (l *liveWeb) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.served.Load().handler.ServeHTTP(w, r)
}

// Recipes are the recipes served now.
func (l *liveWeb) Recipes() []*recipe.Recipe { return l.served.Load().recipes }

// Problems are the mistakes that kept the folder's latest save from
// loading, each at its file:line:col; none once a save loads.
func (l *liveWeb) Problems() []string {
	if p := l.problems.Load(); p != nil {
		return *p
	}
	return nil
}

// watch looks at the folder every l.every and reloads once a change has
// settled (an editor may write a file in more than one go).
func (l *liveWeb) watch(ctx context.Context) {
	tick := time.NewTicker(l.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now, err := stampFolder(l.dir)
		if err != nil {
			l.log.Warn("recipes folder unreadable; still serving the recipes last loaded", "folder", l.dir, "err", err)
			continue
		}
		if maps.Equal(now, l.stamps) {
			continue
		}
		for !maps.Equal(now, l.stamps) {
			l.stamps = now
			select {
			case <-ctx.Done():
				return
			case <-time.After(l.every / 10):
			}
			if now, err = stampFolder(l.dir); err != nil {
				break
			}
		}
		l.reload()
	}
}

// reload loads the folder again and, if every recipe loads, serves it.
func (l *liveWeb) reload() {
	if at := l.stamps[connectorsFile]; at != l.connectorsAt && at != l.warnedAt {
		l.warnedAt = at
		l.log.Warn(connectorsFile+" changed: connectors are read at start, so restart larder serve to use the change; recipes are checked against the connectors read then", "folder", l.dir)
	}
	recipes, err := recipe.LoadDir(l.dir, l.conns)
	if err == nil {
		var h http.Handler
		if h, err = l.build(recipes); err == nil {
			l.problems.Store(nil)
			old := l.served.Swap(&servedVersion{recipes: recipes, handler: h}).recipes
			l.logChanges(old, recipes)
			return
		}
	}
	var lines []string
	var problems recipe.Problems
	if errors.As(err, &problems) {
		for _, p := range problems {
			lines = append(lines, p.Error())
		}
	} else {
		lines = strings.Split(err.Error(), "\n")
	}
	for _, line := range lines {
		l.log.Error("recipes not reloaded; still serving the version that last loaded", "problem", line)
	}
	l.problems.Store(&lines)
}

// logChanges says which recipes the reload added, changed and removed.
func (l *liveWeb) logChanges(old, recipes []*recipe.Recipe) {
	changed := 0
	for _, r := range recipes {
		switch before := recipe.Find(old, r.ID); {
		case before == nil:
			l.log.Info("recipe added: new cases can start", "recipe", r.ID, "version", r.Version, "hash", r.Hash)
		case before.Hash != r.Hash:
			l.log.Info("recipe changed: new cases take this version, cases in flight keep theirs", "recipe", r.ID, "version", r.Version, "hash", r.Hash, "was", before.Hash)
		default:
			continue
		}
		changed++
	}
	for _, r := range old {
		if recipe.Find(recipes, r.ID) == nil {
			changed++
			l.log.Info("recipe removed: no new cases start, cases in flight carry on", "recipe", r.ID)
		}
	}
	l.log.Info("recipes reloaded", "folder", l.dir, "recipes", len(recipes), "changed", changed)
}

// stampFolder stamps the YAML files in dir.
func stampFolder(dir string) (folderStamps, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := folderStamps{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		info, err := os.Stat(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // gone since the folder was listed: the next look says
		}
		out[e.Name()] = fileStamp{size: info.Size(), mod: info.ModTime().UnixNano()}
	}
	return out, nil
}

// rebuilt is the web side built afresh over recipes, with a case client
// of its own that names services from them too.
func (p webParts) rebuilt(recipes []*recipe.Recipe) (http.Handler, error) {
	p.Recipes = recipes
	if p.Cases != nil {
		c := *p.Cases
		c.Recipes = recipes
		p.Cases = &c
	}
	return newRouter(p)
}

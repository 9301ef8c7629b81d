package forms

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Touch marks the upload ref names as used now, so Sweep leaves it for
// another while; it reports whether the file is there. Anything that is
// not an upload reference is ignored.
func (u *Uploads) Touch(ref string) bool {
	id, ok := uploadID(ref)
	if !ok {
		return false
	}
	now := time.Now()
	return os.Chtimes(u.file(id), now, now) == nil
}

// Sweep removes the uploads no case refers to (none marked kept) that
// nothing has used since cutoff, and what interrupted saves left behind;
// it reports how many files it removed. A file is set aside before it is
// removed, and put back if it was used or kept meanwhile.
func (u *Uploads) Sweep(cutoff time.Time) (int, error) {
	entries, err := os.ReadDir(u.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("uploads: %w", err)
	}
	removed := 0
	var errs []error
	remove := func(path string) {
		err := os.Remove(path)
		switch {
		case err == nil:
			removed++
		case !errors.Is(err, fs.ErrNotExist):
			errs = append(errs, fmt.Errorf("uploads: %w", err))
		}
	}
	for _, e := range entries {
		name := e.Name()
		info, err := e.Info()
		if err != nil || info.IsDir() || !info.ModTime().Before(cutoff) {
			continue
		}
		metaID := strings.TrimSuffix(name, ".json")
		switch {
		case validID(name):
			if err := u.sweepOne(name, cutoff, remove); err != nil {
				errs = append(errs, err)
			}
		case strings.HasPrefix(name, ".sweep-") && validID(name[len(".sweep-"):]):
			// A sweep stopped halfway: finish it.
			id := name[len(".sweep-"):]
			if up, _ := u.Describe(id); up.Kept {
				if err := os.Rename(filepath.Join(u.Dir, name), u.file(id)); err != nil {
					errs = append(errs, fmt.Errorf("uploads: %w", err))
				}
				continue
			}
			remove(filepath.Join(u.Dir, name))
			remove(u.meta(id))
		case strings.HasPrefix(name, ".upload-"), strings.HasPrefix(name, ".meta-"):
			remove(filepath.Join(u.Dir, name)) // a save that stopped halfway
		case metaID != name && validID(metaID):
			// A description whose file has gone, unless a case kept it.
			if up, _ := u.Describe(metaID); up.Kept || u.exists(u.file(metaID)) || u.exists(filepath.Join(u.Dir, ".sweep-"+metaID)) {
				continue
			}
			remove(u.meta(metaID))
		}
	}
	return removed, errors.Join(errs...)
}

// sweepOne removes upload id unless it is kept: the file is set aside
// first, then its description and time are read again, so a file kept or
// used while the sweep looked is put back.
func (u *Uploads) sweepOne(id string, cutoff time.Time, remove func(string)) error {
	if up, _ := u.Describe(id); up.Kept {
		return nil
	}
	aside := filepath.Join(u.Dir, ".sweep-"+id)
	if err := os.Rename(u.file(id), aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("uploads: %w", err)
	}
	info, err := os.Stat(aside)
	if up, _ := u.Describe(id); err != nil || up.Kept || !info.ModTime().Before(cutoff) {
		if err := os.Rename(aside, u.file(id)); err != nil {
			return fmt.Errorf("uploads: %w", err)
		}
		return nil
	}
	remove(aside)
	remove(u.meta(id))
	return nil
}

// SweepEvery runs Sweep now and then every interval until ctx ends,
// removing uploads nothing has used for ttl; what fails is logged and
// tried again next time.
func (u *Uploads) SweepEvery(ctx context.Context, every, ttl time.Duration, log *slog.Logger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		n, err := u.Sweep(time.Now().Add(-ttl))
		if err != nil {
			log.WarnContext(ctx, "uploads not swept", "err", err)
		}
		if n > 0 {
			log.InfoContext(ctx, "uploads swept", "files", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

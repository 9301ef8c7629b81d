package embeddedredis

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// readSnapshot reads the snapshot file; found is false when there is none.
func readSnapshot(file string) (snap snapshot, found bool, err error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return snapshot{}, false, nil
	}
	if err != nil {
		return snapshot{}, false, fmt.Errorf("embedded redis: cannot read snapshot %s: %w; fix its permissions, or move it aside and start again with an empty embedded Redis", file, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&snap); err != nil {
		return snapshot{}, false, damaged(file, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return snapshot{}, false, damaged(file, errors.New("data after the end of the snapshot"))
	}
	return snap, true, nil
}

// damaged says that a snapshot cannot be used and what to do about it.
func damaged(file string, err error) error {
	return fmt.Errorf("embedded redis: snapshot %s is damaged: %w; move it aside (for example to %s.damaged) and start again with an empty embedded Redis, or put back a good copy", file, err, file)
}

// writeSnapshot replaces the snapshot file all at once: it writes a
// private temporary file beside it, flushes it to disk and renames it over
// the old one, so a crash leaves either the old snapshot or the new one.
func writeSnapshot(file string, snap snapshot) (err error) {
	dir := filepath.Dir(file)
	f, err := os.CreateTemp(dir, filepath.Base(file)+".*"+tempSuffix) // mode 0600
	if err != nil {
		return fmt.Errorf("embedded redis: write snapshot: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("embedded redis: write snapshot %s: %w", file, err)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	if err := encode(w, snap); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), file); err != nil {
		return err
	}
	return syncDir(dir)
}

// tempSuffix ends the name of a snapshot being written.
const tempSuffix = ".tmp"

// encode writes the snapshot as one JSON document with a key per line, so
// that it can be read, grepped and diffed.
func encode(w *bufio.Writer, snap snapshot) error {
	savedAt, err := snap.SavedAt.MarshalJSON()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, `{"version":%d,"saved_at":%s,"keys":[`, snap.Version, savedAt)
	var line bytes.Buffer
	enc := json.NewEncoder(&line)
	enc.SetEscapeHTML(false)
	for i, e := range snap.Keys {
		line.Reset()
		if err := enc.Encode(e); err != nil {
			return err
		}
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
		w.Write(bytes.TrimSuffix(line.Bytes(), []byte("\n")))
	}
	_, err = w.WriteString("\n]}\n")
	return err
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// removeTemps deletes temporary files left by a process killed while it
// wrote the snapshot. Only the holder of the lock may call it.
func removeTemps(file string) error {
	dir, base := filepath.Dir(file), filepath.Base(file)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("embedded redis: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, base+".") && strings.HasSuffix(name, tempSuffix) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return fmt.Errorf("embedded redis: remove unfinished snapshot: %w", err)
			}
		}
	}
	return nil
}

// lockSnapshot takes an exclusive lock beside the snapshot, so a second
// process on the same file stops with a clear error instead of the two
// overwriting each other's keys. The lock goes when the file is closed or
// the process ends, however it ends.
func lockSnapshot(file string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		return nil, fmt.Errorf("embedded redis: create data folder: %w", err)
	}
	f, err := os.OpenFile(file+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedded redis: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("embedded redis: %s is in use by another larder process; stop it or give this one another data folder", file)
		}
		return nil, fmt.Errorf("embedded redis: lock %s: %w", file, err)
	}
	return f, nil
}

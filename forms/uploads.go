package forms

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Defaults for file questions that set no limits of their own.
var (
	DefaultAccept         = []string{"image/jpeg", "image/png", "application/pdf"}
	DefaultMaxBytes int64 = 10 << 20
)

// Uploads keeps files residents attach, one file and its description per
// upload, and hands the case a reference (upload:<id>), never the bytes.
type Uploads struct {
	// Dir is the folder, created on first use.
	Dir string
}

// Upload describes a stored file.
type Upload struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ErrUpload is a file refused for its type or size; its text is for the resident.
type ErrUpload struct{ Message string }

func (e *ErrUpload) Error() string { return e.Message }

// Save stores a file after checking its size and, by its content rather
// than its name, its type.
func (u *Uploads) Save(r io.Reader, name string, accept []string, maxBytes int64) (Upload, error) {
	if len(accept) == 0 {
		accept = DefaultAccept
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if err := os.MkdirAll(u.Dir, 0o750); err != nil {
		return Upload{}, fmt.Errorf("uploads: %w", err)
	}
	var id [16]byte
	_, _ = rand.Read(id[:])
	up := Upload{ID: hex.EncodeToString(id[:]), Name: filepath.Base(name)}
	tmp, err := os.CreateTemp(u.Dir, ".upload-*")
	if err != nil {
		return Upload{}, fmt.Errorf("uploads: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	defer func() { _ = tmp.Close() }()
	head := make([]byte, 512)
	n, _ := io.ReadFull(r, head)
	up.Type, _, _ = strings.Cut(http.DetectContentType(head[:n]), ";")
	if n == 0 {
		return Upload{}, &ErrUpload{"The selected file is empty"}
	}
	if !slices.Contains(accept, up.Type) {
		return Upload{}, &ErrUpload{"The selected file must be a " + typeNames(accept)}
	}
	sum := sha256.New()
	w := io.MultiWriter(tmp, sum)
	if _, err := w.Write(head[:n]); err != nil {
		return Upload{}, fmt.Errorf("uploads: %w", err)
	}
	rest, err := io.Copy(w, io.LimitReader(r, maxBytes-int64(n)+1))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return Upload{}, &ErrUpload{fmt.Sprintf("The selected file must be smaller than %d MB", maxBytes>>20)}
		}
		return Upload{}, fmt.Errorf("uploads: %w", err)
	}
	up.Size = int64(n) + rest
	if up.Size > maxBytes {
		return Upload{}, &ErrUpload{fmt.Sprintf("The selected file must be smaller than %d MB", max(maxBytes>>20, 1))}
	}
	up.SHA256 = hex.EncodeToString(sum.Sum(nil))
	if err := tmp.Close(); err != nil {
		return Upload{}, fmt.Errorf("uploads: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(u.Dir, up.ID)); err != nil {
		return Upload{}, fmt.Errorf("uploads: %w", err)
	}
	meta, _ := json.Marshal(up)
	if err := os.WriteFile(filepath.Join(u.Dir, up.ID+".json"), meta, 0o640); err != nil {
		return Upload{}, fmt.Errorf("uploads: %w", err)
	}
	return up, nil
}

// Describe returns what is known of an upload reference.
func (u *Uploads) Describe(ref string) (Upload, bool) {
	id := strings.TrimPrefix(ref, UploadPrefix)
	if len(id) != 32 || strings.ContainsAny(id, "./\\") {
		return Upload{}, false
	}
	data, err := os.ReadFile(filepath.Join(u.Dir, id+".json"))
	if err != nil {
		return Upload{}, false
	}
	var up Upload
	return up, json.Unmarshal(data, &up) == nil
}

func typeNames(accept []string) string {
	names := make([]string, 0, len(accept))
	for _, t := range accept {
		switch t {
		case "image/jpeg":
			names = append(names, "JPG")
		case "image/png":
			names = append(names, "PNG")
		case "application/pdf":
			names = append(names, "PDF")
		default:
			names = append(names, t)
		}
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

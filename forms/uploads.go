package forms

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/larder-council/larder/workflows/recipe"
)

// Defaults for file questions that set no limits of their own.
var (
	DefaultAccept         = []string{"image/jpeg", "image/png", "application/pdf"}
	DefaultMaxBytes int64 = 10 << 20
)

// Uploads keeps files residents attach, one file and its description per
// upload, and hands the case a reference (upload:<id>), never the bytes.
//
// An upload answers only the question it was made for. A file no case
// refers to is removed by Sweep once nothing has used it for a while:
// a draft that refers to it renews it (Touch) each time it is loaded, and
// a case about to start marks it kept for good (Keep).
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
	// Service and Field name the question the file was uploaded for; it
	// answers no other. Files stored before uploads were bound have
	// neither.
	Service string `json:"service,omitempty"`
	Field   string `json:"field,omitempty"`
	// Kept marks a file a case refers to: Sweep never removes it.
	Kept bool `json:"kept,omitempty"`
}

// ErrUpload is a file refused for its type or size; its text is for the resident.
type ErrUpload struct{ Message string }

func (e *ErrUpload) Error() string { return e.Message }

// Messages for an upload that cannot answer a question.
const (
	uploadNotFound   = "The selected file was not found; upload it again"
	uploadOtherField = "The selected file was uploaded for a different question; upload it again for this one"
)

// fileLimits are the types and size question f takes.
func fileLimits(f recipe.Field) (accept []string, maxBytes int64) {
	accept, maxBytes = f.Accept, f.MaxBytes
	if len(accept) == 0 {
		accept = DefaultAccept
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return accept, maxBytes
}

func tooBig(maxBytes int64) *ErrUpload {
	return &ErrUpload{fmt.Sprintf("The selected file must be smaller than %d MB", max(maxBytes>>20, 1))}
}

// SaveFile is Save for a file posted in a form: one larger than the
// question allows is refused by its size before anything is read.
func (u *Uploads) SaveFile(fh *multipart.FileHeader, service string, f recipe.Field) (Upload, error) {
	if _, maxBytes := fileLimits(f); fh.Size > maxBytes {
		return Upload{}, tooBig(maxBytes)
	}
	file, err := fh.Open()
	if err != nil {
		return Upload{}, fmt.Errorf("uploads: %w", err)
	}
	defer func() { _ = file.Close() }()
	return u.Save(file, fh.Filename, service, f)
}

// Save stores a file uploaded for question f of service after checking,
// by its content rather than its name, its type (before anything is
// written) and its size. The upload answers that question only.
func (u *Uploads) Save(r io.Reader, name, service string, f recipe.Field) (Upload, error) {
	accept, maxBytes := fileLimits(f)
	var id [16]byte
	_, _ = rand.Read(id[:])
	up := Upload{ID: hex.EncodeToString(id[:]), Name: filepath.Base(name), Service: service, Field: f.ID}
	head := make([]byte, 512)
	n, _ := io.ReadFull(r, head)
	up.Type, _, _ = strings.Cut(http.DetectContentType(head[:n]), ";")
	if n == 0 {
		return Upload{}, &ErrUpload{"The selected file is empty"}
	}
	if !slices.Contains(accept, up.Type) {
		return Upload{}, &ErrUpload{"The selected file must be a " + typeNames(accept)}
	}
	if err := os.MkdirAll(u.Dir, 0o750); err != nil {
		return Upload{}, fmt.Errorf("uploads: %w", err)
	}
	tmp, err := os.CreateTemp(u.Dir, ".upload-*")
	if err != nil {
		return Upload{}, fmt.Errorf("uploads: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	defer func() { _ = tmp.Close() }()
	sum := sha256.New()
	w := io.MultiWriter(tmp, sum)
	if _, err := w.Write(head[:n]); err != nil {
		return Upload{}, fmt.Errorf("uploads: %w", err)
	}
	rest, err := io.Copy(w, io.LimitReader(r, maxBytes-int64(n)+1))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return Upload{}, tooBig(maxBytes)
		}
		return Upload{}, fmt.Errorf("uploads: %w", err)
	}
	up.Size = int64(n) + rest
	if up.Size > maxBytes {
		return Upload{}, tooBig(maxBytes)
	}
	up.SHA256 = hex.EncodeToString(sum.Sum(nil))
	if err := tmp.Close(); err != nil {
		return Upload{}, fmt.Errorf("uploads: %w", err)
	}
	if err := os.Rename(tmp.Name(), u.file(up.ID)); err != nil {
		return Upload{}, fmt.Errorf("uploads: %w", err)
	}
	if err := u.describe(up); err != nil {
		_ = os.Remove(u.file(up.ID))
		return Upload{}, err
	}
	return up, nil
}

// Describe returns what is known of an upload reference.
func (u *Uploads) Describe(ref string) (Upload, bool) {
	id, ok := uploadID(ref)
	if !ok {
		return Upload{}, false
	}
	data, err := os.ReadFile(u.meta(id))
	if err != nil {
		return Upload{}, false
	}
	var up Upload
	return up, json.Unmarshal(data, &up) == nil
}

// Check reports what is wrong with ref as the answer to file question f
// of service, in words for the resident: an upload that is not there, one
// made for another question, or one outside f's accept and max_bytes; ""
// means it may stand. A file that may stand counts as used now, so Sweep
// leaves it alone for another while.
func (u *Uploads) Check(service string, f recipe.Field, ref string) string {
	up, ok := u.Describe(ref)
	if !ok || !u.Touch(ref) {
		return uploadNotFound
	}
	if up.Service != "" && (up.Service != service || up.Field != f.ID) {
		return uploadOtherField
	}
	// A file stored before uploads were bound must still fit the question.
	accept, maxBytes := fileLimits(f)
	if !slices.Contains(accept, up.Type) {
		return "The selected file must be a " + typeNames(accept)
	}
	if up.Size > maxBytes {
		return tooBig(maxBytes).Message
	}
	return ""
}

// CheckAnswers checks every file answer of a submission to r with Check.
func (u *Uploads) CheckAnswers(r *recipe.Recipe, answers map[string]any) []FieldError {
	var errs []FieldError
	for _, f := range r.Fields() {
		if ref, ok := answers[f.ID].(string); ok && ref != "" && f.Type == "file" {
			if msg := u.Check(r.ID, f, ref); msg != "" {
				errs = append(errs, FieldError{Field: f.ID, Message: msg})
			}
		}
	}
	return errs
}

// Keep marks the files a submission to r refers to as kept for good, so
// Sweep never removes a file a case refers to. Call it once the answers
// are checked and before the case starts: a case that then fails to start
// leaves a kept file behind, never a case without its file.
func (u *Uploads) Keep(r *recipe.Recipe, answers map[string]any) error {
	for _, f := range r.Fields() {
		ref, ok := answers[f.ID].(string)
		if !ok || f.Type != "file" || ref == "" {
			continue
		}
		up, found := u.Describe(ref)
		if !found {
			return fmt.Errorf("uploads: keep %s: %w", ref, fs.ErrNotExist)
		}
		if up.Kept {
			continue
		}
		up.Kept = true
		if err := u.describe(up); err != nil {
			return err
		}
		if _, err := os.Stat(u.file(up.ID)); err != nil {
			return fmt.Errorf("uploads: keep %s: %w", ref, err)
		}
	}
	return nil
}

// describe writes an upload's description whole, or not at all.
func (u *Uploads) describe(up Upload) error {
	data, _ := json.Marshal(up)
	tmp, err := os.CreateTemp(u.Dir, ".meta-*")
	if err != nil {
		return fmt.Errorf("uploads: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o640)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), u.meta(up.ID))
	}
	if err != nil {
		return fmt.Errorf("uploads: %w", err)
	}
	return nil
}

func (u *Uploads) file(id string) string { return filepath.Join(u.Dir, id) }

func (u *Uploads) meta(id string) string { return filepath.Join(u.Dir, id+".json") }

func (u *Uploads) exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// uploadID is the id an upload reference names, when it names one.
func uploadID(ref string) (string, bool) {
	id := strings.TrimPrefix(ref, UploadPrefix)
	return id, validID(id)
}

// validID reports whether s is an upload id: 32 lower-case hex digits.
func validID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
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

package resident

import (
	"context"
	"errors"
	"reflect"
	"sync"

	"github.com/larder-council/larder/workflows"
	"github.com/larder-council/larder/workflows/cases"
	"github.com/larder-council/larder/workflows/recipe"
)

// fakeCases is a case client that keeps the cases it is asked to start,
// one per idempotency key, as the real one does; for pages whose tests
// need no workflow to run.
type fakeCases struct {
	// Views are the cases View knows; any other reference is no case.
	Views map[string]workflows.CaseView
	// ViewFail, when set, is the error every View returns.
	ViewFail error

	mu      sync.Mutex
	fail    error
	lose    bool
	started []fakeCase
}

// fakeCase is one case started.
type fakeCase struct {
	Reference string
	Service   string
	Key       string
	Answers   map[string]any
}

func (f *fakeCases) Start(_ context.Context, r *recipe.Recipe, answers map[string]any, key string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return "", f.fail
	}
	for _, c := range f.started {
		if c.Key == key {
			if !reflect.DeepEqual(c.Answers, answers) {
				return "", cases.ErrKeyReused
			}
			return c.Reference, nil
		}
	}
	ref := fakeReference(r.ReferencePrefix, len(f.started)+1)
	f.started = append(f.started, fakeCase{Reference: ref, Service: r.ID, Key: key, Answers: answers})
	if f.lose {
		f.lose = false
		return "", errors.New("start case: context deadline exceeded")
	}
	return ref, nil
}

// LoseNextReply starts the next case but answers as if it had not: the
// case exists, and the resident is told to try again.
func (f *fakeCases) LoseNextReply() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lose = true
}

func (f *fakeCases) View(_ context.Context, ref string) (workflows.CaseView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ViewFail != nil {
		return workflows.CaseView{}, f.ViewFail
	}
	if v, ok := f.Views[ref]; ok && cases.ValidReference(ref) {
		return v, nil
	}
	return workflows.CaseView{}, cases.ErrNoCase
}

// FailWith makes every Start fail with err, as when Temporal does not
// answer; nil makes them work again.
func (f *fakeCases) FailWith(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

// Started is every case started so far.
func (f *fakeCases) Started() []fakeCase {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeCase(nil), f.started...)
}

// fakeReference is the nth reference with the prefix, in the real
// references' alphabet: MB-TEST-2223 and so on.
func fakeReference(prefix string, n int) string {
	const alphabet = "23456789ABCDEFGHJKMNPQRSTWXYZ"
	tail := make([]byte, 4)
	for i := 3; i >= 0; i-- {
		tail[i] = alphabet[n%len(alphabet)]
		n /= len(alphabet)
	}
	return prefix + "-TEST-" + string(tail)
}

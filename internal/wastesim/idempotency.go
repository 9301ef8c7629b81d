package wastesim

import (
	"bytes"
	"io"
	"net/http"
)

// reply is a write's answer as recorded, to be sent, replayed to a repeat
// of its Idempotency-Key, or lost to a dropped connection.
type reply struct {
	status   int
	header   http.Header
	body     []byte
	replayed bool
}

// recorder is the ResponseWriter a write's handler answers into.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

// write runs a write's handler once per Idempotency-Key: a repeat of a key
// on the same method and path gets the first reply, marked
// Idempotent-Replayed, and the handler does not run again. Refusals are
// kept like successes (the same request meets the same answer); a request
// too malformed or unauthorised to act on (400, 401, 403) and a reply of
// 500 or more are not kept, so a corrected request or a retry tries again.
func (s *Server) write(r *http.Request, h http.HandlerFunc) reply {
	// Read the body before queueing behind other writes, so a slow sender
	// holds no one up.
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 64<<10))
	if err != nil {
		rec := &recorder{header: http.Header{}}
		problem(rec, http.StatusBadRequest, "bad_request", "the body could not be read or is over 64 KiB")
		return rec.reply()
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	key := r.Header.Get("Idempotency-Key")
	id := r.Method + " " + r.URL.Path + " " + key

	s.writes.Lock()
	defer s.writes.Unlock()
	if key != "" {
		if rep, ok := s.replies[id]; ok {
			rep.replayed = true
			return rep
		}
	}
	rec := &recorder{header: http.Header{}}
	h(rec, r)
	rep := rec.reply()
	if key != "" && kept(rep.status) {
		s.replies[id] = rep
	}
	return rep
}

func (r *recorder) reply() reply {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return reply{status: r.status, header: r.header, body: r.body.Bytes()}
}

// send writes the reply to the client.
func (rep reply) send(w http.ResponseWriter) {
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	if rep.replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// kept says whether a reply of that status is kept for its key.
func kept(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		return false
	}
	return status < 500
}

package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

const (
	sessionCookie = "larder_session"
	// defaultDraftTTL is how long an unfinished form is kept after its last
	// change when Server.DraftTTL is not set.
	defaultDraftTTL = 7 * 24 * time.Hour
)

func (s *Server) draftTTL() time.Duration {
	if s.DraftTTL > 0 {
		return s.DraftTTL
	}
	return defaultDraftTTL
}

// draft is one resident's progress through one service's form.
type draft struct {
	// Answers are cleaned answers keyed by question id.
	Answers map[string]string `json:"answers"`
	// Labels are what the resident chose, for answers stored as codes.
	Labels map[string]string `json:"labels"`
	// Key makes a double-clicked submit start one case.
	Key string `json:"key"`
	// Submitted is the case reference once the form is sent.
	Submitted string `json:"submitted,omitempty"`
}

func randomToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sessionID returns the resident's session, starting one if needed.
func (s *Server) sessionID(c *gin.Context) string {
	if id, err := c.Cookie(sessionCookie); err == nil && len(id) == 32 {
		return id
	}
	id := randomToken()
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: int(s.draftTTL().Seconds()),
	})
	c.Request.AddCookie(&http.Cookie{Name: sessionCookie, Value: id})
	return id
}

// csrfToken is bound to the session, so a page from another site cannot post.
func (s *Server) csrfToken(sid string) string {
	mac := hmac.New(sha256.New, s.Secret)
	mac.Write([]byte("csrf\x00" + sid))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// checkCSRF refuses a form post whose token does not match the session,
// telling the resident how to carry on; it reports whether the post may go on.
func (s *Server) checkCSRF(c *gin.Context, sid string) bool {
	if hmac.Equal([]byte(c.PostForm("csrf_token")), []byte(s.csrfToken(sid))) {
		return true
	}
	s.render(c, http.StatusForbidden, "problem", "Your session has expired", false, gin.H{
		"Heading": "Your session has expired", "Body": "Go back, reload the page and try again.",
	})
	return false
}

func draftKey(sid, service string) string { return "larder:draft:" + sid + ":" + service }

func (s *Server) loadDraft(ctx context.Context, sid, service string) (*draft, error) {
	d := &draft{Answers: map[string]string{}, Labels: map[string]string{}}
	data, err := s.Redis.Get(ctx, draftKey(sid, service)).Bytes()
	if errors.Is(err, redis.Nil) {
		d.Key = randomToken()
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load draft: %w", err)
	}
	if err := json.Unmarshal(data, d); err != nil {
		return nil, fmt.Errorf("load draft: %w", err)
	}
	if d.Answers == nil {
		d.Answers = map[string]string{}
	}
	if d.Labels == nil {
		d.Labels = map[string]string{}
	}
	return d, nil
}

func (s *Server) saveDraft(ctx context.Context, sid, service string, d *draft) error {
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if err := s.Redis.Set(ctx, draftKey(sid, service), data, s.draftTTL()).Err(); err != nil {
		return fmt.Errorf("save draft: %w", err)
	}
	return nil
}

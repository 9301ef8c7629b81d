package resident

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

const (
	// sessionCookie names the session cookie served over plain HTTP, as
	// in development.
	sessionCookie = "larder_session"
	// hostSessionCookie names it over HTTPS: browsers keep a __Host-
	// cookie only if it is Secure, for the whole site and set by this
	// host, so a neighbouring subdomain cannot plant a session.
	hostSessionCookie = "__Host-larder_session"
	// defaultDraftTTL is how long an unfinished form is kept after its last
	// change when Handler.DraftTTL is not set.
	defaultDraftTTL = 7 * 24 * time.Hour
)

func (h *Handler) draftTTL() time.Duration {
	if h.DraftTTL > 0 {
		return h.DraftTTL
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
	// NextSteps is what the confirmation says happens next, written for
	// the answers sent; they are not kept once the form is sent.
	NextSteps string `json:"next_steps,omitempty"`
}

func randomToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sessionID returns the resident's session, starting one if needed. Only
// an id this server issued is taken: one made up (or planted by someone
// who wants to read what the resident types) gets a fresh one instead.
func (h *Handler) sessionID(c *gin.Context) string {
	name := h.sessionCookieName()
	if id, err := c.Cookie(name); err == nil && h.issuedSession(id) {
		return id
	}
	id := h.newSessionID()
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: id, Path: "/", HttpOnly: true,
		Secure: h.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: int(h.draftTTL().Seconds()),
	})
	c.Request.AddCookie(&http.Cookie{Name: name, Value: id})
	return id
}

// sessionCookieName is __Host-larder_session over HTTPS, larder_session
// over plain HTTP (where a browser would refuse the prefix).
func (h *Handler) sessionCookieName() string {
	if h.SecureCookies {
		return hostSessionCookie
	}
	return sessionCookie
}

// newSessionID is a random id and its signature with the secret key:
// "<24 characters>.<24 characters>".
func (h *Handler) newSessionID() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	return id + "." + h.sessionSignature(id)
}

// issuedSession reports whether id is one newSessionID made with this
// secret key.
func (h *Handler) issuedSession(id string) bool {
	random, sig, ok := strings.Cut(id, ".")
	return ok && len(random) == 24 && hmac.Equal([]byte(sig), []byte(h.sessionSignature(random)))
}

func (h *Handler) sessionSignature(random string) string {
	mac := hmac.New(sha256.New, h.Secret)
	mac.Write([]byte("session\x00" + random))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:18])
}

// csrfToken is bound to the session, so a page from another site cannot post.
func (h *Handler) csrfToken(sid string) string {
	mac := hmac.New(sha256.New, h.Secret)
	mac.Write([]byte("csrf\x00" + sid))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// checkCSRF refuses a form post whose token does not match the session,
// telling the resident how to carry on; it reports whether the post may go on.
func (h *Handler) checkCSRF(c *gin.Context, sid string) bool {
	if hmac.Equal([]byte(c.PostForm("csrf_token")), []byte(h.csrfToken(sid))) {
		return true
	}
	h.pages.Render(c, http.StatusForbidden, "problem", "Your session has expired", false, gin.H{
		"Heading": "Your session has expired", "Body": "Go back, reload the page and try again.",
	})
	return false
}

// draftsCookie lists the services this browser has saved answers for, so
// a first visit to a service's form needs no trip to Redis; over HTTPS it
// is hostDraftsCookie, for the reason the session cookie is.
const (
	draftsCookie     = "larder_drafts"
	hostDraftsCookie = "__Host-larder_drafts"
)

func (h *Handler) draftsCookieName() string {
	if h.SecureCookies {
		return hostDraftsCookie
	}
	return draftsCookie
}

func (h *Handler) hasDraft(c *gin.Context, service string) bool {
	v, err := c.Cookie(h.draftsCookieName())
	return err == nil && slices.Contains(strings.Split(v, "."), service)
}

// markDraft adds the service to the browser's list of saved forms.
func (h *Handler) markDraft(c *gin.Context, service string) {
	if h.hasDraft(c, service) {
		return
	}
	v, _ := c.Cookie(h.draftsCookieName())
	if v != "" {
		v += "."
	}
	v += service
	http.SetCookie(c.Writer, &http.Cookie{
		Name: h.draftsCookieName(), Value: v, Path: "/", HttpOnly: true,
		Secure: h.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: int(h.draftTTL().Seconds()),
	})
}

func (h *Handler) loadDraft(c *gin.Context, sid, service string) (*draft, error) {
	d := &draft{Answers: map[string]string{}, Labels: map[string]string{}}
	if !h.hasDraft(c, service) {
		d.Key = randomToken()
		return d, nil
	}
	data, err := h.Redis.Get(c, h.key("draft", sid, service)).Bytes()
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

func (h *Handler) saveDraft(c *gin.Context, sid, service string, d *draft) error {
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if err := h.Redis.Set(c, h.key("draft", sid, service), data, h.draftTTL()).Err(); err != nil {
		return fmt.Errorf("save draft: %w", err)
	}
	h.markDraft(c, service)
	return nil
}

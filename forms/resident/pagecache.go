package resident

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
)

// csrfPlaceholder stands in for the session's CSRF token in a cached page.
const csrfPlaceholder = "larder-csrf-placeholder-7d1e"

// pageCache keeps question pages as first shown: no answers, no errors, no
// lookups. Such a page differs between residents only in its CSRF token,
// so it is rendered once per recipe version and the token put in per
// request. Keys carry the recipe's content hash, so a new version is never
// served from an old page.
type pageCache struct {
	pages sync.Map // key -> [][]byte, the page split at the token
}

// serveCached writes the cached page for key with the token in place, and
// reports whether it had one.
func (pc *pageCache) serveCached(c *gin.Context, key, token string) bool {
	v, ok := pc.pages.Load(key)
	if !ok {
		return false
	}
	writePage(c, v.([][]byte), token)
	return true
}

// renderAndKeep renders the page with the placeholder token, keeps it, and
// serves it with the real one.
func (h *Handler) renderAndKeep(c *gin.Context, key, token, title string, data gin.H) {
	data["CSRF"] = csrfPlaceholder
	var buf bytes.Buffer
	if err := h.pages.Execute(&buf, "question", title, false, data); err != nil {
		h.Log.ErrorContext(c, "render page", "page", "question", "err", err)
		return
	}
	parts := bytes.Split(buf.Bytes(), []byte(csrfPlaceholder))
	h.cache.pages.Store(key, parts)
	writePage(c, parts, token)
}

// writePage writes the page's parts with the token between them.
func writePage(c *gin.Context, parts [][]byte, token string) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	for i, part := range parts {
		if i > 0 {
			_, _ = c.Writer.WriteString(token)
		}
		_, _ = c.Writer.Write(part)
	}
}

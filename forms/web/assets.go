package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// staticFS holds what `make assets` built (GOV.UK Frontend's styles and
// script) beside the committed init.js and README.
//
//go:embed static
var staticFS embed.FS

// Branding is how a council's resident pages look. Councils may not use the
// GOV.UK crown, logo or font, so pages carry the council's own name, logo
// and colours instead.
type Branding struct {
	// CouncilName is shown in the header, the footer and every page title.
	CouncilName string
	// LogoURL, when set, is an image shown in the header in place of the
	// council's name, with the name as its alt text: a path on this site
	// ("/logo.svg") or an https URL, whose origin the content security
	// policy then allows for images.
	LogoURL string
	// HeaderColour is the header's background as #rrggbb; the header's white
	// text must have a contrast of at least 4.5:1 on it. Default #0b0c0c.
	HeaderColour string
	// LinkColour colours links and the stripe under the header as #rrggbb;
	// it must have a contrast of at least 4.5:1 on white. Default #1d70b8.
	LinkColour string
}

// Default branding colours, GOV.UK Frontend's own.
const (
	defaultHeaderColour = "#0b0c0c"
	defaultLinkColour   = "#1d70b8"
)

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// withDefaults fills the colours and, from councilName, the name.
func (b Branding) withDefaults(councilName string) Branding {
	if b.CouncilName == "" {
		b.CouncilName = councilName
	}
	if b.HeaderColour == "" {
		b.HeaderColour = defaultHeaderColour
	}
	if b.LinkColour == "" {
		b.LinkColour = defaultLinkColour
	}
	return b
}

// Validate reports every branding setting residents could not read or the
// browser would not load. Empty colours are allowed: they take the defaults.
func (b Branding) Validate() error {
	var problems []string
	if b.LogoURL != "" && b.logoOrigin() == "" && !isSitePath(b.LogoURL) {
		problems = append(problems, fmt.Sprintf("logo_url %q: use a path on this site such as /logo.svg or an https URL", b.LogoURL))
	}
	for _, c := range []struct{ key, value, on string }{
		{"header_colour", b.HeaderColour, "white text on it"},
		{"link_colour", b.LinkColour, "it on a white page"},
	} {
		if c.value == "" {
			continue
		}
		if !hexColour.MatchString(c.value) {
			problems = append(problems, fmt.Sprintf("%s %q: want a colour like #1d70b8", c.key, c.value))
			continue
		}
		if r := contrast(c.value, "#ffffff"); r < 4.5 {
			problems = append(problems, fmt.Sprintf("%s %s: %s has a contrast of %.1f:1; choose a darker colour (at least 4.5:1)", c.key, c.value, c.on, r))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("branding: %s", strings.Join(problems, "; "))
	}
	return nil
}

func isSitePath(s string) bool {
	return strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//")
}

// logoOrigin is the https origin of an off-site logo, or "".
func (b Branding) logoOrigin() string {
	u, err := url.Parse(b.LogoURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || strings.ContainsAny(u.Host, " ;'\"") {
		return ""
	}
	return "https://" + u.Host
}

// contrast is the WCAG contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance is the WCAG relative luminance of a #rrggbb colour.
func luminance(hex string) float64 {
	var channel [3]float64
	for i := range channel {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.04045 {
			channel[i] = c / 12.92
		} else {
			channel[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*channel[0] + 0.7152*channel[1] + 0.0722*channel[2]
}

// css colours the header and links; it is served as /assets/brand.css,
// after GOV.UK Frontend's styles. The colours are validated hex, so they
// cannot break out of the declarations.
func (b Branding) css() []byte {
	return fmt.Appendf(nil, `.govuk-header{background-color:%[1]s}
.govuk-header__container{border-bottom-color:%[2]s}
.govuk-link:link,.govuk-link:hover{color:%[2]s}
.govuk-link:focus{color:#0b0c0c}
`, b.HeaderColour, b.LinkColour)
}

// asset is one file served under /assets/, kept compressed as well.
type asset struct {
	body, gzipped []byte
	contentType   string
	version       string
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	a := &asset{body: body, version: hex.EncodeToString(sum[:8])}
	a.contentType = mime.TypeByExtension(path.Ext(name))
	if a.contentType == "" {
		a.contentType = "application/octet-stream"
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	if buf.Len() < len(body) {
		a.gzipped = buf.Bytes()
	}
	return a
}

// assetSet is every file under /assets/ and the addresses pages link to.
type assetSet struct {
	brand Branding
	files map[string]*asset
	links assetLinks
}

// assetLinks are the addresses the layout links to, each carrying its
// content's version so browsers may cache it for a year. CSS and Script are
// empty when `make assets` has not built them.
type assetLinks struct {
	CSS, Brand, Script string
}

// servedTypes are the extensions served from static/; its README is not.
var servedTypes = map[string]bool{".css": true, ".js": true, ".svg": true, ".png": true, ".ico": true}

// loadAssets reads the embedded files and makes brand.css. Missing built
// files leave pages unstyled but working, with one warning.
func loadAssets(b Branding, log *slog.Logger) (*assetSet, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	set := &assetSet{brand: b, files: map[string]*asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !servedTypes[path.Ext(p)] {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		set.files[strings.TrimPrefix(p, "static/")] = newAsset(p, body)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read embedded assets: %w", err)
	}
	set.files["brand.css"] = newAsset("brand.css", b.css())

	link := func(name string) string {
		if a := set.files[name]; a != nil {
			return "/assets/" + name + "?v=" + a.version
		}
		return ""
	}
	set.links = assetLinks{CSS: link("larder.css"), Brand: link("brand.css")}
	if set.files["govuk-frontend.min.js"] != nil {
		set.links.Script = link("init.js")
	}
	if set.links.CSS == "" || set.links.Script == "" {
		log.Warn("resident pages are unstyled: GOV.UK Frontend assets were not built into forms/web/static; run make assets and rebuild")
	}
	return set, nil
}

// serve answers GET /assets/*file. A request naming the current version
// may be cached for a year; any other for an hour, then revalidated.
func (set *assetSet) serve(c *gin.Context) {
	a := set.files[strings.TrimPrefix(c.Param("file"), "/")]
	if a == nil {
		c.String(http.StatusNotFound, "Not found\n")
		return
	}
	h := c.Writer.Header()
	if c.Query("v") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=3600")
	}
	body, etag := a.body, `"`+a.version+`"`
	if a.gzipped != nil {
		h.Set("Vary", "Accept-Encoding")
		if strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
			body, etag = a.gzipped, `"`+a.version+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	if inm := c.GetHeader("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
		h.Del("Content-Encoding")
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, a.contentType, body)
}

package main

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/larder-council/larder/internal/wastesim"
)

// TestRouterLetsResidentsUploadPhotos: the body limit names the routes
// that take files; a photo larger than a JSON body must still reach the
// resident's page (whatever that page then says), and the same body on
// a JSON route is refused.
func TestRouterLetsResidentsUploadPhotos(t *testing.T) {
	base, _ := startLarder(t, wastesim.New(wastesim.Options{}))
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, err := w.CreateFormFile("photo", "photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	part.Write(bytes.Repeat([]byte{0xff}, 200<<10))
	w.Close()
	post := func(path string) int {
		t.Helper()
		resp, err := http.Post(base+path, w.FormDataContentType(), bytes.NewReader(body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("/services/fly-tipping/pages/photo"); got == http.StatusRequestEntityTooLarge {
		t.Errorf("a 200 KB photo on the resident's page: 413, want it taken to the page")
	}
	if got := post("/api/v1/services/fly-tipping/submissions"); got != http.StatusRequestEntityTooLarge {
		t.Errorf("200 KB labelled multipart to the JSON API: %d, want 413", got)
	}
}

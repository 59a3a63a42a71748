package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// static holds GOV.UK Frontend's compiled stylesheet and script (refreshed by
// scripts/govuk-frontend.sh, licence beside them) and Candour's own script.
//
//go:embed static
var static embed.FS

// asset is one file served under a name that carries a digest of its
// content, so that it can be cached for a year and changes name when it
// changes.
type asset struct {
	body        []byte
	contentType string
}

// assets maps the plain names the templates use onto hashed paths, and the
// hashed paths onto content.
type assets struct {
	paths  map[string]string // "candour.css" → "/assets/candour.1a2b3c4d5e6f.css"
	served map[string]asset  // "/assets/candour.1a2b3c4d5e6f.css" → content
}

// loadAssets reads the embedded files and adds init.mjs, which starts GOV.UK
// Frontend's components from the script's hashed name.
func loadAssets() (*assets, error) {
	a := &assets{paths: map[string]string{}, served: map[string]asset{}}
	sub, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(sub, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			return nil, err
		}
		a.add(e.Name(), b)
	}
	govuk := a.paths["govuk-frontend.min.js"]
	a.add("init.mjs", []byte(`import { initAll } from "`+govuk+`";`+"\ninitAll();\n"))
	return a, nil
}

func (a *assets) add(name string, body []byte) {
	sum := sha256.Sum256(body)
	ext := path.Ext(name)
	if strings.HasSuffix(name, ".min.js") {
		ext = ".min.js"
	}
	hashed := "/assets/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".mjs", ".js":
		ct = "text/javascript; charset=utf-8"
	case ".txt":
		ct = "text/plain; charset=utf-8"
	}
	a.paths[name] = hashed
	a.served[hashed] = asset{body: body, contentType: ct}
}

// path returns the hashed path of a named asset ("" for an unknown name,
// which the template tests catch).
func (a *assets) path(name string) string { return a.paths[name] }

// ServeHTTP serves an asset by its hashed path, cacheable for a year.
func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := a.served[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

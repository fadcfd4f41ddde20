package edge

import (
	"io/fs"
	"mime"
	"net/http"
	"path"

	"github.com/lintel-id/lintel/edge/assets"
	"github.com/lintel-id/lintel/edge/pages"
)

// assetsPrefix is where every site serves the hosted pages' static files
// (package edge/assets, and lintel.css joined from them at start-up).
const assetsPrefix = "/assets/"

// assetTypes are the Content-Types of the asset files by extension; the
// rest come from the system's MIME table.
var assetTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
}

// newPageAssets reads every file of edge/assets and builds lintel.css
// (pageStylesheet), each hashed and compressed once. Pages reference the
// hashed names (pages.Assets), cached for ever; the plain names keep
// working for pages that old caches still hold, and for what a script
// names itself, cached for five minutes. They are public and the same
// for everyone, and the studio's previews load them from sandboxed frames
// (an opaque origin), so any origin may load them.
func newPageAssets() (*fileSet, error) {
	set := newFileSet(assetsPrefix, "cross-origin")
	fsys := assets.FS()
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		if _, err := set.add(e.Name(), assetType(e.Name()), data, nil, true); err != nil {
			return nil, err
		}
	}
	css, err := pageStylesheet()
	if err != nil {
		return nil, err
	}
	if _, err := set.add("lintel.css", assetTypes[".css"], css, nil, true); err != nil {
		return nil, err
	}
	return set, nil
}

func assetType(name string) string {
	ext := path.Ext(name)
	if t, ok := assetTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// asset is GET /assets/{name}: a file by its hashed or its plain name;
// anything else (a stale or forged hash) is the site's 404.
func (s *siteHandlers) asset(w http.ResponseWriter, r *http.Request) {
	if !s.assets.serve(w, r, r.PathValue("name")) {
		s.notFound(w, r)
	}
}

// The asset set is the manifest the pages reference files through.
var _ pages.Assets = (*fileSet)(nil)

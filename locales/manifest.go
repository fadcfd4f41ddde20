package locales

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"slices"
)

// manifestFile names the translation manifest at the root of a catalogs
// directory. It is not a catalog: Load reads it apart.
const manifestFile = "manifest.json"

// ErrManifest: manifest.json is malformed, names a language without a
// catalog (or English, the source), a status other than "machine" or
// "reviewed", or an ID English lacks.
var ErrManifest = errors.New("bad translation manifest")

// Status tells who made a text: the source, a machine, or a person who
// reviewed it.
type Status string

// The statuses of a text.
const (
	// Source is English: the text every translation is made from.
	Source Status = "source"
	// Machine is a machine translation no person has reviewed yet.
	Machine Status = "machine"
	// Reviewed is a translation a person fluent in the language has
	// read and approved.
	Reviewed Status = "reviewed"
)

// manifest is manifest.json: per language, whether its texts are
// machine-made or reviewed, with the IDs that are exceptions.
type manifest struct {
	Languages map[string]manifestEntry `json:"languages"`
}

// manifestEntry is one language of the manifest.
type manifestEntry struct {
	// Status is the language's: "machine" or "reviewed".
	Status Status `json:"status"`
	// Reviewed lists IDs a person has reviewed in a machine language.
	Reviewed []string `json:"reviewed,omitempty"`
	// Machine lists IDs still machine-made in a reviewed language: new
	// texts not yet reviewed.
	Machine []string `json:"machine,omitempty"`
	// Reviewer names who reviewed, for the record; free text.
	Reviewer string `json:"reviewer,omitempty"`
}

// readManifest parses manifest.json when fsys has one (nil otherwise).
func readManifest(fsys fs.FS, ps *problems) *manifest {
	data, err := fs.ReadFile(fsys, manifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		ps.add(manifestFile, "", ErrManifest, "%v", err)
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m manifest
	if err := dec.Decode(&m); err != nil {
		ps.add(manifestFile, "", ErrManifest, "%v", err)
		return nil
	}
	return &m
}

// apply checks m against the loaded files and records each file's
// statuses. A language the manifest does not list is machine-made: what
// no one vouches for is not reviewed.
func (m *manifest) apply(en *file, files []*file, ps *problems) {
	byLang := map[string]*file{}
	for _, f := range files {
		byLang[f.tag.String()] = f
		if f != en {
			f.status = Machine
		}
	}
	en.status = Source
	if m == nil {
		return
	}
	for _, lang := range slices.Sorted(maps.Keys(m.Languages)) {
		e := m.Languages[lang]
		f, ok := byLang[lang]
		switch {
		case !ok:
			ps.add(manifestFile, lang, ErrManifest, "no catalog %s.json", lang)
			continue
		case f == en:
			ps.add(manifestFile, lang, ErrManifest, "English is the source, not a translation")
			continue
		case e.Status != Machine && e.Status != Reviewed:
			ps.add(manifestFile, lang, ErrManifest, "status %q: want \"machine\" or \"reviewed\"", e.Status)
			continue
		case e.Status == Machine && len(e.Machine) > 0, e.Status == Reviewed && len(e.Reviewed) > 0:
			ps.add(manifestFile, lang, ErrManifest, "a %s language lists exceptions of its own status", e.Status)
			continue
		}
		f.status = e.Status
		except := e.Reviewed
		if e.Status == Reviewed {
			except = e.Machine
		}
		f.except = map[string]bool{}
		for _, id := range except {
			if _, ok := en.msgs[id]; !ok {
				ps.add(manifestFile, lang, ErrManifest, "unknown message ID %q", id)
			}
			f.except[id] = true
		}
	}
}

// MachineTranslated reports whether the language's texts are machine
// translations no person has reviewed as a whole (manifest.json); some
// may be reviewed one by one (Status).
func (l *Localizer) MachineTranslated() bool { return l.status == Machine }

// Status tells who made the text of id in this language: Source for
// English, else Machine or Reviewed as manifest.json says.
func (l *Localizer) Status(id string) Status {
	if l.status == Source || !l.except[id] {
		return l.status
	}
	if l.status == Machine {
		return Reviewed
	}
	return Machine
}

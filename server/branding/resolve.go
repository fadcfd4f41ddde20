package branding

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/themes"
)

// Resolve returns the published theme of a page of the tenant on brandID's
// domain ("" for none) for appID ("" for none) in locale (a BCP 47 tag,
// "" for none): the cascade instance, tenant, brand, app, each as live,
// then each level's overrides for the locale. A level that published
// nothing, or that is not the tenant's, is left out.
//
// Results are cached in memory per tenant, brand, app and locale; each
// call reads the tenant's generation (one primary-key lookup) and
// resolves again only when a publish or rollback changed it, on any
// node. The result is shared between callers: do not modify it.
func (s *Service) Resolve(ctx context.Context, tenantID, brandID, appID, locale string) (themes.Resolved, error) {
	var r themes.Resolved
	err := s.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		r, err = s.ResolveIn(ctx, tx, tenantID, brandID, appID, locale)
		return err
	})
	return r, err
}

// ResolveIn is Resolve in the caller's transaction (the engine renders a
// flow's emails inside the flow's).
func (s *Service) ResolveIn(ctx context.Context, tx store.Tx, tenantID, brandID, appID, locale string) (themes.Resolved, error) {
	if len(locale) > themes.MaxLocaleTag {
		return themes.Resolved{}, invalid.Field("locale", "must be a BCP 47 language tag of at most %d bytes", themes.MaxLocaleTag)
	}
	key := cacheKey{tenantID, brandID, appID, locale}
	gen, err := s.generation(ctx, tx, tenantID)
	if err != nil {
		return themes.Resolved{}, fmt.Errorf("branding: resolve: %w", err)
	}
	if r, ok := s.cache.get(key, gen); ok {
		return r, nil
	}
	layers, err := s.layers(ctx, tx, tenantID, pageChain(tenantID, brandID, appID), nil)
	if err != nil {
		return themes.Resolved{}, fmt.Errorf("branding: resolve: %w", err)
	}
	r := themes.Resolve(locale, layers...)
	s.cache.put(key, gen, r)
	return r, nil
}

// LiveVersion asks Preview for the scope's live version, as Resolve
// shows it (the levels above when the scope published nothing).
const LiveVersion = -1

// Preview resolves as Resolve does, without the cache, but with version
// number of scopeID (0 for its draft, LiveVersion for the live one) in
// place of that scope's live version. A brand or app scope stands for brandID or appID when they are
// empty, and must equal them when not (else an *invalid.Error naming
// "brand" or "app"); brandID and appID must be the tenant's.
func (s *Service) Preview(ctx context.Context, tenantID, brandID, appID, locale, scopeID string, number int) (themes.Resolved, error) {
	if len(locale) > themes.MaxLocaleTag {
		return themes.Resolved{}, invalid.Field("locale", "must be a BCP 47 language tag of at most %d bytes", themes.MaxLocaleTag)
	}
	var r themes.Resolved
	err := s.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		sc, err := s.scope(ctx, tx, tenantID, scopeID)
		if err != nil {
			return err
		}
		if brandID, appID, err = placeScope(sc, brandID, appID); err != nil {
			return err
		}
		for _, id := range []string{brandID, appID} {
			if id != "" && id != sc.id {
				if _, err := s.scope(ctx, tx, tenantID, id); err != nil {
					return err
				}
			}
		}
		var v Version
		switch {
		case number == LiveVersion:
		case number == 0:
			v, err = s.draft(ctx, tx, sc)
		default:
			v, err = s.version(ctx, tx, sc, number)
		}
		if err != nil {
			return err
		}
		var over map[string]themes.Document
		if number != LiveVersion {
			over = map[string]themes.Document{sc.id: v.Document}
		}
		layers, err := s.layers(ctx, tx, tenantID, pageChain(tenantID, brandID, appID), over)
		r = themes.Resolve(locale, layers...)
		return err
	})
	if err != nil {
		return themes.Resolved{}, fmt.Errorf("branding: preview: %w", err)
	}
	return r, nil
}

// placeScope puts a brand or app scope in the page's brand or app slot.
func placeScope(sc scope, brandID, appID string) (string, string, error) {
	slot, field := &brandID, "brand"
	switch sc.kind {
	case kindTenant:
		return brandID, appID, nil
	case kindApp:
		slot, field = &appID, "app"
	}
	switch *slot {
	case "":
		*slot = sc.id
	case sc.id:
	default:
		return "", "", invalid.Field(field, "must be empty or the %s previewed, %s", field, sc.id)
	}
	return brandID, appID, nil
}

// pageChain is a page's levels above the instance.
func pageChain(tenantID, brandID, appID string) []string {
	ids := []string{tenantID}
	for _, id := range []string{brandID, appID} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// generation reads the tenant's generation; 0 before its first publish.
func (s *Service) generation(ctx context.Context, tx store.Tx, tenantID string) (int64, error) {
	var gen int64
	err := tx.QueryRow(ctx, `SELECT generation FROM theme_generations WHERE tenant_id = ?`, tenantID).Scan(&gen)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	return gen, err
}

// cacheKey names one resolved theme.
type cacheKey struct{ tenant, brand, app, locale string }

type cacheEntry struct {
	gen int64
	r   themes.Resolved
}

// cache holds resolved themes with the generation they were resolved at,
// at most max of them; when full, an arbitrary entry makes room (map
// order), which costs a re-resolve at worst.
type cache struct {
	mu  sync.Mutex
	max int
	m   map[cacheKey]cacheEntry
}

func newCache(max int) *cache { return &cache{max: max, m: map[cacheKey]cacheEntry{}} }

func (c *cache) get(k cacheKey, gen int64) (themes.Resolved, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || e.gen != gen {
		return themes.Resolved{}, false
	}
	return e.r, true
}

func (c *cache) put(k cacheKey, gen int64, r themes.Resolved) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.m[k]
	if ok && old.gen > gen {
		return // a slower reader of an older generation
	}
	if !ok && len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = cacheEntry{gen: gen, r: r}
}

// len reports how many themes are cached.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

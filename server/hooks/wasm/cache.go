package wasm

import (
	"container/list"
	"context"
	"sync"

	"github.com/tetratelabs/wazero"
)

// entry is one compiled module and its warm instances.
type entry struct {
	key string
	cm  wazero.CompiledModule

	mu      sync.Mutex // guards idle and evicted
	idle    []*instance
	evicted bool // out of the cache: instances coming back are closed
}

func (e *entry) isEvicted() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.evicted
}

// cache keeps the most recently used compiled modules of the node. A
// compilation is done once however many calls ask for the same key at the
// same time.
type cache struct {
	size int
	drop func(*entry) // called without the lock for an evicted entry

	mu      sync.Mutex
	order   *list.List // of *entry, most recently used first
	byKey   map[string]*list.Element
	pending map[string]*compilation
}

// compilation is a compilation in flight; done closes when it ended.
type compilation struct {
	done chan struct{}
	e    *entry
	err  error
}

func newCache(size int, drop func(*entry)) *cache {
	return &cache{
		size:    size,
		drop:    drop,
		order:   list.New(),
		byKey:   map[string]*list.Element{},
		pending: map[string]*compilation{},
	}
}

// get returns the entry of key, or compiles it with compile. A caller
// whose ctx ends while another compiles the same key stops waiting.
func (c *cache) get(ctx context.Context, key string, compile func() (wazero.CompiledModule, error)) (*entry, error) {
	c.mu.Lock()
	if el, ok := c.byKey[key]; ok {
		c.order.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*entry), nil
	}
	if p, ok := c.pending[key]; ok {
		c.mu.Unlock()
		select {
		case <-p.done:
			return p.e, p.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	p := &compilation{done: make(chan struct{})}
	c.pending[key] = p
	c.mu.Unlock()

	cm, err := compile()
	if err == nil {
		p.e = c.add(key, cm)
	}
	p.err = err
	c.mu.Lock()
	delete(c.pending, key)
	c.mu.Unlock()
	close(p.done)
	return p.e, p.err
}

// add caches a compiled module under key and returns its entry; when key
// is there already, cm is closed and the existing entry returned.
func (c *cache) add(key string, cm wazero.CompiledModule) *entry {
	c.mu.Lock()
	if el, ok := c.byKey[key]; ok {
		c.order.MoveToFront(el)
		c.mu.Unlock()
		_ = cm.Close(context.Background())
		return el.Value.(*entry)
	}
	e := &entry{key: key, cm: cm}
	c.byKey[key] = c.order.PushFront(e)
	var evicted []*entry
	for c.order.Len() > c.size {
		old := c.order.Remove(c.order.Back()).(*entry)
		delete(c.byKey, old.key)
		evicted = append(evicted, old)
	}
	c.mu.Unlock()
	for _, old := range evicted {
		c.drop(old)
	}
	return e
}

// len returns how many compiled modules are cached.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// clear drops every entry.
func (c *cache) clear() {
	c.mu.Lock()
	var all []*entry
	for el := c.order.Front(); el != nil; el = el.Next() {
		all = append(all, el.Value.(*entry))
	}
	c.order.Init()
	c.byKey = map[string]*list.Element{}
	c.mu.Unlock()
	for _, e := range all {
		c.drop(e)
	}
}

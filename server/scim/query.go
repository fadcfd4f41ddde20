package scim

import (
	"strconv"
	"strings"
	"time"
)

// List requests are answered without reading the whole tenant where the
// directory can find the resources: a page of an unfiltered, unsorted
// list by position, and a filter that names resources by an attribute
// the directory looks up (the "eq" filters clients send before they
// create a resource: userName, externalId, emails, id; a group's
// displayName, externalId, id). Such a filter's lookups find every
// resource it can match, and a few more maybe; the filter itself then
// decides on each, as it would have on the whole tenant, so that the
// answer is the same. (userName and emails are looked up as the
// directory compares logins and addresses, after NFKC and case folding,
// which finds whatever the filter's lowercase comparison matches, bar
// characters whose lowercase and case folding disagree.) Any other
// filter, and sortBy over the whole tenant, reads every resource into
// memory: at most Deps.ScanLimit of them, or the request is refused as
// tooMany.

// DefaultScanLimit is the Deps.ScanLimit used when none is set.
const DefaultScanLimit = 10_000

// probe names the resources with value as attr: "id", "username",
// "externalid", "emails" (an email address) or "displayname".
type probe struct {
	attr, value string
}

// The attributes the directory looks users and groups up by.
var (
	userLookups  = map[string]bool{"id": true, "username": true, "externalid": true, "emails": true}
	groupLookups = map[string]bool{"id": true, "externalid": true, "displayname": true}
)

// probes returns probes that together find every resource of the schema
// core that f can match; false when there are none and every resource
// must be read. can says which attributes the directory looks up.
func probes(f Filter, core string, can map[string]bool) ([]probe, bool) {
	switch f := f.(type) {
	case *compare:
		if !coreAttr(f.path, core) {
			return nil, false
		}
		attr := strings.ToLower(f.path.attr)
		if f.path.sub != "" {
			attr += "." + strings.ToLower(f.path.sub)
		}
		return equality(f, attr, can)
	case *valuePath:
		if !coreAttr(f.path, core) {
			return nil, false
		}
		return within(f.f, strings.ToLower(f.path.attr), can)
	case *logical:
		l, lok := probes(f.left, core, can)
		r, rok := probes(f.right, core, can)
		return join(f.and, l, lok, r, rok)
	}
	return nil, false // "not" can match what no lookup finds
}

// within is probes for the filter of a value path on attribute parent.
func within(f Filter, parent string, can map[string]bool) ([]probe, bool) {
	switch f := f.(type) {
	case *compare:
		return equality(f, parent+"."+strings.ToLower(f.path.attr), can)
	case *logical:
		l, lok := within(f.left, parent, can)
		r, rok := within(f.right, parent, can)
		return join(f.and, l, lok, r, rok)
	}
	return nil, false
}

// join combines the probes of two operands: either side of an "and"
// finds all its matches, an "or" needs both.
func join(and bool, l []probe, lok bool, r []probe, rok bool) ([]probe, bool) {
	switch {
	case and && lok && (!rok || len(l) <= len(r)):
		return l, true
	case and && rok:
		return r, true
	case !and && lok && rok:
		return append(l, r...), true
	}
	return nil, false
}

// equality is the probe of "attr eq string" when the directory looks
// attr up ("emails" and "emails.value" alike). A value that reads as a
// timestamp is left to a scan, because the filter compares timestamps
// chronologically and another spelling of the same instant would match.
func equality(c *compare, attr string, can map[string]bool) ([]probe, bool) {
	v, ok := c.value.(string)
	if !ok || c.op != "eq" {
		return nil, false
	}
	if _, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return nil, false
	}
	attr = strings.TrimSuffix(attr, ".value")
	if !can[attr] {
		return nil, false
	}
	return []probe{{attr, v}}, true
}

// coreAttr reports whether p names an attribute of the core schema: no
// schema, or the core one. An extension's attributes are not looked up.
func coreAttr(p attrPath, core string) bool {
	return p.schema == "" || strings.EqualFold(p.schema, core)
}

// returned reports whether the attributes and excludedAttributes
// parameters of q leave attribute name (lowercase, top level) in a
// resource.
func returned(q *request, name string) bool {
	qv := q.URL.Query()
	keep, drop := names(qv.Get("attributes")), names(qv.Get("excludedAttributes"))
	return (len(keep) == 0 || keep[name]) && !drop[name]
}

// tooMany refuses a list request that would read more than limit
// resources of kind into memory (RFC 7644 §3.12).
func tooMany(kind string, limit int) error {
	return refuse(ScimTooMany, "this filter or sortBy needs every "+kind+" of the tenant read, and it has more than "+
		strconv.Itoa(limit)+"; filter with eq on an attribute the service looks up, or list without sortBy")
}

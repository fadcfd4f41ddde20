package authserver

import "sync"

// attributesOf holds the Attributes of each Service given one. It stands
// in for a field of Service until service.go declares one (an
// `Attributes Attributes` field beside Hosts and Zones); only
// WithAttributes and attributes touch it.
var attributesOf sync.Map // *Service → Attributes

// WithAttributes sets what claims learn about custom attributes (which
// are editable, how large their values are) and returns s. Call it
// before the Service's first use; without it no custom attribute is
// editable and none has a known bound.
func (s *Service) WithAttributes(a Attributes) *Service {
	if a == nil {
		attributesOf.Delete(s)
	} else {
		attributesOf.Store(s, a)
	}
	return s
}

// attributes returns the Service's Attributes, nil when it has none.
func (s *Service) attributes() Attributes {
	a, _ := attributesOf.Load(s)
	attrs, _ := a.(Attributes)
	return attrs
}

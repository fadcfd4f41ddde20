package authserver

// WithAttributes sets what claims learn about custom attributes (which
// are editable, how large their values are) and returns s. Call it
// before the Service's first use; without it no custom attribute is
// editable and none has a known bound.
func (s *Service) WithAttributes(a Attributes) *Service {
	s.attrs = a
	return s
}

// attributes returns the Service's Attributes, nil when it has none.
func (s *Service) attributes() Attributes { return s.attrs }

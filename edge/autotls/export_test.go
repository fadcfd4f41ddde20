package autotls

// IssuerKey is the storage key prefix of the Manager's ACME issuer, for
// tests that place certificates in Storage themselves.
func (m *Manager) IssuerKey() string { return m.issuer.IssuerKey() }

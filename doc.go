// Package lintel is the root of Lintel, a self-hostable customer-identity
// platform in one Go binary. The binary is cmd/lintel; the identity server
// lives under server/, the HTTP front under edge/. This package holds no
// code, only the architecture tests that keep those layers apart.
package lintel

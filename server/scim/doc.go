// Package scim is Lintel's SCIM 2.0 service provider (RFC 7643, RFC 7644):
// an identity source (an HR system, another directory) creates, updates
// and removes a tenant's users and groups through it.
//
// Besides the resource endpoints, the package holds the SCIM query
// language: ParseFilter reads a filter (RFC 7644 §3.4.2.2) into a Filter
// that matches resources held as JSON-like maps, ParsePath reads the path
// of a PATCH operation (§3.5.2), and SortBy orders a list response
// (§3.4.2.3). Their failures are *Error values carrying the scimType the
// response must name.
//
// Lists are answered from the directory's indexes where it can: pages of
// an unfiltered list, and "eq" filters on userName, externalId, emails,
// id (displayName for groups). Other filters and sortBy read the tenant
// into memory, at most Deps.ScanLimit resources, else 400 tooMany.
package scim

// Package dnsname checks DNS names written as hosts are: labels of
// letters, digits and hyphens (RFC 1123).
package dnsname

import "strings"

// MaxLen is the longest name, in bytes, without a trailing dot.
const MaxLen = 253

// Valid reports whether name is one or more LDH labels separated by
// dots: each of 1–63 ASCII letters, digits and hyphens, not starting or
// ending with a hyphen, the whole at most MaxLen bytes. Case does not
// matter; a trailing dot is not allowed (callers trim it when they
// accept one).
func Valid(name string) bool {
	if name == "" || len(name) > MaxLen {
		return false
	}
	for _, l := range strings.Split(name, ".") {
		if !label(l) {
			return false
		}
	}
	return true
}

// Host reports whether name is Valid and its last label is not all
// digits: other software reads "127.1" or "10.0.0.010" as an IPv4
// address, so a host name must not look like one.
func Host(name string) bool {
	if !Valid(name) {
		return false
	}
	last := name[strings.LastIndexByte(name, '.')+1:]
	return strings.Trim(last, "0123456789") != ""
}

// label reports whether l is one LDH label.
func label(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

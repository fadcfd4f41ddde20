package policy

import (
	_ "embed"
	"errors"
	"strings"
)

// blocklistText is the blocklist of common and breached passwords: the
// passwords of the zxcvbn 4.4.2 frequency list (MIT licence, see NOTICE
// at the top of the repository) of at least 8 characters, one per line,
// lowercase, most common first. Shorter ones are left out: no policy
// accepts a password under 8 characters (MinMinLength).
//
//go:embed blocklist.txt
var blocklistText string

// minBlocklist guards against a truncated file.
const minBlocklist = 10000

// loadBlocklist builds the set of blocked passwords.
func loadBlocklist() (map[string]struct{}, error) {
	lines := strings.Split(strings.TrimSpace(blocklistText), "\n")
	if len(lines) < minBlocklist {
		return nil, errors.New("embedded blocklist is truncated")
	}
	m := make(map[string]struct{}, len(lines))
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			m[strings.ToLower(l)] = struct{}{}
		}
	}
	return m, nil
}

// common reports whether password is on the blocklist, ignoring case.
func (s *Service) common(password string) bool {
	_, ok := s.blocked[strings.ToLower(password)]
	return ok
}

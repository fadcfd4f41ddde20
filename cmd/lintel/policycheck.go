package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/server/mgmt"
)

// compare returns how a preview differs from what test c expects, one
// phrase per difference; none when the test passes.
func (c policyCase) compare(got mgmt.PreviewView) []string {
	var diffs []string
	add := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }
	switch {
	case c.Expect == expectGranted && !got.Granted:
		add("expected granted, got denied (%s)", refusal(got))
	case c.Expect == expectDenied && got.Granted:
		add("expected denied, got granted by %s", ruleName(got))
	}
	if c.Rule != "" && (got.Rule == nil || got.Rule.Name != c.Rule) {
		add("expected rule %q to decide, got %s", c.Rule, ruleName(got))
	}
	if c.Error != "" && !got.Granted && got.Error != c.Error {
		add("expected error %s, got %s", c.Error, refusal(got))
	}
	if !got.Granted {
		// Scopes and claims are only compared on a granted request; the
		// verdict above already says what differs.
		return diffs
	}
	if c.ScopesGranted != nil {
		if missing, extra := setDiff(*c.ScopesGranted, got.Scopes); len(missing)+len(extra) > 0 {
			d := "scopes granted " + quoteList(got.Scopes)
			if len(missing) > 0 {
				d += ", missing " + strings.Join(missing, " ")
			}
			if len(extra) > 0 {
				d += ", not expected " + strings.Join(extra, " ")
			}
			add("%s", d)
		}
	}
	diffs = append(diffs, claimDiffs("claim", c.Claims, got.AccessTokenClaims)...)
	if len(c.IDClaims) > 0 && got.IDTokenClaims == nil {
		add("expected an ID token, got none (is openid granted?)")
	} else {
		diffs = append(diffs, claimDiffs("ID token claim", c.IDClaims, got.IDTokenClaims)...)
	}
	return diffs
}

// claimDiffs compares expected claims, already in their JSON form, with
// the claims of a token; a nil expected value means absent.
func claimDiffs(what string, want, got map[string]any) []string {
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		w := want[k]
		g, present := got[k]
		switch {
		case w == nil && present:
			diffs = append(diffs, fmt.Sprintf("%s %s: expected absent, got %s", what, k, jsonText(g)))
		case w == nil:
		case !present:
			diffs = append(diffs, fmt.Sprintf("%s %s: expected %s, got no such claim", what, k, jsonText(w)))
		case !reflect.DeepEqual(w, g):
			diffs = append(diffs, fmt.Sprintf("%s %s: expected %s, got %s", what, k, jsonText(w), jsonText(g)))
		}
	}
	return diffs
}

// report writes what a failed test got: the deciding policy and rule,
// the refusal, and the reason of every step of the trace.
func report(w io.Writer, got mgmt.PreviewView) {
	const indent = "     "
	policy := "no policy"
	if got.Policy != nil {
		policy = fmt.Sprintf("policy %q", got.Policy.Name)
	}
	fmt.Fprintf(w, "%sdecided by: %s, %s\n", indent, policy, ruleName(got))
	if !got.Granted {
		fmt.Fprintf(w, "%srefused: %s\n", indent, refusal(got))
	} else {
		fmt.Fprintf(w, "%sgranted: %s\n", indent, quoteList(got.Scopes))
	}
	for _, s := range got.Trace {
		mark := "no "
		if s.Matched {
			mark = "yes"
		}
		where := fmt.Sprintf("policy %q", s.PolicyName)
		if s.RuleID != "" {
			where += fmt.Sprintf(" rule %q", s.RuleName)
		}
		fmt.Fprintf(w, "%strace: %s %s: %s\n", indent, mark, where, s.Reason)
	}
}

// ruleName names the rule that decided a preview.
func ruleName(got mgmt.PreviewView) string {
	if got.Rule == nil {
		return "no rule"
	}
	return fmt.Sprintf("rule %q", got.Rule.Name)
}

// refusal is a refused preview's error and its description.
func refusal(got mgmt.PreviewView) string {
	switch {
	case got.Error == "":
		return "no error"
	case got.ErrorDescription == "":
		return got.Error
	}
	return got.Error + ": " + got.ErrorDescription
}

// setDiff returns what want has that got lacks, and what got has beyond
// want, each sorted without repeats.
func setDiff(want, got []string) (missing, extra []string) {
	for _, w := range want {
		if !slices.Contains(got, w) && !slices.Contains(missing, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) && !slices.Contains(extra, g) {
			extra = append(extra, g)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return missing, extra
}

// quoteList shows a list of scopes as [a b c].
func quoteList(s []string) string {
	return "[" + strings.Join(s, " ") + "]"
}

// jsonText shows a value as compact JSON.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

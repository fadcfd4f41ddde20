package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func (e *env) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, the source revision and the Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(e.stdout, versionString())
			return nil
		},
	}
}

// versionString describes the build from the information the Go toolchain
// embeds, so no build flags are needed to get it right.
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "lintel (unknown build)"
	}
	var b strings.Builder
	b.WriteString("lintel ")
	b.WriteString(bi.Main.Version)
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		b.WriteString(" revision " + rev)
		if settings["vcs.modified"] == "true" {
			b.WriteString(" (modified)")
		}
	}
	b.WriteString(" " + bi.GoVersion)
	return b.String()
}

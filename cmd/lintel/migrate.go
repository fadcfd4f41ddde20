package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lintel-id/lintel/internal/settings"
)

func (e *env) migrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and exit",
		Long: `Apply pending database migrations and exit. 'lintel serve' also migrates at
start; run this first when several nodes share one PostgreSQL database, or to
check a database. A database migrated by a newer Lintel is refused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := settings.Load(cmd.Flags(), e.environ)
			if err != nil {
				return err
			}
			log := e.newLogger(c)
			st, err := openStore(cmd.Context(), c, log, false)
			if err != nil {
				return err
			}
			defer st.Close()
			from, to, err := st.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			if from == to {
				fmt.Fprintf(e.stdout, "database schema is up to date at version %d\n", to)
			} else {
				fmt.Fprintf(e.stdout, "database schema migrated from version %d to %d\n", from, to)
			}
			return nil
		},
	}
	settings.Bind(cmd.Flags(), settings.FlagConfig|settings.FlagDataDir|settings.FlagDatabaseURL|settings.FlagLog)
	return cmd
}

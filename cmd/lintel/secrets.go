package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/settings"
	"github.com/lintel-id/lintel/server/secrets"
)

func (e *env) secretsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Manage the key-encryption keys that protect stored secrets",
	}
	cmd.AddCommand(e.secretsRotateCommand())
	return cmd
}

func (e *env) secretsRotateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Re-wrap every data key under the current key-encryption key",
		Long: `Re-wrap every data key under the current key-encryption key (KEK), online:
running servers keep working, because the data keys themselves do not change.

With a configured key (secrets.key, required with PostgreSQL), first deploy
the new key as secrets.key with the old one in secrets.previous_keys on every
node (to be safe, add the new key to previous_keys everywhere before making
it current anywhere), then run this command; afterwards the old key can be
removed from previous_keys.

With SQLite and the key file in the data directory, this command makes the
new key itself: it writes a new current key at the top of the file, keeps
the old one below it, and re-wraps. Restart 'lintel serve' to seal new
secrets under the new key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			c, err := settings.Load(cmd.Flags(), e.environ)
			if err != nil {
				return err
			}
			if err := checkKeyConfig(c); err != nil {
				return err
			}
			log := e.newLogger(c)
			clk := clock.System()
			st, err := openStore(ctx, c, log, false)
			if err != nil {
				return err
			}
			defer st.Close()
			if cur, known, err := st.SchemaVersion(ctx); err != nil {
				return err
			} else if cur < known {
				return fmt.Errorf("the database schema is at version %d, older than this lintel's %d: run 'lintel migrate' first", cur, known)
			}
			ring, keyFile, _, err := keyring(ctx, c, st, clk)
			if err != nil {
				return err
			}
			if keyFile != "" {
				if ring, err = secrets.RotateKeyFile(keyFile, clk.Now()); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "wrote new key-encryption key %s to %s\n", ring.Current.ID, keyFile)
			}
			svc, err := secrets.New(ctx, st, ring, clk)
			if errors.Is(err, secrets.ErrUnknownKEK) {
				return fmt.Errorf("%w; add the missing key to secrets.previous_keys", err)
			}
			if err != nil {
				return err
			}
			rep, err := svc.Rotate(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "re-wrapped %d of %d data keys under key-encryption key %s\n", rep.Rewrapped, rep.Total, ring.Current.ID)
			return nil
		},
	}
	settings.Bind(cmd.Flags(), settings.FlagConfig|settings.FlagDataDir|settings.FlagDatabaseURL|settings.FlagLog|settings.FlagSecrets)
	return cmd
}

-- +goose Up
-- config_version identifies the state of an authorization server's
-- configuration (the server row, its scopes, claims, policies and rules):
-- every change of it writes a new random value in the same transaction.
-- Token requests cache what they read of a server by (server, version),
-- so a node sees a change committed by any node at its next request. It
-- is random, not a counter, so that the value of a change that was rolled
-- back is never written again by a later one.
ALTER TABLE auth_servers ADD COLUMN config_version BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE auth_servers DROP COLUMN config_version;

-- +goose Up
-- Management API tokens. The token itself is never stored: only its keyed
-- hash (secrets service MAC), looked up through a unique index.
CREATE TABLE mgmt_tokens (
    id           TEXT NOT NULL PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    scopes       JSONB NOT NULL,
    mac          BYTEA NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ NULL,
    revoked_at   TIMESTAMPTZ NULL
);
CREATE UNIQUE INDEX mgmt_tokens_mac ON mgmt_tokens (mac);
CREATE INDEX mgmt_tokens_tenant ON mgmt_tokens (tenant_id, id);

-- +goose Down
DROP TABLE mgmt_tokens;

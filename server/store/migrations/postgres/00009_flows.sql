-- +goose Up
-- Sign-in flows: server-held state, bound to the client, the PKCE
-- challenge (inside request), the page's origin and a per-flow secret whose
-- keyed hash is stored here.
CREATE TABLE flows (
    id          TEXT NOT NULL PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    origin      TEXT NOT NULL,
    secret_mac  BYTEA NOT NULL,
    step        TEXT NOT NULL,
    state       JSONB NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    done_at     TIMESTAMPTZ NULL
);
CREATE INDEX flows_expires ON flows (expires_at);

-- +goose Down
DROP TABLE flows;

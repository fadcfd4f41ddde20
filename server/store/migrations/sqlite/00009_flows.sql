-- +goose Up
-- Sign-in flows: server-held state, bound to the client, the PKCE
-- challenge (inside request), the page's origin and a per-flow secret whose
-- keyed hash is stored here.
CREATE TABLE flows (
    id          TEXT NOT NULL PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    origin      TEXT NOT NULL,
    secret_mac  BLOB NOT NULL,
    step        TEXT NOT NULL,
    state       JSON_TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    done_at     TIMESTAMP NULL
);
CREATE INDEX flows_expires ON flows (expires_at);

-- +goose Down
DROP TABLE flows;

-- +goose Up
-- SSO sessions. The cookie value is never stored: only its keyed hash
-- (secrets service MAC, purpose "session"), looked up through a unique
-- index. amr is a JSON array of authentication method references.
CREATE TABLE sessions (
    id                  TEXT      NOT NULL PRIMARY KEY,
    tenant_id           TEXT      NOT NULL,
    user_id             TEXT      NOT NULL,
    secret_mac          BLOB      NOT NULL,
    amr                 JSON_TEXT NOT NULL,
    acr                 TEXT      NOT NULL,
    auth_time           TIMESTAMP NOT NULL,
    created_at          TIMESTAMP NOT NULL,
    last_seen_at        TIMESTAMP NOT NULL,
    idle_expires_at     TIMESTAMP NOT NULL,
    absolute_expires_at TIMESTAMP NOT NULL,
    revoked_at          TIMESTAMP NULL
);
CREATE UNIQUE INDEX sessions_secret_mac ON sessions (secret_mac);
CREATE INDEX sessions_tenant_id_user_id ON sessions (tenant_id, user_id);

-- +goose Down
DROP TABLE sessions;

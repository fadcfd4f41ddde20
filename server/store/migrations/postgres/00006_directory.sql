-- +goose Up
-- Users of a tenant. login is normalized (trimmed, NFC, lowercase) and
-- unique within the tenant; status is 'active', 'suspended' or 'staged'
-- (only active users sign in).
CREATE TABLE users (
    id              TEXT      NOT NULL PRIMARY KEY,
    tenant_id       TEXT      NOT NULL,
    login           TEXT      NOT NULL,
    email           TEXT      NOT NULL,
    email_verified  BOOLEAN   NOT NULL,
    name            TEXT      NOT NULL,
    locale          TEXT      NOT NULL,
    status          TEXT      NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    last_sign_in_at TIMESTAMPTZ NULL
);
CREATE UNIQUE INDEX users_tenant_id_login ON users (tenant_id, login);
CREATE INDEX users_tenant_id_id ON users (tenant_id, id);

-- Credentials of a user, kept apart from the profile: secret is what
-- verifies the credential (for a password, the PHC string of its argon2id
-- hash), never the credential itself. One credential per user and type.
CREATE TABLE credentials (
    id         TEXT      NOT NULL PRIMARY KEY,
    tenant_id  TEXT      NOT NULL,
    user_id    TEXT      NOT NULL REFERENCES users (id),
    type       TEXT      NOT NULL,
    secret     TEXT      NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX credentials_user_id_type ON credentials (user_id, type);

-- +goose Down
DROP TABLE credentials;
DROP TABLE users;

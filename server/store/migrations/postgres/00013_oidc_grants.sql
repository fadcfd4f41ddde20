-- +goose Up
-- A grant is one authorization of a client: the exchange of a code, or a
-- chain of refresh tokens that starts there. Access tokens name their
-- grant (claim gid); revoking the grant (logout of the client, a replayed
-- code, a reused refresh token, a revoked consent) ends every token of it.
-- expires_at is the absolute end of its refresh tokens.
CREATE TABLE oidc_grants (
    id            TEXT      NOT NULL PRIMARY KEY,
    tenant_id     TEXT      NOT NULL,
    server        TEXT      NOT NULL,
    client_id     TEXT      NOT NULL,
    user_id       TEXT      NOT NULL,
    session_id    TEXT      NOT NULL,
    scope         TEXT      NOT NULL,
    auth_time     TIMESTAMPTZ NOT NULL,
    amr           JSONB     NOT NULL,
    acr           TEXT      NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ NULL,
    revoke_reason TEXT      NOT NULL
);
CREATE INDEX oidc_grants_tenant_id_user_id ON oidc_grants (tenant_id, user_id);
CREATE INDEX oidc_grants_expires_at ON oidc_grants (expires_at);

-- Refresh tokens, stored only as their keyed hash (purpose
-- "oidc.refresh"). Each is used once: used_at is set when it is exchanged
-- for its successor; presenting a used one again revokes the grant.
-- expires_at is the idle limit (never past the grant's expires_at).
CREATE TABLE oidc_refresh_tokens (
    token_mac  BYTEA     NOT NULL PRIMARY KEY,
    grant_id   TEXT      NOT NULL,
    tenant_id  TEXT      NOT NULL,
    client_id  TEXT      NOT NULL,
    scope      TEXT      NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ NULL
);
CREATE INDEX oidc_refresh_tokens_grant_id ON oidc_refresh_tokens (grant_id);
CREATE INDEX oidc_refresh_tokens_expires_at ON oidc_refresh_tokens (expires_at);

-- The grant an authorization code's exchange created ('' before), so that
-- a replay of the code revokes it.
ALTER TABLE oidc_codes ADD COLUMN grant_id TEXT NOT NULL DEFAULT '';

-- Access tokens revoked before they expire, by jti (RFC 7009).
CREATE TABLE oidc_revoked_tokens (
    jti        TEXT      NOT NULL PRIMARY KEY,
    tenant_id  TEXT      NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX oidc_revoked_tokens_expires_at ON oidc_revoked_tokens (expires_at);

-- jti values of client assertions (private_key_jwt) seen before they
-- expire: a second use of one is a replay (RFC 7523 §3).
CREATE TABLE oidc_assertion_jtis (
    client_id  TEXT      NOT NULL,
    jti        TEXT      NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX oidc_assertion_jtis_expires_at ON oidc_assertion_jtis (expires_at);

-- +goose Down
DROP TABLE oidc_assertion_jtis;
DROP TABLE oidc_revoked_tokens;
ALTER TABLE oidc_codes DROP COLUMN grant_id;
DROP TABLE oidc_refresh_tokens;
DROP TABLE oidc_grants;

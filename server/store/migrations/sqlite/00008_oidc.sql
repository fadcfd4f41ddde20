-- +goose Up
-- Signing keys of the OpenID provider, per tenant and authorization server:
-- id is the JWK kid (random). The private key is sealed by the secrets
-- service (purpose "oidc.signing-key", row = id); the public key is a JWK.
-- generation counts the keys of one (tenant, server, alg): nodes racing to
-- create the next key insert the same generation and all but one conflict,
-- so rotation stays possible and signing uses the newest active key.
CREATE TABLE oidc_keys (
    id             TEXT      NOT NULL PRIMARY KEY,
    tenant_id      TEXT      NOT NULL,
    server         TEXT      NOT NULL,
    alg            TEXT      NOT NULL,
    generation     INTEGER   NOT NULL,
    public_jwk     JSON_TEXT NOT NULL,
    private_sealed BLOB      NOT NULL,
    status         TEXT      NOT NULL,
    created_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX oidc_keys_tenant_id_server_alg_generation ON oidc_keys (tenant_id, server, alg, generation);

-- Authorization codes, stored only as their keyed hash (secrets service
-- MAC, purpose "oidc.code"). A code is exchanged at most once: used_at is
-- set by the first presentation. Rows are purged an hour after expiry.
CREATE TABLE oidc_codes (
    code_mac       BLOB      NOT NULL PRIMARY KEY,
    tenant_id      TEXT      NOT NULL,
    server         TEXT      NOT NULL,
    client_id      TEXT      NOT NULL,
    redirect_uri   TEXT      NOT NULL,
    scope          TEXT      NOT NULL,
    nonce          TEXT      NOT NULL,
    code_challenge TEXT      NOT NULL,
    user_id        TEXT      NOT NULL,
    session_id     TEXT      NOT NULL,
    auth_time      TIMESTAMP NOT NULL,
    amr            JSON_TEXT NOT NULL,
    acr            TEXT      NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL,
    used_at        TIMESTAMP NULL
);
CREATE INDEX oidc_codes_expires_at ON oidc_codes (expires_at);

-- +goose Down
DROP TABLE oidc_codes;
DROP TABLE oidc_keys;

-- +goose Up
-- Inline hooks (server/hooks, issue 18): a tenant's endpoints and WASM
-- modules that Lintel calls at a hook point and whose answer (commands)
-- changes what happens there.
--
-- hooks: one inline hook. point is the hook point (token, registration,
-- post-verification, password-import, user-import, unknown-user,
-- telephony, risk); runtime "http" (POST to url) or "wasm" (the module
-- of hook_modules named by module_sha256; url is then ''). secret_sealed
-- is the HTTP signing secret sealed by the secrets service, bound to
-- (tenant_id, "hooks.signing-secret", id), empty for WASM hooks.
-- previous_secret_sealed (bound to (tenant_id,
-- "hooks.previous-signing-secret", id)) is the secret a rotation
-- replaced; requests are signed with it too until previous_secret_until,
-- then it is ignored (NULL and empty when none). timeout_ms bounds one
-- call; failure_policy is "deny" or "continue". Enabled hooks of a point
-- run by priority (lowest first), then id. name is unique per tenant.
CREATE TABLE hooks (
    id                     TEXT      NOT NULL PRIMARY KEY,
    tenant_id              TEXT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name                   TEXT      NOT NULL,
    point                  TEXT      NOT NULL,
    runtime                TEXT      NOT NULL CHECK (runtime IN ('http', 'wasm')),
    url                    TEXT      NOT NULL,
    secret_sealed          BYTEA     NOT NULL,
    previous_secret_sealed BYTEA     NOT NULL,
    previous_secret_until  TIMESTAMPTZ,
    timeout_ms             INTEGER   NOT NULL,
    failure_policy         TEXT      NOT NULL CHECK (failure_policy IN ('deny', 'continue')),
    enabled                BOOLEAN   NOT NULL,
    priority               INTEGER   NOT NULL,
    module_sha256          TEXT      NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX hooks_tenant_id_name ON hooks (tenant_id, name);
CREATE INDEX hooks_tenant_id_point_priority ON hooks (tenant_id, point, priority, id);

-- hook_modules: the WASM modules of a tenant's hooks, stored once per
-- content (sha256 is the lowercase hex SHA-256 of bytes; size is
-- len(bytes)). A module no hook of the tenant names any more is deleted
-- with the last hook that named it.
CREATE TABLE hook_modules (
    tenant_id  TEXT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    sha256     TEXT      NOT NULL,
    bytes      BYTEA     NOT NULL,
    size       INTEGER   NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, sha256)
);

-- +goose Down
DROP TABLE hook_modules;
DROP TABLE hooks;

-- +goose Up
-- Custom authorization servers of a tenant (issue 8). Every tenant has
-- one named 'default', created on first use with the system scopes and a
-- default policy; the others are created by admins.
--   audiences: JSON array of the aud values of access tokens ([] = the
--     issuer URL).
--   issuer_mode: 'dynamic' (any domain of the tenant) or 'fixed'
--     (issuer_host only; '' when dynamic).
--   scope_pattern: an RE2 expression, anchored when used, that every
--     non-system scope name must match ('' = any).
--   max_token_bytes: the bound on the JSON claims of one token.
CREATE TABLE auth_servers (
    id              TEXT      NOT NULL PRIMARY KEY,
    tenant_id       TEXT      NOT NULL,
    name            TEXT      NOT NULL,
    description     TEXT      NOT NULL,
    audiences       JSONB     NOT NULL,
    issuer_mode     TEXT      NOT NULL,
    issuer_host     TEXT      NOT NULL,
    scope_pattern   TEXT      NOT NULL,
    max_token_bytes BIGINT    NOT NULL,
    active          BOOLEAN   NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX auth_servers_tenant_id_name ON auth_servers (tenant_id, name);

-- Scopes of a server. kinds: JSON array of 'delegated' and/or 'machine';
-- implies: JSON array of names of other scopes of the same server (the
-- graph is acyclic); clients: JSON array of the client IDs that alone may
-- get the scope ([] = any). system marks the built-in OpenID Connect
-- scopes, which cannot be renamed or deleted. Names are case-sensitive.
CREATE TABLE auth_scopes (
    id          TEXT      NOT NULL PRIMARY KEY,
    server_id   TEXT      NOT NULL REFERENCES auth_servers (id),
    tenant_id   TEXT      NOT NULL,
    name        TEXT      NOT NULL,
    description TEXT      NOT NULL,
    kinds       JSONB     NOT NULL,
    implies     JSONB     NOT NULL,
    consent     BOOLEAN   NOT NULL,
    is_default  BOOLEAN   NOT NULL,
    clients     JSONB     NOT NULL,
    system      BOOLEAN   NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX auth_scopes_server_id_name ON auth_scopes (server_id, name);

-- Access policies of a server, evaluated by priority (lowest first).
-- clients: JSON array of client IDs, or ["*"] for every client.
CREATE TABLE auth_policies (
    id          TEXT      NOT NULL PRIMARY KEY,
    server_id   TEXT      NOT NULL REFERENCES auth_servers (id),
    tenant_id   TEXT      NOT NULL,
    name        TEXT      NOT NULL,
    description TEXT      NOT NULL,
    priority    BIGINT    NOT NULL,
    clients     JSONB     NOT NULL,
    active      BOOLEAN   NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX auth_policies_server_id_name ON auth_policies (server_id, name);

-- Rules of a policy, evaluated by priority. grant_types, scopes (["*"] =
-- any scope of the server), groups, zones and exclude_zones are JSON
-- arrays. The lifetimes are whole seconds; 0 takes the default.
-- server_id and tenant_id repeat the policy's, so the rules of a server
-- are read without a join.
CREATE TABLE auth_policy_rules (
    id                     TEXT      NOT NULL PRIMARY KEY,
    policy_id              TEXT      NOT NULL REFERENCES auth_policies (id),
    server_id              TEXT      NOT NULL,
    tenant_id              TEXT      NOT NULL,
    name                   TEXT      NOT NULL,
    priority               BIGINT    NOT NULL,
    grant_types            JSONB     NOT NULL,
    scopes                 JSONB     NOT NULL,
    groups                 JSONB     NOT NULL,
    zones                  JSONB     NOT NULL,
    exclude_zones          JSONB     NOT NULL,
    access_token_lifetime  BIGINT    NOT NULL,
    refresh_token_lifetime BIGINT    NOT NULL,
    refresh_token_idle     BIGINT    NOT NULL,
    deny                   BOOLEAN   NOT NULL,
    active                 BOOLEAN   NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX auth_policy_rules_policy_id_name ON auth_policy_rules (policy_id, name);
CREATE INDEX auth_policy_rules_server_id ON auth_policy_rules (server_id);

-- +goose Down
DROP TABLE auth_policy_rules;
DROP TABLE auth_policies;
DROP TABLE auth_scopes;
DROP TABLE auth_servers;

-- +goose Up
-- Tenants form a tree (parent_id) bounded in depth by configuration; the
-- system tenant is the instance's own. Slugs are DNS labels, unique.
CREATE TABLE tenants (
    id         TEXT      NOT NULL PRIMARY KEY,
    slug       TEXT      NOT NULL,
    name       TEXT      NOT NULL,
    parent_id  TEXT      NULL REFERENCES tenants (id),
    depth      BIGINT    NOT NULL,
    system     BOOLEAN   NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX tenants_slug ON tenants (slug);
CREATE INDEX tenants_parent_id ON tenants (parent_id, id);

-- A parent administers a child only through a delegation; transitive ones
-- extend to the child's own delegated children.
CREATE TABLE tenant_delegations (
    parent_id  TEXT      NOT NULL REFERENCES tenants (id),
    child_id   TEXT      NOT NULL REFERENCES tenants (id),
    transitive BOOLEAN   NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX tenant_delegations_child_id ON tenant_delegations (child_id);

-- Apps are OAuth clients; id is the client_id. name_fold is the lowercased
-- name, for case-insensitive uniqueness and search. Lists are JSON arrays.
CREATE TABLE apps (
    id                          TEXT      NOT NULL PRIMARY KEY,
    tenant_id                   TEXT      NOT NULL REFERENCES tenants (id),
    name                        TEXT      NOT NULL,
    name_fold                   TEXT      NOT NULL,
    type                        TEXT      NOT NULL,
    redirect_uris               JSONB     NOT NULL,
    post_logout_redirect_uris   JSONB     NOT NULL,
    grant_types                 JSONB     NOT NULL,
    token_endpoint_auth_method  TEXT      NOT NULL,
    tags                        JSONB     NOT NULL,
    created_at                  TIMESTAMPTZ NOT NULL,
    updated_at                  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX apps_tenant_id_name_fold ON apps (tenant_id, name_fold);
CREATE INDEX apps_tenant_id_id ON apps (tenant_id, id);

-- Client secrets, stored only as keyed hashes (HMAC-SHA256). Older secrets
-- stay valid until expires_at after a rotation.
CREATE TABLE app_secrets (
    id           TEXT      NOT NULL PRIMARY KEY,
    app_id       TEXT      NOT NULL REFERENCES apps (id),
    mac          BYTEA     NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NULL,
    last_used_at TIMESTAMPTZ NULL
);
CREATE INDEX app_secrets_app_id ON app_secrets (app_id, id);

-- Origins allowed to embed the widget or call the flow API; app_ids empty
-- means every app of the tenant.
CREATE TABLE trusted_origins (
    id         TEXT      NOT NULL PRIMARY KEY,
    tenant_id  TEXT      NOT NULL REFERENCES tenants (id),
    name       TEXT      NOT NULL,
    name_fold  TEXT      NOT NULL,
    origin     TEXT      NOT NULL,
    purposes   JSONB     NOT NULL,
    app_ids    JSONB     NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX trusted_origins_tenant_id_name_fold ON trusted_origins (tenant_id, name_fold);
CREATE INDEX trusted_origins_tenant_id_origin ON trusted_origins (tenant_id, origin);
CREATE INDEX trusted_origins_tenant_id_id ON trusted_origins (tenant_id, id);

CREATE TABLE brands (
    id         TEXT      NOT NULL PRIMARY KEY,
    tenant_id  TEXT      NOT NULL REFERENCES tenants (id),
    name       TEXT      NOT NULL,
    name_fold  TEXT      NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX brands_tenant_id_name_fold ON brands (tenant_id, name_fold);
CREATE INDEX brands_tenant_id_id ON brands (tenant_id, id);

-- Custom domains; hostnames are unique across the instance.
CREATE TABLE domains (
    id                 TEXT      NOT NULL PRIMARY KEY,
    tenant_id          TEXT      NOT NULL REFERENCES tenants (id),
    brand_id           TEXT      NULL REFERENCES brands (id),
    hostname           TEXT      NOT NULL,
    state              TEXT      NOT NULL,
    last_error         TEXT      NOT NULL,
    verification_token TEXT      NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX domains_hostname ON domains (hostname);
CREATE INDEX domains_tenant_id_id ON domains (tenant_id, id);
CREATE INDEX domains_brand_id ON domains (brand_id);

-- +goose Down
DROP TABLE domains;
DROP TABLE brands;
DROP TABLE trusted_origins;
DROP TABLE app_secrets;
DROP TABLE apps;
DROP TABLE tenant_delegations;
DROP TABLE tenants;

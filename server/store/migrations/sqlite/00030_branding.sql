-- +goose Up
-- Versions of the theme documents of the branding cascade (server/branding,
-- issue 14). A document hangs on a scope: the tenant itself (scope_id =
-- tenant_id), one of its brands (brand_id = scope_id) or one of its apps
-- (app_id = scope_id); the instance's own level is configuration. document
-- is a themes.Document as JSON text, never parsed by SQL. A scope has at most
-- one draft (theme_versions_draft); publishing turns the draft into the live
-- version and the previous live one into 'retired'; a rollback makes an
-- earlier version live again. Numbers count per scope from 1; a discarded
-- draft's number is reused by the next draft. The contrast override columns
-- record who published a version that fails WCAG 2.2 AA, and why.
-- Rows go with their tenant, brand or app (ON DELETE CASCADE), so the delete
-- paths of server/tenant need not know about themes.
CREATE TABLE theme_versions (
    id                       TEXT      NOT NULL PRIMARY KEY,
    tenant_id                TEXT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    scope_id                 TEXT      NOT NULL,
    brand_id                 TEXT      NULL REFERENCES brands (id) ON DELETE CASCADE,
    app_id                   TEXT      NULL REFERENCES apps (id) ON DELETE CASCADE,
    number                   INTEGER   NOT NULL,
    document                 TEXT      NOT NULL,
    state                    TEXT      NOT NULL,
    created_at               TIMESTAMP NOT NULL,
    updated_at               TIMESTAMP NOT NULL,
    published_at             TIMESTAMP NULL,
    contrast_override_reason TEXT      NULL,
    contrast_override_by     TEXT      NULL
);
CREATE UNIQUE INDEX theme_versions_scope_id_number ON theme_versions (scope_id, number);
CREATE UNIQUE INDEX theme_versions_draft ON theme_versions (scope_id) WHERE state = 'draft';
CREATE INDEX theme_versions_tenant_id ON theme_versions (tenant_id);
CREATE INDEX theme_versions_brand_id ON theme_versions (brand_id);
CREATE INDEX theme_versions_app_id ON theme_versions (app_id);

-- Which version of each scope is live. Publish and rollback change it in
-- the transaction that bumps the tenant's generation.
CREATE TABLE theme_live (
    scope_id     TEXT      NOT NULL PRIMARY KEY,
    tenant_id    TEXT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    brand_id     TEXT      NULL REFERENCES brands (id) ON DELETE CASCADE,
    app_id       TEXT      NULL REFERENCES apps (id) ON DELETE CASCADE,
    version_id   TEXT      NOT NULL REFERENCES theme_versions (id) ON DELETE CASCADE,
    number       INTEGER   NOT NULL,
    published_at TIMESTAMP NOT NULL
);
CREATE INDEX theme_live_tenant_id ON theme_live (tenant_id, scope_id);
CREATE INDEX theme_live_version_id ON theme_live (version_id);
CREATE INDEX theme_live_brand_id ON theme_live (brand_id);
CREATE INDEX theme_live_app_id ON theme_live (app_id);

-- A counter per tenant that every change of a live theme bumps; each node
-- reads it (one primary-key lookup) to know whether its cached resolved
-- themes of the tenant are still current.
CREATE TABLE theme_generations (
    tenant_id  TEXT   NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    generation BIGINT NOT NULL
);

-- Images a tenant uploaded for its themes (logo, favicon, background).
-- data is what is served: a PNG or JPEG as uploaded, an SVG as sanitised;
-- sha256 (hex) is its digest, unique per tenant so the same image
-- uploaded twice is one asset. palette is a JSON array of "#rrggbb".
CREATE TABLE theme_assets (
    id           TEXT      NOT NULL PRIMARY KEY,
    tenant_id    TEXT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    content_type TEXT      NOT NULL,
    data         BLOB      NOT NULL,
    sha256       TEXT      NOT NULL,
    width        INTEGER   NOT NULL,
    height       INTEGER   NOT NULL,
    palette      TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX theme_assets_tenant_id_sha256 ON theme_assets (tenant_id, sha256);

-- +goose Down
DROP TABLE theme_assets;
DROP TABLE theme_generations;
DROP TABLE theme_live;
DROP TABLE theme_versions;

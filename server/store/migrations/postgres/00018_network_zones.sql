-- +goose Up
-- Network zones: named lists of IP prefixes of a tenant, which sign-on
-- policy rules name. cidrs is the JSON array of normalized prefixes
-- ("10.0.0.0/8", "2001:db8::/32"); name_fold is the lowercased name, for
-- case-insensitive uniqueness within the tenant.
CREATE TABLE network_zones (
    id          TEXT      NOT NULL PRIMARY KEY,
    tenant_id   TEXT      NOT NULL,
    name        TEXT      NOT NULL,
    name_fold   TEXT      NOT NULL,
    cidrs       JSONB     NOT NULL,
    description TEXT      NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX network_zones_tenant_id_name_fold ON network_zones (tenant_id, name_fold);
CREATE INDEX network_zones_tenant_id_id ON network_zones (tenant_id, id);

-- +goose Down
DROP TABLE network_zones;

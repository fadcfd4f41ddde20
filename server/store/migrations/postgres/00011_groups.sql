-- +goose Up
-- Groups of users within a tenant (no nesting). name_fold is the lowercased
-- name, for case-insensitive uniqueness within the tenant.
CREATE TABLE groups (
    id          TEXT      NOT NULL PRIMARY KEY,
    tenant_id   TEXT      NOT NULL,
    name        TEXT      NOT NULL,
    name_fold   TEXT      NOT NULL,
    description TEXT      NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX groups_tenant_id_name_fold ON groups (tenant_id, name_fold);
CREATE INDEX groups_tenant_id_id ON groups (tenant_id, id);

-- Group rules: a CEL expression over a user's attributes that, when true,
-- makes the user a member of group_id. attributes is the JSON array of the
-- attribute names the expression reads ("*" when it reads the whole map);
-- uses_editable_attrs says one of them was user-editable when the rule was
-- created, which is allowed only with override_editable (an admin's explicit
-- override). status is 'active' or 'inactive'.
CREATE TABLE group_rules (
    id                  TEXT      NOT NULL PRIMARY KEY,
    tenant_id           TEXT      NOT NULL,
    name                TEXT      NOT NULL,
    expression          TEXT      NOT NULL,
    group_id            TEXT      NOT NULL REFERENCES groups (id),
    attributes          JSONB     NOT NULL,
    uses_editable_attrs BOOLEAN   NOT NULL,
    override_editable   BOOLEAN   NOT NULL,
    status              TEXT      NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX group_rules_tenant_id_id ON group_rules (tenant_id, id);
CREATE INDEX group_rules_group_id ON group_rules (group_id);

-- Members of a group. source is 'manual' (added by an admin) or 'rule'
-- (added by rule_id, and removed by rules only); rule_id is NULL for
-- manual members. user_id has no foreign key, so that erasing a user
-- does not depend on this table: erasure deletes the user's rows here
-- (Directory.RemoveUserFromGroups).
CREATE TABLE group_members (
    tenant_id TEXT      NOT NULL,
    group_id  TEXT      NOT NULL REFERENCES groups (id),
    user_id   TEXT      NOT NULL,
    source    TEXT      NOT NULL,
    rule_id   TEXT      NULL REFERENCES group_rules (id),
    added_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX group_members_group_id_user_id ON group_members (group_id, user_id);
CREATE INDEX group_members_tenant_id_user_id ON group_members (tenant_id, user_id);
CREATE INDEX group_members_rule_id ON group_members (rule_id);

-- +goose Down
DROP TABLE group_members;
DROP TABLE group_rules;
DROP TABLE groups;

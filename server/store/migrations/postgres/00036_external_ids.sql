-- +goose Up
-- External IDs (issue 17): what a provisioning client calls a user or a
-- group (SCIM's externalId, RFC 7643 §3.1), '' when none. The client sets
-- it; it is compared exactly and is not unique (two clients may use one
-- value). Indexed because clients look resources up by it
-- (filter=externalId eq "…") before they create them.
ALTER TABLE users ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE groups ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
CREATE INDEX users_tenant_id_external_id ON users (tenant_id, external_id);
CREATE INDEX groups_tenant_id_external_id ON groups (tenant_id, external_id);

-- +goose Down
DROP INDEX groups_tenant_id_external_id;
DROP INDEX users_tenant_id_external_id;
ALTER TABLE groups DROP COLUMN external_id;
ALTER TABLE users DROP COLUMN external_id;

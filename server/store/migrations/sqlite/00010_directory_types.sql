-- +goose Up
-- Lifecycle statuses are uppercase (STAGED, PROVISIONED, ACTIVE, RECOVERY,
-- LOCKED_OUT, PASSWORD_EXPIRED, SUSPENDED, DEPROVISIONED).
UPDATE users SET status = UPPER(status);

-- User types: a JSON Schema (2020-12) for the custom attributes of the
-- profile, and per-attribute flags beside it. name is unique per tenant;
-- each tenant gets the type named "default" on first use.
CREATE TABLE user_types (
    id         TEXT      NOT NULL PRIMARY KEY,
    tenant_id  TEXT      NOT NULL,
    name       TEXT      NOT NULL,
    schema     JSON_TEXT NOT NULL,
    attributes JSON_TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX user_types_tenant_id_name ON user_types (tenant_id, name);

-- Profile columns. email_folded and name_folded are the NFKC case-folded
-- forms that search matches prefixes of (login is stored folded already).
ALTER TABLE users ADD COLUMN type_id TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN profile JSON_TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN given_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN family_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN phone_verified BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN email_folded TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN name_folded TEXT NOT NULL DEFAULT '';
UPDATE users SET email_folded = LOWER(email), name_folded = LOWER(name);
CREATE INDEX users_tenant_id_type_id ON users (tenant_id, type_id);
CREATE INDEX users_tenant_id_email_folded ON users (tenant_id, email_folded);
CREATE INDEX users_tenant_id_name_folded ON users (tenant_id, name_folded);

-- Values of attributes flagged unique, normalized, one row per user and
-- attribute; the unique index enforces uniqueness within a type.
CREATE TABLE user_unique_attrs (
    tenant_id  TEXT NOT NULL,
    type_id    TEXT NOT NULL,
    attr       TEXT NOT NULL,
    value_norm TEXT NOT NULL,
    user_id    TEXT NOT NULL
);
CREATE UNIQUE INDEX user_unique_attrs_tenant_id_type_id_attr_value_norm ON user_unique_attrs (tenant_id, type_id, attr, value_norm);
CREATE INDEX user_unique_attrs_user_id ON user_unique_attrs (user_id);

-- Activation tokens, stored only as their keyed hash (secrets service MAC,
-- purpose "directory.activation"); single use, expiring.
CREATE TABLE user_activations (
    token_mac  BLOB      NOT NULL PRIMARY KEY,
    tenant_id  TEXT      NOT NULL,
    user_id    TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP NULL
);
CREATE INDEX user_activations_tenant_id_user_id ON user_activations (tenant_id, user_id);

-- Several credentials per user (passkeys); one password at most.
DROP INDEX credentials_user_id_type;
CREATE UNIQUE INDEX credentials_user_id_password ON credentials (user_id, type) WHERE type = 'password';
CREATE INDEX credentials_tenant_id_user_id ON credentials (tenant_id, user_id);
ALTER TABLE credentials ADD COLUMN verified BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE credentials ADD COLUMN label TEXT NOT NULL DEFAULT '';
UPDATE credentials SET verified = TRUE WHERE type = 'password';

-- Identities at identity providers linked to users.
CREATE TABLE linked_identities (
    tenant_id  TEXT      NOT NULL,
    idp_id     TEXT      NOT NULL,
    subject    TEXT      NOT NULL,
    user_id    TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX linked_identities_tenant_id_idp_id_subject ON linked_identities (tenant_id, idp_id, subject);
CREATE INDEX linked_identities_tenant_id_user_id ON linked_identities (tenant_id, user_id);

-- +goose Down
DROP TABLE linked_identities;
DROP INDEX credentials_tenant_id_user_id;
DROP INDEX credentials_user_id_password;
ALTER TABLE credentials DROP COLUMN label;
ALTER TABLE credentials DROP COLUMN verified;
CREATE UNIQUE INDEX credentials_user_id_type ON credentials (user_id, type);
DROP TABLE user_activations;
DROP TABLE user_unique_attrs;
DROP INDEX users_tenant_id_name_folded;
DROP INDEX users_tenant_id_email_folded;
DROP INDEX users_tenant_id_type_id;
ALTER TABLE users DROP COLUMN name_folded;
ALTER TABLE users DROP COLUMN email_folded;
ALTER TABLE users DROP COLUMN phone_verified;
ALTER TABLE users DROP COLUMN phone;
ALTER TABLE users DROP COLUMN family_name;
ALTER TABLE users DROP COLUMN given_name;
ALTER TABLE users DROP COLUMN profile;
ALTER TABLE users DROP COLUMN type_id;
DROP TABLE user_types;
UPDATE users SET status = LOWER(status);

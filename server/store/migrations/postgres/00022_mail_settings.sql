-- +goose Up
-- Per-tenant SMTP relays (server/mail): where a tenant's mail goes out and
-- its sender address; tenants without a row use the instance default from
-- configuration. The password is sealed by the secrets service, bound to
-- (tenant_id, "mail.smtp-password", tenant_id); empty when none is set.
-- tls is starttls, implicit or none.
CREATE TABLE mail_settings (
    tenant_id       TEXT      NOT NULL PRIMARY KEY,
    host            TEXT      NOT NULL,
    port            INTEGER   NOT NULL,
    username        TEXT      NOT NULL DEFAULT '',
    password_sealed BYTEA     NOT NULL,
    tls             TEXT      NOT NULL,
    from_addr       TEXT      NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE mail_settings;

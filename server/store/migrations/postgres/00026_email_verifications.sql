-- +goose Up
-- Email-verification tokens (server/directory, issue 10): a registration
-- with verification "after" creates the account at once and mails a link
-- that verifies its address. Stored only as the token's keyed hash
-- (secrets service MAC, purpose "directory.email-verification"), with the
-- address it verifies: a user whose address changed since is not
-- verified by it. Single use, expiring.
CREATE TABLE email_verifications (
    token_mac  BYTEA     NOT NULL PRIMARY KEY,
    tenant_id  TEXT      NOT NULL,
    user_id    TEXT      NOT NULL,
    email      TEXT      NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ NULL
);
CREATE INDEX email_verifications_tenant_id_user_id ON email_verifications (tenant_id, user_id);

-- +goose Down
DROP TABLE email_verifications;

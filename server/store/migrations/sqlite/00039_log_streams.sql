-- +goose Up
-- Log streams (server/logstream, issue 18): continuous export of the
-- system log to a customer's webhook for SIEM ingestion. tenant_id is the
-- tenant whose events the stream carries, NULL for an instance-wide
-- stream (every tenant's events and the instance's own). kind is
-- 'webhook'. secret_sealed is the HMAC key of the Lintel-Signature header,
-- sealed by the secrets service bound to (tenant_id or '',
-- "logstream.secret", id). types is a JSON array of event type patterns
-- (empty: every type); personal says whether events carry their personal
-- details (off: pseudonymous). cursor is the ID of the last event the
-- receiver accepted ('' before the first); status is 'active' or
-- 'disabled'; last_error is the last delivery failure, '' once delivery
-- succeeds again.
CREATE TABLE log_streams (
    id            TEXT      NOT NULL PRIMARY KEY,
    tenant_id     TEXT      NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT      NOT NULL,
    kind          TEXT      NOT NULL,
    url           TEXT      NOT NULL,
    secret_sealed BLOB      NOT NULL,
    types         JSON_TEXT NOT NULL,
    personal      BOOLEAN   NOT NULL,
    cursor        TEXT      NOT NULL,
    status        TEXT      NOT NULL,
    last_error    TEXT      NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX log_streams_tenant_id ON log_streams (tenant_id, id);
CREATE INDEX log_streams_status ON log_streams (status);

-- +goose Down
DROP TABLE log_streams;

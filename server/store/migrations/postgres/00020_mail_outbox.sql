-- +goose Up
-- The mail outbox (server/mail): one row per message to send. A row is
-- written in the transaction of the change that causes the mail, so a
-- crash loses nothing; delivery claims due rows with a lease
-- (claim_id, locked_until) so that nodes never send one row at once.
-- Addresses, subject and bodies are personal data (bodies may hold codes
-- and links): they stay only until Purge removes delivered and dead rows
-- after the retention. last_error never holds personal data.
CREATE TABLE mail_outbox (
    id              TEXT      NOT NULL PRIMARY KEY,
    tenant_id       TEXT      NOT NULL,
    kind            TEXT      NOT NULL,
    user_id         TEXT      NOT NULL DEFAULT '',
    to_addr         TEXT      NOT NULL,
    from_addr       TEXT      NOT NULL,
    subject         TEXT      NOT NULL,
    body_text       TEXT      NOT NULL,
    body_html       TEXT      NOT NULL DEFAULT '',
    status          TEXT      NOT NULL,
    attempts        BIGINT    NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claim_id        TEXT      NOT NULL DEFAULT '',
    locked_until    TIMESTAMPTZ NULL,
    last_error      TEXT      NOT NULL DEFAULT '',
    delivered_at    TIMESTAMPTZ NULL,
    finished_at     TIMESTAMPTZ NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_claim ON mail_outbox (claim_id);
CREATE INDEX mail_outbox_finished ON mail_outbox (finished_at);

-- +goose Down
DROP TABLE mail_outbox;

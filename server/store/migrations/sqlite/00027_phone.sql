-- +goose Up
-- Per-tenant SMS and voice providers (server/factor/phone). provider is
-- twilio or webhook; config is its JSON configuration without secrets:
-- twilio {"account_sid","from","messaging_service_sid","base_url",
-- "status_callback"}, webhook {"url"}. secret_sealed is the Twilio auth
-- token or the webhook signing secret, sealed by the secrets service bound
-- to (tenant_id, "phone.twilio-auth-token" or "phone.webhook-secret",
-- tenant_id). channels and countries are JSON arrays ("sms", "voice";
-- ISO 3166-1 alpha-2 codes): an empty country list allows no country.
-- The caps bound codes sent per number per hour and per day, per client
-- address (IPv6 by /64) per day and per tenant per day.
CREATE TABLE phone_settings (
    tenant_id       TEXT      NOT NULL PRIMARY KEY,
    provider        TEXT      NOT NULL,
    config          JSON_TEXT NOT NULL,
    secret_sealed   BLOB      NOT NULL,
    channels        JSON_TEXT NOT NULL,
    countries       JSON_TEXT NOT NULL,
    cap_number_hour INTEGER   NOT NULL,
    cap_number_day  INTEGER   NOT NULL,
    cap_ip_day      INTEGER   NOT NULL,
    cap_tenant_day  INTEGER   NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

-- The SMS and voice outbox (server/factor/phone): one row per message,
-- written in the transaction of the change that causes it; delivery
-- claims due rows with a lease (claim_id, locked_until). The body holds a
-- one-time code, so it is stored only sealed by the secrets service,
-- bound to (tenant_id, "phone.outbox-body", id), and emptied once the
-- message is sent or has failed for good. to_number (E.164) is personal
-- data, kept until Purge removes finished rows after the retention.
-- provider_id is the provider's ID of the sent message (a Twilio SID),
-- provider_status the last status its callbacks reported. last_error
-- never holds a number, a body or a secret.
CREATE TABLE phone_outbox (
    id                 TEXT      NOT NULL PRIMARY KEY,
    tenant_id          TEXT      NOT NULL,
    channel            TEXT      NOT NULL,
    to_number          TEXT      NOT NULL,
    country            TEXT      NOT NULL,
    locale             TEXT      NOT NULL DEFAULT '',
    body_sealed        BLOB      NOT NULL,
    status             TEXT      NOT NULL,
    attempts           INTEGER   NOT NULL DEFAULT 0,
    created_at         TIMESTAMP NOT NULL,
    next_attempt_at    TIMESTAMP NOT NULL,
    claim_id           TEXT      NOT NULL DEFAULT '',
    locked_until       TIMESTAMP NULL,
    last_error         TEXT      NOT NULL DEFAULT '',
    provider           TEXT      NOT NULL DEFAULT '',
    provider_id        TEXT      NOT NULL DEFAULT '',
    provider_status    TEXT      NOT NULL DEFAULT '',
    provider_status_at TIMESTAMP NULL,
    sent_at            TIMESTAMP NULL,
    finished_at        TIMESTAMP NULL
);
CREATE INDEX phone_outbox_due ON phone_outbox (status, next_attempt_at);
CREATE INDEX phone_outbox_claim ON phone_outbox (claim_id);
CREATE INDEX phone_outbox_finished ON phone_outbox (finished_at);
CREATE INDEX phone_outbox_provider ON phone_outbox (tenant_id, provider_id);

-- +goose Down
DROP TABLE phone_outbox;
DROP TABLE phone_settings;

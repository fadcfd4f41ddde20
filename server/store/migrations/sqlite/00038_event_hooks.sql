-- +goose Up
-- Event hooks (server/eventhooks, issue 18): a tenant's subscriptions to
-- its system log, delivered to its own HTTPS endpoints.
--
-- event_hooks: one row per subscription. event_types is a JSON list of
-- event types or prefixes ("user.*"), or ["*"] for every type.
-- secret_sealed is the signing secret ("lev_…") sealed by the secrets
-- service, bound to (tenant_id, "eventhooks.signing-secret", id);
-- previous_secret_sealed the secret it replaced, which still signs until
-- previous_secret_until (a rotation's grace), bound to purpose
-- "eventhooks.previous-signing-secret". status is unverified (no
-- handshake yet, or the URL changed), active (deliveries go out) or
-- disabled. cursor is the ID of the last event read from the log for
-- this hook ('' before the first); Enqueue only moves it forward.
CREATE TABLE event_hooks (
    id                     TEXT      NOT NULL PRIMARY KEY,
    tenant_id              TEXT      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name                   TEXT      NOT NULL,
    url                    TEXT      NOT NULL,
    event_types            JSON_TEXT NOT NULL,
    secret_sealed          BLOB      NOT NULL,
    previous_secret_sealed BLOB      NULL,
    previous_secret_until  TIMESTAMP NULL,
    status                 TEXT      NOT NULL,
    verified_at            TIMESTAMP NULL,
    cursor                 TEXT      NOT NULL DEFAULT '',
    created_at             TIMESTAMP NOT NULL,
    updated_at             TIMESTAMP NOT NULL
);
CREATE INDEX event_hooks_tenant_id ON event_hooks (tenant_id, id);
CREATE INDEX event_hooks_status ON event_hooks (status, id);

-- event_deliveries: the outbox of event hooks, one row per event and hook
-- (UNIQUE (hook_id, event_id): an event is enqueued once per hook, however
-- often the log is read). Claimed by delivery workers under a lease
-- (claim_id, locked_until) as server/queue does. payload is the exact JSON
-- body sent, built from the event's pseudonymous fields only (never its
-- personal details), so it holds no personal data; last_status is the
-- last HTTP status answered (0: none), last_error a summary that holds no
-- secret, URL or body. Finished rows (delivered, dead) are purged.
CREATE TABLE event_deliveries (
    id              TEXT      NOT NULL PRIMARY KEY,
    tenant_id       TEXT      NOT NULL,
    hook_id         TEXT      NOT NULL REFERENCES event_hooks (id) ON DELETE CASCADE,
    event_id        TEXT      NOT NULL,
    event_type      TEXT      NOT NULL,
    payload         BLOB      NOT NULL,
    status          TEXT      NOT NULL,
    attempts        INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claim_id        TEXT      NOT NULL DEFAULT '',
    locked_until    TIMESTAMP NULL,
    last_status     INTEGER   NOT NULL DEFAULT 0,
    last_error      TEXT      NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    delivered_at    TIMESTAMP NULL,
    finished_at     TIMESTAMP NULL
);
CREATE UNIQUE INDEX event_deliveries_hook_id_event_id ON event_deliveries (hook_id, event_id);
CREATE INDEX event_deliveries_due ON event_deliveries (status, next_attempt_at);
CREATE INDEX event_deliveries_claim ON event_deliveries (claim_id);
CREATE INDEX event_deliveries_finished ON event_deliveries (finished_at);
CREATE INDEX event_deliveries_tenant_status ON event_deliveries (tenant_id, status, id);

-- +goose Down
DROP TABLE event_deliveries;
DROP TABLE event_hooks;

-- +goose Up
-- The system log: one row per event. Events name people and things by
-- opaque ID only; personal data about a subject is sealed in `personal`
-- under that subject's key (subject_keys), which erasure destroys.
CREATE TABLE events (
    id          TEXT        NOT NULL PRIMARY KEY,
    occurred_at TIMESTAMPTZ NOT NULL,
    type        TEXT        NOT NULL,
    tenant_id   TEXT        NOT NULL,
    actor_type  TEXT        NOT NULL,
    actor_id    TEXT        NOT NULL,
    target_type TEXT        NOT NULL,
    target_id   TEXT        NOT NULL,
    outcome     TEXT        NOT NULL,
    request_id  TEXT        NOT NULL,
    details     JSONB       NULL,
    subject_id  TEXT        NOT NULL DEFAULT '',
    personal    BYTEA       NULL
);
CREATE INDEX events_tenant_time ON events (tenant_id, occurred_at);
CREATE INDEX events_tenant_type_time ON events (tenant_id, type, occurred_at);
CREATE INDEX events_tenant_actor_time ON events (tenant_id, actor_id, occurred_at);
CREATE INDEX events_time ON events (occurred_at);

-- Per-subject keys of the system log: a random AES-256 key sealed by the
-- secrets service (purpose "events.subject-key", row = subject_id). Erasure
-- empties `sealed`; the row stays as a tombstone so the key is never made
-- again.
CREATE TABLE subject_keys (
    subject_id TEXT        NOT NULL PRIMARY KEY,
    tenant_id  TEXT        NOT NULL,
    sealed     BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE subject_keys;
DROP TABLE events;

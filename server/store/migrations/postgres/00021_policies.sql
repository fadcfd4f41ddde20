-- +goose Up
-- Sign-on policies (server/policy, issue 9): one per app (app_id) and an
-- optional tenant default (app_id ''), used by apps without one of their
-- own. rules is the JSON array of the policy's rules in evaluation order:
-- each {name, condition, access, authenticators, factors,
-- reauthenticate_after (whole seconds)}. version is a random value every
-- write sets, so that compiled conditions are cached by (id, version) and
-- the value of a rolled-back write is never reused.
CREATE TABLE signon_policies (
    id         TEXT      NOT NULL PRIMARY KEY,
    tenant_id  TEXT      NOT NULL,
    app_id     TEXT      NOT NULL,
    rules      JSONB     NOT NULL,
    version    BIGINT    NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX signon_policies_tenant_id_app_id ON signon_policies (tenant_id, app_id);

-- The password policy of a tenant; a tenant without a row has the
-- defaults. lockout_duration is whole seconds, 0 meaning until an admin
-- unlocks; lockout_threshold 0 never locks.
CREATE TABLE password_policies (
    tenant_id         TEXT      NOT NULL PRIMARY KEY,
    min_length        BIGINT    NOT NULL,
    max_length        BIGINT    NOT NULL,
    blocklist         BOOLEAN   NOT NULL,
    history           BIGINT    NOT NULL,
    lockout_threshold BIGINT    NOT NULL,
    lockout_duration  BIGINT    NOT NULL,
    notify_lockout    BOOLEAN   NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);

-- The last password hashes (PHC strings) of each user, so that a new
-- password cannot be one used recently. seq counts a user's passwords
-- (1, 2, …); only the newest ones the policy's history keeps stay.
CREATE TABLE password_history (
    tenant_id  TEXT      NOT NULL,
    user_id    TEXT      NOT NULL,
    seq        BIGINT    NOT NULL,
    hash       TEXT      NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, user_id, seq)
);

-- Failed sign-ins of a user since the last success. locked_at is set when
-- the failures reached the policy's threshold; locked_until is when that
-- lock ends, NULL (with locked_at set) for a lock that lasts until an
-- admin unlocks. No row: no failures, no lock.
CREATE TABLE user_lockouts (
    tenant_id    TEXT      NOT NULL,
    user_id      TEXT      NOT NULL,
    failures     BIGINT    NOT NULL,
    locked_at    TIMESTAMPTZ NULL,
    locked_until TIMESTAMPTZ NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);

-- +goose Down
DROP TABLE user_lockouts;
DROP TABLE password_history;
DROP TABLE password_policies;
DROP TABLE signon_policies;

-- +goose Up
-- The devices (browsers) each user has signed in from (server/engine,
-- issue 15), to mail the account holder when a sign-in comes from one
-- the account has not been used on. device_mac is the keyed hash (the
-- secrets service's MAC, purpose "engine.device") of the random device
-- ID the browser keeps in a cookie: the ID is a bearer value and is never
-- stored. summary is a short description of the browser and system
-- ("Firefox on Linux"), never the raw User-Agent. A user keeps a bounded
-- number of devices, the least recently seen dropped first; rows go with
-- their user.
CREATE TABLE user_devices (
    tenant_id  TEXT      NOT NULL,
    user_id    TEXT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_mac BLOB      NOT NULL,
    summary    TEXT      NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen  TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, device_mac)
);
CREATE INDEX user_devices_tenant_id_user_id_last_seen ON user_devices (tenant_id, user_id, last_seen);

-- +goose Down
DROP TABLE user_devices;

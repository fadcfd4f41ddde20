-- +goose Up
-- What a session records of the browser it was started in, for people and
-- administrators to recognise it in a list (server/session): the client's
-- address as text (IPv6 whole) and its User-Agent, cut to 256 bytes; both
-- from sign-in or the last rotation, '' when unknown (and for sessions
-- started before this migration).
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sessions DROP COLUMN user_agent;
ALTER TABLE sessions DROP COLUMN ip;

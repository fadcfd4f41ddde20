-- +goose Up
-- Where an app starts a sign-in of its own (OpenID Connect's
-- initiate_login_uri): activation sends people there afterwards. '' for
-- none.
ALTER TABLE apps ADD COLUMN initiate_login_uri TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE apps DROP COLUMN initiate_login_uri;

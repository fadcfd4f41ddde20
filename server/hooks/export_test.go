package hooks

// LoginKey exports loginKey to the external tests.
var LoginKey = loginKey

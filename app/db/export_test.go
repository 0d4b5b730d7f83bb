package db

// Migrations is the schema's history, for tests that stop it part way.
var Migrations = migrations

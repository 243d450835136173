"""Real servers (Redis, PostgreSQL, ...) started on loopback for tests."""

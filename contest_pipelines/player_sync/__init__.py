"""Player sync (seed 000): the durable request queue in PostgreSQL and the worker that verifies
requests against Codeforces, credits detections exactly once and publishes the players' events."""

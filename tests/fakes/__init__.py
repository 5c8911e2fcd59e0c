"""Fakes of external services, served over real sockets for tests and benchmarks."""

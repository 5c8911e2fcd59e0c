"""The players' HTTP shim: authenticate, validate, rate-limit, write the request row, publish, answer."""

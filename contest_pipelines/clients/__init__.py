"""httpx clients for the external APIs; each is the only module that talks to its service."""

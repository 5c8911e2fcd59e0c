"""Op-based jobs: work that is not an asset materialisation (e.g. draining the sync queue)."""

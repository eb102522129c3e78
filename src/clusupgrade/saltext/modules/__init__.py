"""Salt execution modules (loaded by Salt from this directory)."""

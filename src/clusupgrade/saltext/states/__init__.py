"""Salt state modules (loaded by Salt from this directory)."""

"""One module per source; each reads, validates, then loads in one transaction."""

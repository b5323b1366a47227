"""Generate starter code, notebooks and dist/ bundles from one assignment source."""

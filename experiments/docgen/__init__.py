"""Generated parts of the docs: the scenario-key tables of docs/scenarios.md (from the schema
in `world.params`) and the what-if results table of docs/antitrust.md (from runs).
`compute-market docs` writes them; tests/test_docs.py fails when scenarios.md is stale."""

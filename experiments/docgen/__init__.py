"""Generated parts of the docs: the scenario-key tables of docs/scenarios.md (from the schema
in `world.params`; `compute-market docs scenarios`) and the what-if section of
docs/antitrust.md (from runs; `compute-market whatifs --write-docs docs/antitrust.md`).
tests/test_docs.py fails when scenarios.md is stale."""

"""Scenarios: loading TOML files (with `extends`), `--set` overrides and cross-field checks."""

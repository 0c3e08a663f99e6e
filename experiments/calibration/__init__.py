"""The sourced fact table (`facts.toml`), the calibration of uncertain parameters to it
(ABC-SMC), its posterior, and the ensembles drawn from it."""

"""The sourced fact table (`facts.toml`) and the calibration of uncertain parameters to it."""

"""One run: the pure entry point `run(scenario, rng) -> Results` and the results tables."""

"""Checks of the model: facts scored (targets) and shown (inputs), the out-of-sample backtest,
the seeds' story, docking with textbook equilibria, sensitivity."""

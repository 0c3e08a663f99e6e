"""Checks of the model: stylised facts, the seeds' story, docking with textbook equilibria,
sensitivity."""

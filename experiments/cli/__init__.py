"""The `compute-market` command line: the registry in `main.py`, one module per subcommand."""

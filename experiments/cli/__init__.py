"""The `compute-market` command line: one module per group of subcommands."""

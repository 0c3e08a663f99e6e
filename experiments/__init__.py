"""Running, storing and showing the model, one concern per folder: `scenario` (loading),
`run` (one run and its results), `batch` (ensembles and their store), `analysis` (what-if
comparisons), `calibration` (the sourced fact table, ABC-SMC, posterior ensembles),
`validation`, `figures` (and the report), `app`, `docgen` (generated docs) and
`cli` (the `compute-market` command, one module per subcommand)."""

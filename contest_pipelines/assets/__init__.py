"""Assets: one module per asset family, named for the data it holds."""

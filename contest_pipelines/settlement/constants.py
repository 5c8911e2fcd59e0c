"""Names the settlement's Dagster definitions share: its asset group and its check."""

SCORING_GROUP = "scoring"
LEDGER_CHECK = "ledger_matches_standings"

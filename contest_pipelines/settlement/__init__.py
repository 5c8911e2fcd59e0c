"""Settlement (seed 004): room status transitions, the exactly-once ledger of each room's result
into tournament and league standings, and the projection of committed results onto the boards."""

"""Progress reports of funded projects: requested by managers (or a per-call schedule), written by the
project's members, accepted or sent back by managers, published at their choice."""

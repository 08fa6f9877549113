"""Review: reviewers, assignments, conflict declarations, scores, ranking and decisions."""

"""Harvest bookkeeping: the normalised record the harvesters produce, its ingestion, runs and queries."""

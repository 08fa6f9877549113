"""The data version: one number, bumped by a trigger on every write to a table public pages show,
so every process can tell at once whether what it rendered is still current (HTTP caching)."""

from .harvester import GitHarvester

__all__ = ["GitHarvester"]

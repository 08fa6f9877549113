from .harvester import GitHubHarvester

__all__ = ["GitHubHarvester"]

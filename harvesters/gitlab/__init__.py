from .harvester import GitLabHarvester

__all__ = ["GitLabHarvester"]

"""The generic harvester: what every source shares, and the hook a source implements."""

from __future__ import annotations

import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

from registry.harvest.records import HarvestResult, Outcome, RepositoryTarget

from .config import HarvestConfig
from .errors import N_, HarvestError, RateLimitPause, RepositoryGone
from .stats import RequestStats

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Harvester(ABC):
    """One source. Subclasses implement `collect`; this class turns its errors into results.

    `collect` runs in a worker thread (the forge clients are synchronous), so it may block.
    """

    forge: ClassVar[str]
    label: ClassVar[str]  # shown in reasons: "GitHub", "GitLab (gitlab.com)", "Git"

    def __init__(self, config: HarvestConfig, stats: RequestStats) -> None:
        self.config = config
        self.stats = stats
        self.sleep: Callable[[float], None] = time.sleep
        self.clock: Callable[[], datetime] = utcnow

    @abstractmethod
    def collect(self, target: RepositoryTarget, *, full: bool) -> HarvestResult:
        """Fetch what changed and map it into a result; raise HarvestError on failure."""

    def harvest(self, target: RepositoryTarget, full: bool) -> HarvestResult:
        try:
            result = self.collect(target, full=full)
        except RateLimitPause as pause:
            result = HarvestResult(Outcome.DEFERRED, reason=pause.reason, retry_at=pause.retry_at)
        except RepositoryGone as gone:
            result = HarvestResult(Outcome.GONE, reason=gone.reason)
        except HarvestError as error:
            result = HarvestResult(Outcome.FAILED, reason=error.reason)
        except Exception as error:  # a bug must not stop the other repositories
            log.exception("harvest of %s crashed", target.url)
            result = HarvestResult(
                Outcome.FAILED,
                reason=N_("erreur inattendue pendant la collecte (%(kind)s)") % {"kind": type(error).__name__},
            )
        return result

    def backoff(self, attempt: int) -> None:
        """Exponential with jitter, so that retries of parallel workers do not line up."""
        pause = self.config.backoff_seconds * (2 ** (attempt - 1))
        self.sleep(pause * random.uniform(0.5, 1.5))

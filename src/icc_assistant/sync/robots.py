"""robots.txt of each host, read with Protego (Scrapy's parser): what may be fetched, how slowly.

Every URL of a host is tested against its rules, in the sync's own process: a plain prefix rule
costs next to nothing, but each wildcard (`*`) is a search through the URL, so half a megabyte
of wildcard rules costs a third of a second per URL. A robots.txt with more than
MAX_ROBOTS_WILDCARDS wildcards in its rules cannot be applied at a bounded cost; it counts as
unreachable, which for RFC 9309 means nothing may be fetched from the host this run (the site
can only keep itself from being read).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import structlog
from protego import Protego

log = structlog.get_logger(__name__)

# The token robots.txt groups are matched against ("User-agent: icc-assistant").
ROBOTS_AGENT = "icc-assistant"
# Wildcards (`*`) in Allow and Disallow rules, all groups together: about 1.5 ms per URL checked
# at this many (real files have tens). Past it the file counts as unreachable.
MAX_ROBOTS_WILDCARDS = 2000
_USER_AGENT_LINE = re.compile(r"\s*user[- ]?agent", re.IGNORECASE)


@dataclass(frozen=True)
class RobotsRules:
    """One host's rules. `policy` says where they came from: the file, none (4xx: everything
    allowed) or unreachable (5xx, network error: nothing allowed this run, as RFC 9309 says)."""

    parser: Protego | None
    policy: str

    @classmethod
    def from_response(cls, status: int | None, text: str) -> RobotsRules:
        """Rules from the robots.txt response (status None: it could not be fetched)."""
        if status is not None and 200 <= status < 300:
            wildcards = count_wildcards(text)
            if wildcards > MAX_ROBOTS_WILDCARDS:
                log.warning("robots.txt too costly to apply; the host counts as unreachable",
                            wildcards=wildcards, limit=MAX_ROBOTS_WILDCARDS)  # fmt: skip
                return cls(None, "unreachable")
            return cls(Protego.parse(text), "file")
        if status is not None and 400 <= status < 500:
            return cls(None, "none")
        return cls(None, "unreachable")

    def allows(self, url: str) -> bool:
        """True when robots.txt lets this crawler fetch `url`."""
        if self.parser is None:
            return self.policy == "none"
        return bool(self.parser.can_fetch(url, ROBOTS_AGENT))

    def delay(self) -> float:
        """Seconds robots.txt asks between two requests (Crawl-delay or Request-rate), or 0."""
        if self.parser is None:
            return 0.0
        delay = self.parser.crawl_delay(ROBOTS_AGENT) or 0.0
        rate = self.parser.request_rate(ROBOTS_AGENT)
        if rate is not None and rate.requests:
            delay = max(delay, rate.seconds / rate.requests)
        return float(delay)


def count_wildcards(text: str) -> int:
    """Wildcards (`*`) in the rules of a robots.txt: every line but User-agent lines and
    comments (a Sitemap URL with a `*` counts too; no real one has many)."""
    lines = (line.partition("#")[0] for line in text.splitlines())
    return sum(line.count("*") for line in lines if not _USER_AGENT_LINE.match(line))

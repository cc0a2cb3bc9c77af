"""robots.txt of each host, read with Protego (Scrapy's parser): what may be fetched, how slowly."""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

# The token robots.txt groups are matched against ("User-agent: icc-assistant").
ROBOTS_AGENT = "icc-assistant"


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

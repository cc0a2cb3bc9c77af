"""The data files the package ships say where they come from and hold what they claim."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from importlib import resources
from typing import Any

import pycountry


def load_members() -> dict[str, Any]:
    raw = resources.files("icc_assistant").joinpath("data/members.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def folded(name: str) -> str:
    """The name without case or accents, so "Neuchatel" and "Neuchâtel" count as one."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def test_member_list_names_its_source_and_dates() -> None:
    """members.json says what list it is, where that list is published and when it was
    compiled (and read against the source, once someone has)."""
    source = load_members()["source"]
    assert source["published_at"].startswith("https://www.coe.int/")
    assert source["compiled"] and "read_from_source" in source


def test_member_list_has_one_entry_per_city_with_a_real_country() -> None:
    """Every member has a name and an ISO 3166-1 alpha-2 country, and no city is listed twice,
    whatever its accents or case."""
    members = load_members()["members"]
    assert len(members) > 100
    assert all(set(m) == {"name", "country"} and m["name"].strip() for m in members)
    assert all(pycountry.countries.get(alpha_2=m["country"]) for m in members)
    twice = [key for key, n in Counter(folded(m["name"]) for m in members).items() if n > 1]
    assert twice == []

"""The URL rules of the web sync: one spelling per page, traps never requested, scope."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from icc_assistant.sync.links import read_links
from icc_assistant.sync.urls import Scope, language_of, normalise_url, trap_reason, variant_key

SITE = "https://www.coe.int/en/web/interculturalcities"
PORTLET = "_com_liferay_asset_publisher_web_portlet_AssetPublisherPortlet_INSTANCE_ab12"


@pytest.mark.parametrize(
    "variant",
    [
        f"{SITE}/good-practice?start=2&delta=75",
        "HTTPS://WWW.COE.INT:443/en/web/interculturalcities/good-practice?delta=75&start=2#top",
        f"{SITE}/good-practice?delta=75&start=2&utm_source=newsletter&fbclid=x1",
        f"{SITE}/good-practice?delta=75&start=2&orderByCol=title&orderByType=desc",
        f"{SITE}/good-practice?delta=75&start=2&p_r_p_categoryId=1234&{PORTLET}_orderByCol=x",
        f"{SITE}/good-practice?delta=75&start=2&p_p_lifecycle=0&p_p_state=normal&p_p_mode=view",
        f"{SITE}/good-practice?delta=75&start=2&redirect=%2Fen%2Fweb&inheritRedirect=false",
    ],
)
def test_variants_of_a_list_page_collapse_to_one_url(variant: str) -> None:
    """Tracking, sort, filter, back-link and normal-view portlet parameters do not make a new
    page; the parameters that page through the list stay."""
    assert normalise_url(variant) == f"{SITE}/good-practice?delta=75&start=2"


@given(
    st.lists(
        st.sampled_from(["start=2", "delta=10", "utm_medium=x", "sort=asc", "q=", "cur=3"]),
        max_size=6,
    ),
    st.sampled_from(["", "#top"]),
)
def test_normalising_twice_changes_nothing(params: list[str], fragment: str) -> None:
    """A normalised URL is its own normal form, whatever order its parameters came in."""
    url = normalise_url(f"{SITE}/good-practice?{'&'.join(params)}{fragment}")
    assert url is not None and normalise_url(url) == url
    assert normalise_url(f"{SITE}/good-practice?{'&'.join(reversed(params))}") == url


@pytest.mark.parametrize(
    "link",
    [
        "https://www.coe.int/c/portal/update_language?p_l_id=1&redirect=%2Fen&languageId=fr_FR",
        "https://www.coe.int/c/portal/login?p_l_id=1",
        f"{SITE}/share?url=x",
        f"{SITE}/-/news?p_p_state=pop_up&p_p_mode=print",
        f"{SITE}/-/news?p_p_id=x&p_p_lifecycle=1&javax.portlet.action=vote",
        f"{SITE}/logo.png",
        f"{SITE}/annex.docx",
    ],
)
def test_traps_are_recognised(link: str) -> None:
    """Language switch, login, share, print, portlet actions and non-documents are traps."""
    assert trap_reason(link) is not None


@pytest.mark.parametrize(
    "link",
    [
        f"{SITE}/good-pratice/-/asset_publisher/ab12/content/anti-rumour-barcelona",
        f"{SITE}/good-practice?delta=75&start=2",
        "https://rm.coe.int/ansan-intercultural-city-index-2020/1680a0ba0e",
        "https://rm.coe.int/report.pdf",
    ],
)
def test_pages_and_pdfs_are_not_traps(link: str) -> None:
    """Detail pages, list pages and documents are fetched."""
    assert trap_reason(link) is None


def test_language_versions_share_a_variant_key() -> None:
    """The English and French URLs of one practice give one key and their own language."""
    english = f"{SITE}/-/democratic-citizenship"
    french = english.replace("/en/", "/fr/")
    assert (
        variant_key(english)
        == variant_key(french)
        == ("www.coe.int/web/interculturalcities/-/democratic-citizenship")
    )
    assert (language_of(english), language_of(french)) == ("en", "fr")
    assert language_of("https://rm.coe.int/1680a0ba0e") is None


def test_scope_defaults_to_the_start_pages_folders() -> None:
    """Without --allow a sync stays under each start page's folder."""
    scope = Scope.of([f"{SITE}/good-practice"], [])
    assert scope.allows(f"{SITE}/-/news")
    assert not scope.allows("https://www.coe.int/en/web/portal/home")
    assert not scope.allows("https://rm.coe.int/report")


def test_list_pages_are_followed_not_indexed() -> None:
    """A page of links, or one paging through a list, is a hub; an article is not; a
    robots meta tag is obeyed."""
    links = "".join(
        f'<li><a href="/p{n}">Practice number {n} in a city</a></li>' for n in range(30)
    )
    hub = read_links(f"<html><body><h1>Good practices</h1><ul>{links}</ul></body></html>", SITE)
    assert hub.is_hub and len(hub.links) == 30
    text = "<p>" + "Barcelona trains anti-rumour agents in every district. " * 8 + "</p>"
    article = read_links(f"<html><body>{text}<a href='/list'>Back</a></body></html>", SITE)
    assert not article.is_hub and article.links == ("https://www.coe.int/list",)
    paged = read_links(f"<html><body>{text}</body></html>", f"{SITE}/good-practice?start=3")
    assert paged.is_hub
    closed = '<html><head><meta name="robots" content="noindex, nofollow"></head><body>'
    hidden = read_links(f"{closed}{text}<a href='/x'>x</a></body></html>", SITE)
    assert not hidden.index and not hidden.follow and hidden.links == ()

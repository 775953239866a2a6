"""``gitnews add --front`` warns when the page looks like an article rather than a front
(its og:type, its URL, few article links), and says what to do; a real front gives no
warning.  Real pages (tests/data), the real command, the loopback proxy."""

from __future__ import annotations

from conftest import DATA, init_test_archive, run_gitnews
from politeserver import Reply

from gitnews.sources.fronts import Front, Story, article_page_signs, parse_front

BBC_ARTICLE = "http://news.bbc.co.uk/1/hi/england/bradford/6072486.stm"
ARTICLE_PAGE = DATA / "scenarios" / "true-versions" / "pages" / "6072486-A.html"
CDR_URL = "http://www.christiandailyreporter.com/"
CDR_PAGE = DATA / "fronts" / "christiandailyreporter-index_20180527T060003-0500.html"


def test_article_page_signs_on_real_pages() -> None:
    article = ARTICLE_PAGE.read_bytes()
    assert article_page_signs(article, parse_front(article, url=BBC_ARTICLE)) == [
        "its URL looks like an article's"]
    home = CDR_PAGE.read_bytes()
    assert article_page_signs(home, parse_front(home, url=CDR_URL)) == []


def test_og_type_article_and_few_links_are_signs() -> None:
    body = (b'<html><head><meta property="og:type" content="article"></head><body>'
            b'<a href="/news/2024/one-two-three">One</a></body></html>')
    front = Front(source="http://example.com/", url="http://example.com/",
                  stories=[Story(1, "One", "http://example.com/news/2024/one-two-three")])
    assert article_page_signs(body, front) == ["its og:type is article",
                                               "it links to only 1 article"]


def test_add_front_warns_of_an_article_page(polite_proxy, tmp_path) -> None:
    polite_proxy.route(BBC_ARTICLE, Reply(body=ARTICLE_PAGE.read_bytes()))
    polite_proxy.route(CDR_URL, Reply(body=CDR_PAGE.read_bytes()))
    archive = init_test_archive(tmp_path / "a", retries=0)
    env = polite_proxy.env()
    added = run_gitnews("add", "--front", "--archive", str(archive), BBC_ARTICLE, env=env)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith(f"FRONT    {BBC_ARTICLE}: a front with")
    assert (f"gitnews: warning: {BBC_ARTICLE}: this page looks like an article, not a front "
            "(its URL looks like an article's)") in added.stderr
    assert f"gitnews add --article {BBC_ARTICLE}" in added.stderr
    home = run_gitnews("add", "--front", "--archive", str(archive), CDR_URL, env=env)
    assert home.returncode == 0, home.stderr
    assert "warning" not in home.stderr

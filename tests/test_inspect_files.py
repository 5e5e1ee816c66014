"""`necwatch inspect FILE` on files that are not one post page (issue 21): a file over the run's size
cap is read only up to the cap and refused as a run refuses such a page, a binary file is "not HTML"
(named by its first bytes), a home page of post cards is a listing whose post links are printed,
and a failure is printed once."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner, Result

from necwatch.cli import cli
from necwatch.config import Config
from necwatch.errors import ResponseTooLarge
from necwatch.inspection import inspect, inspect_target, load_target, not_html

CAP = Config().fetch.max_bytes  # 10 MiB: what a run reads of one response at most

PARAS = (
    "<p>The NEC met on Tuesday and began with tributes to members who had died since the last meeting.</p>"
    "<p>The general secretary reported on party finances and on the preparations for the elections.</p>"
    "<p>The organisation committee agreed the timetable for selections in the remaining seats.</p>"
    "<p>Questions were raised about the handling of complaints, and a paper will come to the next meeting,"
    " with figures on how long cases take and how many are still open after six months.</p>"
    "<p>That is all from this meeting; as ever, get in touch if you have questions about any of it.</p>"
)
POST = (
    "<!doctype html><html><head><title>NEC report, March 2025 – Jo Member</title>"
    '<meta property="og:type" content="article"></head><body><main><article>'
    "<h1>NEC report, March 2025</h1><p>By Jo Member, 12 March 2025</p>" + PARAS + "</article>"
    # related posts below the body: cards, but the page is one post
    '<section><h3>More from this blog</h3><a href="/2025/02/nec-feb/"><h4>NEC report, February</h4>'
    '<p>Short teaser.</p></a><a href="/2025/01/nec-jan/"><h4>NEC report, January</h4><p>Teaser.</p></a>'
    "</section></main></body></html>"
)
# A hand-made home page: every post is a card whose link wraps its heading (no <h2><a> anywhere).
HOME = """<!doctype html><html><head><title>Jo Member's blog</title>
<meta property="og:type" content="website"></head><body>
<header><a href="/"><h1>Jo Member</h1></a><nav><a href="/about/"><h3>About</h3></a></nav></header>
<main class="grid">
  <a class="card" href="/posts/nec-report-march-2025/"><div class="card-body">
    <h2>NEC report, March 2025</h2><time>12 March 2025</time>
    <p>The NEC met on Tuesday and began with tributes to members.</p></div></a>
  <a class="card" href="/posts/nec-report-february-2025/"><div class="card-body">
    <h2>NEC report, February 2025</h2><time>11 February 2025</time>
    <p>A long meeting on finances and selections.</p></div></a>
  <a class="card" href="/posts/canvassing/"><div class="card-body">
    <h2>Canvassing in the rain</h2><time>1 February 2025</time>
    <p>Thanks to everyone who came out on Saturday.</p></div></a>
</main>
<footer><p>Jo Member is a member of Labour's NEC. Views are her own.</p></footer>
</body></html>"""


def _png() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0\0\0\0")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["inspect", *args])


def test_a_20_mb_file_is_read_only_up_to_the_cap_and_refused_like_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a saved page of 20 MB: a post followed by an inline image (what "save page, complete" makes)
    big = tmp_path / "saved.html"
    with big.open("wb") as f:
        f.write(POST.replace("</article>", '<img src="data:image/png;base64,').encode())
        f.write(b"A" * 20_000_000)
        f.write(b'"></article></body></html>')
    read: list[int] = []
    real_open = Path.open

    def counting_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> IO[Any]:
        f = real_open(self, mode, *args, **kwargs)
        if self == big:
            real_read = f.read

            def read_and_count(n: int = -1) -> Any:
                data = real_read(n)
                read.append(len(data))
                return data

            f.read = read_and_count  # type: ignore[method-assign]
        return f

    monkeypatch.setattr(Path, "open", counting_open)
    with pytest.raises(ResponseTooLarge) as e:
        load_target(str(big), None, None)
    assert sum(read) == CAP + 1  # the cap and one byte to know there is more: never the 20 MB
    assert e.value.bytes_read == CAP and e.value.kind == "too_large"
    assert f"over the {CAP:,}-byte cap of a run" in str(e.value) and "cut" in str(e.value)

    result = run(str(big))
    assert result.exit_code == 1
    assert f"only the first {CAP:,} bytes were read" in result.stderr
    assert result.stderr.count("extraction failed") == 1 and "too_large" not in result.stdout


def test_the_cap_is_the_configs_and_a_file_under_it_is_read_whole(tmp_path: Path) -> None:
    page = tmp_path / "post.html"
    page.write_text(POST, encoding="utf-8")
    size = page.stat().st_size
    small = Config.model_validate({"fetch": {"max_bytes": size - 1}})
    cut = inspect(str(page), "https://jo.example/2025/03/nec-march/", config=small)
    assert cut.error is not None and "too_large" in cut.error and f"first {size - 1:,} bytes" in cut.error
    assert cut.posts == []
    whole = inspect(str(page), "https://jo.example/2025/03/nec-march/", config=Config.model_validate({}))
    assert whole.error is None and whole.kind == "post"
    (post,) = whole.posts
    assert post["title"].startswith("NEC report, March 2025")
    assert "organisation committee" in post["body_text"]


def test_a_png_is_not_html(tmp_path: Path) -> None:
    image = tmp_path / "screenshot.html"  # the name does not matter: the bytes say what it is
    image.write_bytes(_png())
    result = run(str(image), "--json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["posts"] == [] and "not HTML: a PNG image" in out["error"]
    assert result.stderr == ""  # with --json the JSON carries the failure: printed once
    human = run(str(image))
    assert human.exit_code == 1 and human.stderr.count("not HTML: a PNG image") == 1


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        (zlib.compress(b"<html></html>", wbits=31), "gzip-compressed data"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "a WebP image"),
        (b"\x00\x01\x02\x03" * 100, "binary data"),
    ],
)
def test_other_binaries_are_named(data: bytes, named: str) -> None:
    assert (not_html(data) or "").startswith(named)


@pytest.mark.parametrize(
    "text",
    [POST, HOME, '<?xml version="1.0"?><rss version="2.0"></rss>', "\ufeffplain text, café", "<p>Tab\t</p>"],
)
def test_pages_feeds_and_text_are_not_binary(text: str) -> None:
    assert not_html(text.encode("utf-8")) is None


def test_a_home_page_of_cards_is_a_listing_with_its_post_links(tmp_path: Path) -> None:
    home = tmp_path / "home.html"
    home.write_text(HOME, encoding="utf-8")
    result = run(str(home), "--url", "https://jo.example/", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["kind"] == "listing" and out["posts"] == []
    assert out["links"] == [
        {"url": "https://jo.example/posts/nec-report-march-2025/", "title": "NEC report, March 2025"},
        {"url": "https://jo.example/posts/nec-report-february-2025/", "title": "NEC report, February 2025"},
        {"url": "https://jo.example/posts/canvassing/", "title": "Canvassing in the rain"},
    ]  # the site title and the navigation are not posts
    human = run(str(home), "--url", "https://jo.example/")
    assert human.exit_code == 0 and "kind: listing" in human.stdout
    assert "3 post links: a listing of posts, not one post" in human.stdout
    assert "https://jo.example/posts/nec-report-march-2025/   NEC report, March 2025" in human.stdout
    assert "title:" not in human.stdout  # not extracted as one post


def test_a_post_with_related_cards_is_still_a_post(tmp_path: Path) -> None:
    page = tmp_path / "post.html"
    page.write_text(POST.replace(' property="og:type" content="article"', ' name="x"'), encoding="utf-8")
    result = run(str(page), "--url", "https://jo.example/2025/03/nec-march/", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["kind"] == "post" and "links" not in out
    assert out["posts"][0]["title"].startswith("NEC report, March 2025")


def test_a_failure_is_printed_once(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_text("<html><head><title>Nothing</title></head><body></body></html>", encoding="utf-8")
    result = run(str(empty))
    assert result.exit_code == 1
    assert "FAILED" not in result.stdout and "post body" not in result.stdout
    assert result.stderr.count("extraction failed") == 1 and result.stderr.count("post body") == 1
    as_json = run(str(empty), "--json")
    assert as_json.exit_code == 1 and as_json.stderr == ""
    assert "post body" in json.loads(as_json.stdout)["error"]


def inspect_text(page: str, url: str) -> Any:
    return inspect_target(page, url)


def _card_page(body: str, *, body_class: str = "") -> str:
    head = "<!doctype html><html><head><title>Blog</title></head>"
    return f"{head}<body class='{body_class}'>{body}</body></html>"


WP_ARTICLE = (
    "<article class='post type-post'><header class='entry-header'><h2 class='entry-title'>"
    "<a href='/{y}/{slug}/' rel='bookmark'>{title}</a></h2></header>"
    "<div class='entry-summary'><p>{title}: the excerpt of the post, a sentence or two.</p></div>"
    "<footer class='entry-footer'><a href='/category/nec/'>NEC</a></footer></article>"
)
GHOST_CARD = (
    "<article class='post-card'><a class='post-card-image-link' href='/{slug}/'><img src='/i.jpg' alt=''></a>"
    "<div class='post-card-content'><a class='post-card-content-link' href='/{slug}/'>"
    "<header class='post-card-header'><h2 class='post-card-title'>{title}</h2></header>"
    "<section class='post-card-excerpt'><p>{title}: what the post is about.</p></section></a></div></article>"
)
HUGO_ITEM = (
    "<li><a href='/posts/{slug}/'><span class='post-title'>{title}</span> <time>2025-03-0{y}</time></a></li>"
)
POSTS = [("nec-march", "NEC report, March"), ("nec-february", "NEC report, February"), ("ward", "Ward news")]


def _cards(template: str) -> str:
    return "".join(template.format(y=i + 1, slug=slug, title=title) for i, (slug, title) in enumerate(POSTS))


@pytest.mark.parametrize(
    ("page", "prefix"),
    [
        # WordPress excerpts (heading holds the link, inside the article's own header); the body's
        # layout classes and a sidebar widget of recent posts do not count
        (
            _card_page(
                "<div class='content-sidebar-wrap'><main class='site-main'>" + _cards(WP_ARTICLE) + "</main>"
                "<aside class='widget-area'><section class='widget widget_recent_entries'><h2>Recent</h2>"
                "<ul><li><h3><a href='/old/'>An old post</a></h3></li></ul></section></aside></div>",
                body_class="home blog has-sidebar no-widgets has-main-navigation",
            ),
            "/",
        ),
        (
            _card_page(
                "<main class='site-main'><div class='post-feed'>" + _cards(GHOST_CARD) + "</div></main>"
            ),
            "/",
        ),
        (_card_page("<h1>Posts</h1><ul class='posts'>" + _cards(HUGO_ITEM) + "</ul>"), "/posts/"),
    ],
    ids=["wordpress-excerpts", "ghost-cards", "hugo-list"],
)
def test_listing_markups(page: str, prefix: str) -> None:
    result = inspect_text(page, "https://jo.example/")
    assert result.kind == "listing", result.as_json()
    assert [link["title"] for link in result.links] == [title for _, title in POSTS]
    assert all(urlsplit(link["url"]).path.startswith(prefix) for link in result.links)


def test_a_post_with_an_author_box_and_more_posts_is_not_a_listing() -> None:
    # no class says "related": the post's own prose outside the cards decides
    related = "".join(
        f"<article class='card'><a href='/{slug}/'><h3>{title}</h3><p>{title}: a teaser.</p></a></article>"
        for slug, title in POSTS
    )
    page = _card_page(
        "<main><article><h1>NEC report, April</h1>" + PARAS + "<div class='author-box'><h4>"
        "<a href='/author/jo/'>Jo Member</a></h4><p>Jo sits on the NEC.</p></div></article>"
        + related
        + "</main>"
    )
    result = inspect_text(page, "https://jo.example/nec-april/")
    assert result.kind == "post" and not result.links


def test_a_served_image_is_not_html_either(tmp_path: Path) -> None:
    from tests.sources.blogsites import serve

    web = serve(tmp_path, {"https://jo.example/2025/03/photo/": (_png(), "image/png")})
    config = tmp_path / "config.yaml"
    config.write_text(f"allow_private_addresses: true\ndatabase: {tmp_path / 'n.db'}\n", encoding="utf-8")
    try:
        result = run(web.local("https://jo.example/2025/03/photo/"), "--config", str(config))
    finally:
        web.stop()
    assert result.exit_code == 1
    assert result.stderr.count("not HTML: a PNG image") == 1 and result.stderr.count("extraction failed") == 1


def test_a_file_is_decoded_as_a_response_is(tmp_path: Path) -> None:
    # an old blog's page saved in windows-1252, as its <meta charset> says
    page = tmp_path / "old.html"
    page.write_bytes(
        POST.replace("<head>", "<head><meta charset='windows-1252'>")
        .replace("party finances", "party finances (£2.1m short)")
        .encode("cp1252")
    )
    result = inspect(str(page), "https://jo.example/2010/03/nec-march/")
    assert result.error is None and "(£2.1m short)" in result.posts[0]["body_text"]


def test_bootstrap_cards_with_h5_titles_are_a_listing() -> None:
    card = (
        "<div class='col'><div class='card'>"
        "<a href='/{slug}/'><img class='card-img-top' src='/i.jpg' alt=''></a>"
        "<div class='card-body'><h5 class='card-title'><a href='/{slug}/'>{title}</a></h5>"
        "<p class='card-text'>{title}: a line about it.</p></div></div></div>"
    )
    result = inspect_text(
        _card_page("<div class='container'><div class='row'>" + _cards(card) + "</div></div>"),
        "https://jo.example/",
    )
    assert result.kind == "listing" and [link["url"] for link in result.links] == [
        f"https://jo.example/{slug}/" for slug, _ in POSTS
    ]

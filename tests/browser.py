"""The blog's side of the contract, in a real browser.

``jekyll_build`` in conftest proves that the archive builds; what a reader gets is decided
later, by the theme's layouts and the browser. So this module builds the archive inside a
small site that prints ``page.title`` where the Hux theme (Huxpro/huxpro.github.io) prints
it, serves the result on 127.0.0.1 as GitHub Pages would under ``/blog/``, and lets headless
Chromium say what it shows, what it loaded and whether any script ran.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, CDPSession, ConsoleMessage, Dialog

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, not one Playwright downloads; nothing in the background reaches out.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
BASEURL = "/blog"
# A page in standards mode, as WeChat's are and the blog's layouts are: Chromium's parser
# closes a paragraph at a table there, and its style sheet lets a table inherit the text's
# weight (in quirks mode, neither)
STANDARD = "<!DOCTYPE html>"

# What Hux does that matters to us, and nothing else:
# - the site's build settings: kramdown reading GFM (Jekyll's default, which Hux sets
#   explicitly), China time, a baseurl, and strict front matter as the blog builds;
# - page.title printed raw: as text in <title> and <h1>, and inside double-quoted attribute
#   values (og:title, description, and the pager's title="" of the neighbouring posts); and,
#   as other themes do, inside a single-quoted one (twitter:title);
# - the tags printed raw into a link, its title attribute and its text;
# - the first paragraph, stripped of tags, inside the og:description attribute;
# - the post's HTML inside <div class="post-container">;
# - the tag index (tags.html, /tags/): every tag as a link of the tag cloud, then each tag's
#   posts under it, their titles printed raw;
# - the archive page (archive.html, /archive/), where the featured tags lead: its tag
#   buttons filter the posts by their data-tags, through jQuery (ARCHIVE_PAGE);
# - the search index (search.json): every post's title and tags printed raw into JSON strings;
# - the feed (feed.xml, RSS): the latest posts' titles, HTML and tags, XML-escaped;
# - the featured tags under every post (_includes/featured-tags.html): each tag printed raw
#   into a link, the links captured as one string, split at "__SEPARATOR__" and sorted;
# - the side catalog, on every post since Hux 1.9 (``catalog: false`` no longer turns it off:
#   only ``no-catalog`` does): _includes/footer.html's generateCatalog reads each heading of
#   the post's HTML as text and writes that text back as HTML, a link to the heading.
# Left out: CSS, the other scripts, navigation, comments, header images (none of it prints
# post data), and <body ontouchstart="">, whose empty handler would hide injected ones.
CONFIG = f"""\
timezone: Asia/Shanghai
baseurl: {BASEURL}
strict_front_matter: true
featured-tags: true
featured-condition-size: 1
markdown: kramdown
kramdown:
  input: GFM
"""

# Hux's generateCatalog, without jQuery: $('<a …>' + $(h).text() + '</a>') is innerHTML.
CATALOG_SCRIPT = """\
<script>
document.querySelector('.catalog-body').innerHTML = [...document.querySelectorAll(
  'div.post-container h1, div.post-container h2, div.post-container h3, '
  + 'div.post-container h4, div.post-container h5, div.post-container h6')].map(h =>
  '<li class="' + h.localName + '_nav"><a href="#' + h.id + '" rel="nofollow">'
  + h.textContent + '</a></li>').join('');
</script>
"""
DEFAULT_LAYOUT = """\
<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{{ page.title }}</title>
<meta name="description" content="{{ page.title }}">
<meta property="og:title" content="{{ page.title }}">
<meta name="twitter:title" content='{{ page.title }}'>
<meta property="og:description" content="{{ page.excerpt | strip_html | truncate: 200 }}">
</head>
<body>
{{ content }}
</body>
</html>
"""

POST_LAYOUT = """\
---
layout: default
---
<header>
<div class="tags">
{% for tag in page.tags %}<a class="tag" href="{{ site.baseurl }}/tags/#{{ tag }}" title="{{ tag }}">{{ tag }}</a>
{% endfor %}</div>
<h1>{{ page.title }}</h1>
</header>
<article>
<div class="post-container">{{ content }}</div>
<ul class="pager">
{% if page.previous.url %}<li class="previous"><a href="{{ page.previous.url | prepend: site.baseurl }}" title="{{ page.previous.title }}">Previous<br><span>{{ page.previous.title }}</span></a></li>{% endif %}
{% if page.next.url %}<li class="next"><a href="{{ page.next.url | prepend: site.baseurl }}" title="{{ page.next.title }}">Next<br><span>{{ page.next.title }}</span></a></li>{% endif %}
</ul>
</article>
<section class="featured-tags">
{% capture tags %}
{% for tag in site.tags %}{% if tag[1].size > site.featured-condition-size %}
        <a data-sort="{{ site.posts.size | minus: tag[1].size | prepend: '0000' | slice: -4, 4 }}"
            href="{{ site.baseurl }}/archive/?tag={{ tag[0] | url_encode }}"
            title="{{ tag[0] }}"
            rel="{{ tag[1].size }}">{{ tag[0] }}</a>__SEPARATOR__
{% endif %}{% endfor %}
{% endcapture %}
{{ tags | split:'__SEPARATOR__' | sort }}
</section>
<ul class="catalog-body"></ul>
""" + CATALOG_SCRIPT


TAGS_PAGE = """\
---
layout: default
title: Tags
permalink: /tags/
---
<div id="tag_cloud">
{% for tag in site.tags %}<a href="#{{ tag[0] }}" title="{{ tag[0] }}" rel="{{ tag[1].size }}">{{ tag[0] }}</a>
{% endfor %}</div>
{% for tag in site.tags %}<div class="one-tag-list">
<span class="listing-seperator" id="{{ tag[0] }}">{{ tag[0] }}</span>
{% for post in tag[1] %}<div class="post-preview"><a href="{{ post.url | prepend: site.baseurl }}"><h2 class="post-title">{{ post.title }}</h2></a></div>
{% endfor %}</div>
{% endfor %}
"""
TAG_INDEX = f"{BASEURL}/tags/index.html"
# Hux's archive page (archive.html, /archive/), where its featured tags lead: a button per tag
# and every post, each holding its tags, stripped and URL-encoded, joined by "," in data-tags;
# and what its js/archive.js decides of them, with jQuery as Hux has it: a button's
# data-encode and a post's data-tags read by jQuery's .data(), which reads "2024" as a number,
# "true" as a boolean, and the post shown when one of its tags, split at ",", is the button's.
ARCHIVE_SCRIPT = f"""\
<script src="{BASEURL}/js/jquery.min.js"></script>
<script>
$(function () {{
  function select(tag) {{
    $('.js-result .item').each(function () {{
      $(this).toggle(!tag || $(this).data('tags').split(',').indexOf(tag) >= 0);
    }});
  }}
  select();
  $('.js-tags').on('click', 'a', function () {{ select($(this).data('encode')); }});
}});
</script>
"""
ARCHIVE_PAGE = """\
---
layout: default
title: Archive
permalink: /archive/
---
<div class="js-tags">
{% for tag in site.tags %}<a class="tag-button" data-encode="{{ tag[0] | strip | url_encode }}" title="{{ tag[0] }}">{{ tag[0] }}</a>
{% endfor %}</div>
<div class="js-result">
{% for post in site.posts %}{% capture tags %}{% for tag in post.tags %}{{ tag | strip | url_encode }}{% unless forloop.last %},{% endunless %}{% endfor %}{% endcapture %}<div class="item" data-tags="{{ tags }}"><h2 class="post-title">{{ post.title }}</h2></div>
{% endfor %}</div>
""" + ARCHIVE_SCRIPT
ARCHIVE_INDEX = f"{BASEURL}/archive/index.html"
# Debian's jQuery, which Jekyll's packages bring (ruby-kramdown depends on it)
JQUERY = Path("/usr/share/javascript/jquery/jquery.min.js")
# The index Hux's search reads (its search.json): titles and tags printed raw into JSON
# strings, which a backslash or a control character makes unreadable for the whole site.
SEARCH_INDEX = """\
---
layout: null
---
[
  {% for post in site.posts %}
    {
      "title"    : "{{ post.title }}",
      "tags"     : "{{ post.tags | join: ', ' }}",
      "url"      : "{{ site.baseurl }}{{ post.url }}"
    } {% unless forloop.last %},{% endunless %}
  {% endfor %}
]
"""
FEED = """\
---
layout: null
---
<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>{{ site.title | xml_escape }}</title>
    <link>{{ site.baseurl }}/</link>
    {% for post in site.posts limit:10 %}
      <item>
        <title>{{ post.title | xml_escape }}</title>
        <description>{{ post.content | xml_escape }}</description>
        <link>{{ post.url | prepend: site.baseurl }}</link>
        {% for tag in post.tags %}<category>{{ tag | xml_escape }}</category>{% endfor %}
      </item>
    {% endfor %}
  </channel>
</rss>
"""
FEED_PATH = f"{BASEURL}/feed.xml"


def write_site(folder: Path) -> Path:
    """The Hux-like site skeleton, without posts, in ``folder``."""
    (folder / "_layouts").mkdir(parents=True)
    (folder / "_config.yml").write_text(CONFIG, encoding="utf-8")
    (folder / "tags.html").write_text(TAGS_PAGE, encoding="utf-8")
    (folder / "archive.html").write_text(ARCHIVE_PAGE, encoding="utf-8")
    if not JQUERY.is_file():
        pytest.fail(f"{JQUERY} is missing: run the README's install command")
    (folder / "js").mkdir()
    shutil.copy(JQUERY, folder / "js" / "jquery.min.js")
    (folder / "search.json").write_text(SEARCH_INDEX, encoding="utf-8")
    (folder / "feed.xml").write_text(FEED, encoding="utf-8")
    (folder / "_layouts" / "default.html").write_text(DEFAULT_LAYOUT, encoding="utf-8")
    (folder / "_layouts" / "post.html").write_text(POST_LAYOUT, encoding="utf-8")
    return folder


def build_site(archive: Path, workdir: Path) -> Path:
    """Build ``archive`` inside the skeleton; return the folder to serve (the site is in blog/).

    Fails the test with Jekyll's log if the build errors or warns: the blog must build the
    archive without a warning (a warning can mean a lost post). Jekyll writes warnings and
    errors, and only those, to stderr; its topics vary ("Conflict:", "Deprecation:"), so
    any line there counts.
    """
    site, root = write_site(workdir / "site"), workdir / "served"
    shutil.copytree(archive / "_posts", site / "_posts")
    shutil.copytree(archive / "postimg", site / "postimg")
    _jekyll_build(site, root)
    return root


def _jekyll_build(site: Path, root: Path) -> None:
    jekyll = shutil.which("jekyll")
    if jekyll is None:
        pytest.fail("jekyll is not installed: run the README's install command")
    result = subprocess.run([jekyll, "build", "--strict_front_matter", "-s", str(site),
                             "-d", str(root / BASEURL.strip("/"))],
                            check=False, capture_output=True, text=True, timeout=300)
    if result.returncode != 0 or result.stderr.strip():
        pytest.fail(f"jekyll build failed or warned:\n{result.stdout}{result.stderr}")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 and a free port for the block's duration; yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def post_urls(root: Path, base: str) -> list[str]:
    """The URL of every post the build wrote: every page but the tag index and the archive."""
    pages = ["/" + page.relative_to(root).as_posix() for page in sorted(root.rglob("*.html"))]
    return [base + quote(page) for page in pages if page not in (TAG_INDEX, ARCHIVE_INDEX)]


@dataclass(frozen=True)
class Image:
    src: str
    natural_width: int
    complete: bool


@dataclass(frozen=True)
class Link:
    href: str
    text: str
    title: str | None


@dataclass
class PageView:
    """What a reader's browser made of one page."""

    url: str
    text: str  # document.body.innerText: what shows, after CSS
    images: list[Image]
    links: list[Link]
    metas: dict[str, str]  # content of each <meta>, by its property or name
    event_handlers: list[str]  # "tag[onxxx]" for every element with an on… attribute
    dialogs: list[str]  # "type: message" of every alert/confirm/prompt that fired
    console_errors: list[str]  # console errors and uncaught exceptions, with their URL
    tag_lists: dict[str, list[str]]  # on the tag index: each tag's post titles, as shown
    # the text of each link of left-to-right text that shows right to left (a bidi override
    # before it, in another element, left open)
    reversed_links: list[str]
    # on the archive page: each tag button's title, and the post titles shown once it is clicked
    filtered: dict[str, list[str]]
    post_text: str  # what shows of the post's HTML (div.post-container), after CSS
    post_elements: list[tuple[str, dict[str, str]]]  # each element in it: name, attributes


# One evaluation after load; the page's own state is read, not its source.
_READ_PAGE = """() => ({
  text: document.body.innerText,
  images: [...document.images].map(i => ({src: i.src, natural_width: i.naturalWidth,
                                           complete: i.complete})),
  links: [...document.links].map(a => ({href: a.href, text: a.innerText,
                                        title: a.getAttribute('title')})),
  metas: Object.fromEntries([...document.querySelectorAll('meta[content]')].map(
    m => [m.getAttribute('property') || m.getAttribute('name') || '', m.content])),
  event_handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
    .filter(a => a.name.toLowerCase().startsWith('on'))
    .map(a => `${e.localName}[${a.name}]`)),
  tag_lists: Object.fromEntries([...document.querySelectorAll('.one-tag-list')].map(
    list => [list.querySelector('.listing-seperator').innerText,
             [...list.querySelectorAll('.post-title')].map(title => title.innerText)])),
  reversed_links: [...document.links].filter(a => {
    const text = a.firstChild, range = document.createRange();
    if (!text || text.nodeType !== Node.TEXT_NODE || text.length < 2
        || /[\u202a-\u202e\u2066-\u2069\u0590-\u08ff]/.test(text.data)) return false;
    const left = at => { range.setStart(text, at); range.setEnd(text, at + 1);
                         return range.getBoundingClientRect().left; };
    return left(text.length - 1) < left(0);
  }).map(a => a.innerText),
  filtered: Object.fromEntries([...document.querySelectorAll('.tag-button')].map(button => {
    button.click();  // what the click's handler throws is an uncaught error: console_errors
    return [button.title, [...document.querySelectorAll('.js-result .item')]
      .filter(item => item.style.display !== 'none').map(item => item.innerText.trim())];
  })),
  post_text: document.querySelector('div.post-container')?.innerText ?? '',
  post_elements: [...document.querySelectorAll('div.post-container *')].map(e => [
    e.localName, Object.fromEntries([...e.attributes].map(a => [a.name, a.value]))]),
})"""
# Autofocus and other deferred work run at the next rendering update: wait for two frames.
_SETTLE = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def look_at(urls: Sequence[str]) -> list[PageView]:
    """Open each of ``urls`` in headless Chromium, one browser for all, and report what it got."""
    with _chromium() as context:
        return [_view(context, url) for url in urls]


@contextmanager
def _chromium() -> Iterator[BrowserContext]:
    """A headless Chromium's context, for the block's duration.

    Only 127.0.0.1 is reachable: any other request is aborted (and shows as a console
    error naming its URL), so a page that would reach out is seen, and nothing waits on a
    network that is not there.
    """
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run the README's install command")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: run the README's install command")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.route(lambda url: urlsplit(url).hostname != "127.0.0.1",
                          lambda route: route.abort())
            yield context
        finally:
            browser.close()


def _view(context: BrowserContext, url: str) -> PageView:
    """Load ``url`` in a new tab of ``context``, dismissing every dialog, and read it."""
    page = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        # Dismissed, or the page would wait for a click that never comes.
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    try:
        page.goto(url, wait_until="load")
        page.evaluate(_SETTLE)
        seen = page.evaluate(_READ_PAGE)
    finally:
        page.close()
    return PageView(url=url, text=seen["text"], images=[Image(**i) for i in seen["images"]],
                    links=[Link(**a) for a in seen["links"]], metas=seen["metas"],
                    event_handlers=seen["event_handlers"], dialogs=dialogs, console_errors=errors,
                    tag_lists=seen["tag_lists"], reversed_links=seen["reversed_links"],
                    filtered=seen["filtered"], post_text=seen["post_text"],
                    post_elements=[(name, attributes) for name, attributes in seen["post_elements"]])


def view_posts(root: Path) -> dict[str, PageView]:
    """Serve ``root``, a built site, and look at every post in Chromium: by the post's URL
    path below the site's (``/2024/01/02/slug.html``)."""
    with serve(root) as base:
        views = look_at(post_urls(root, base))
    return {unquote(urlsplit(view.url).path).removeprefix(BASEURL): view for view in views}


def view_archive(archive: Path, workdir: Path) -> list[PageView]:
    """Build ``archive`` in the Hux-like site, serve it, and look at every post in Chromium."""
    return _built_and_seen(archive, workdir, post_urls)


def view_tag_index(archive: Path, workdir: Path) -> PageView:
    """Build ``archive`` in the Hux-like site, serve it, and look at its tag index in Chromium."""
    [view] = _built_and_seen(archive, workdir, lambda root, base: [base + TAG_INDEX])
    return view


def view_archive_page(archive: Path, workdir: Path) -> PageView:
    """Build ``archive`` in the Hux-like site, serve it, and look at its archive page (each
    tag button clicked) in Chromium."""
    [view] = _built_and_seen(archive, workdir, lambda root, base: [base + ARCHIVE_INDEX])
    return view


# Each value written as the archive page writes a tag, and what jQuery's .data() reads of it
VALUES_PAGE = """\
---
layout: null
permalink: /values/
---
<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body>
{% for value in site.data.values %}<i data-value="{{ value | strip | url_encode }}"></i>
{% endfor %}""" + f"<script src=\"{BASEURL}/js/jquery.min.js\"></script></body></html>\n"


def jquery_reads_as_text(values: Sequence[str], workdir: Path) -> list[bool]:
    """For each of ``values``, whether jQuery's ``.data()`` gives it back as a string once
    Jekyll wrote it into a data attribute as Hux's archive page writes a tag."""
    site = write_site(workdir / "site")
    (site / "_data").mkdir()
    (site / "_data" / "values.json").write_text(json.dumps(list(values)), encoding="utf-8")
    (site / "values.html").write_text(VALUES_PAGE, encoding="utf-8")
    root = workdir / "served"
    _jekyll_build(site, root)
    with serve(root) as base, _chromium() as context:
        page = context.new_page()
        page.goto(f"{base}{BASEURL}/values/", wait_until="load")
        read: list[bool] = page.evaluate(
            "() => $('i').map(function () { return typeof $(this).data('value') === 'string'; })"
            ".get()")
    assert len(read) == len(values), read
    return read


def _built_and_seen(archive: Path, workdir: Path,
                    urls: Callable[[Path, str], list[str]]) -> list[PageView]:
    root = build_site(archive, workdir)
    with serve(root) as base:
        return look_at(urls(root, base))


def marks_of(documents: Sequence[str]) -> list[list[str]]:
    """How Chromium links and emphasises the text it lays out of each HTML document: runs
    of text, each with the link a tap on it follows (the innermost), and ``B`` when it is
    bold (a weight of 600 or more), ``I`` when italic (or oblique, which the post writes as
    italics); white space aside. The markers of lists in a heading, a cell or a term
    (``_one_line_markers``) are runs of their items': the post writes them as text."""
    with _chromium() as context:
        page = context.new_page()
        session = context.new_cdp_session(page)
        marks = []
        for document in documents:
            page.set_content(document)
            for item, marker in _one_line_markers(session).items():
                element = session.send("DOM.resolveNode", {"backendNodeId": item})["object"]
                session.send("Runtime.callFunctionOn", {
                    "objectId": element["objectId"], "arguments": [{"value": marker}],
                    "functionDeclaration": "function (marker) { this.oneLineMarker = marker; }"})
            marks.append(page.evaluate(_MARKS))
        return marks


# Text nodes in the document's order, and list items' markers given them (before what the
# items hold), those of elements laid out (a box or more) only
_MARKS = r"""() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
  const runs = [];
  for (let node; (node = walker.nextNode());) {
    const element = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    const text = (node.nodeType === Node.TEXT_NODE ? node.data : node.oneLineMarker || '').replace(/\s+/g, '');
    if (!text || !element.getClientRects().length) continue;
    const style = getComputedStyle(element), link = element.closest('a[href]');
    const mark = `${link ? link.getAttribute('href') : '-'} ${+style.fontWeight >= 600 ? 'B' : ''}`
      + (/^(italic|oblique)/.test(style.fontStyle) ? 'I' : '');
    if (runs.length && runs[runs.length - 1][0] === mark) runs[runs.length - 1][1] += text;
    else runs.push([mark, text]);
  }
  return runs.map(([mark, text]) => `${mark}: ${text}`);
}"""


def lines_of(documents: Sequence[str]) -> list[list[str]]:
    """The lines of text Chromium shows of each HTML document (``innerText``: a block's,
    a list item's, a cell's own), white space in each collapsed, empty ones left out: where
    text starts a line, which the text alone (``shown_text_of``) does not tell."""
    with _chromium() as context:
        page = context.new_page()
        lines = []
        for document in documents:
            page.set_content(document)
            text = page.evaluate("() => document.body.innerText")
            lines.append([" ".join(line.split()) for line in text.split("\n") if line.strip()])
        return lines


def shown_text_of(documents: Sequence[str]) -> list[str]:
    """What Chromium draws of each HTML document (``chromium_text``), in one browser."""
    with chromium_text() as shown:
        return [shown(document) for document in documents]


@contextmanager
def chromium_text() -> Iterator[Callable[[str], str]]:
    """What Chromium draws of an HTML document, with every ``<details>`` opened: what a
    reader sees of it once they have opened all of it; one browser for the block.

    Read from its layout, in the order it lays out the document (``<details>``'s summary
    first), its own controls' insides included (a ``<select>``'s chosen option) and CSS's
    generated text (a ``<q>``'s marks), and the markers of lists in a heading, a table cell
    or a term (``_one_line_markers``). ``innerText`` is no measure of it: it gives every
    option of a ``<select>``, and a ``<details>``'s children in the document's order.
    """
    with _chromium() as context:
        page = context.new_page()
        session = context.new_cdp_session(page)

        def snapshot() -> dict[str, Any]:
            page.evaluate(_SETTLE)
            page.evaluate(_UNDRAWN_HIDDEN)
            taken = session.send("DOMSnapshot.getSnapshot", {
                "computedStyleWhitelist": ["visibility"], "includeUserAgentShadowTree": True})
            taken["markers"] = _one_line_markers(session)
            page.evaluate(_UNDRAWN_RESTORED)
            return taken

        def shown(document: str) -> str:
            page.set_content(document)
            page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
            before = snapshot()
            page.evaluate(_TAPPED)
            return _laid_out_text(before, snapshot())

        yield shown


def _laid_out_text(before: dict[str, Any], tapped: dict[str, Any]) -> str:
    """The visible text of two layout snapshots of a document, before and after its SVGs'
    taps (the same nodes), node by node as the layout holds them: each element's
    ``::before``, its children (a shadow tree's, where it has one), its ``::after``; a
    node's text as it shows before the taps, else after them."""
    nodes = before["domNodes"]
    texts: dict[int, list[str]] = {}
    for snapshot in (tapped, before):
        texts |= _visible_texts(snapshot)
    shown, below = [], [0]
    while below:
        index = below.pop()
        shown += texts.get(index, [])
        pseudo = {nodes[i].get("pseudoType"): i for i in nodes[index].get("pseudoElementIndexes", [])}
        order = [pseudo.get("before"), *nodes[index].get("childNodeIndexes", []), pseudo.get("after")]
        below += reversed([i for i in order if i is not None])
    return "".join(shown)


def _visible_texts(snapshot: dict[str, Any]) -> dict[int, list[str]]:
    """The texts of a layout snapshot's nodes that show (not ``visibility: hidden``), a list
    item's marker of ``_one_line_markers`` its own."""
    styles = snapshot["computedStyles"]
    texts: dict[int, list[str]] = {}
    for box in snapshot["layoutTreeNodes"]:
        if box.get("layoutText") and styles[box["styleIndex"]]["properties"][0]["value"] != "hidden":
            texts.setdefault(box["domNodeIndex"], []).append(box["layoutText"])
    for index, node in enumerate(snapshot["domNodes"]):
        if node["backendNodeId"] in snapshot["markers"]:
            texts[index] = [snapshot["markers"][node["backendNodeId"]]]
    return texts


_ONE_LINE = {"H1", "H2", "H3", "H4", "H5", "H6", "TD", "TH", "DT"}


def _one_line_markers(session: CDPSession) -> dict[int, str]:
    """The marker Chromium lays out (``• ``, ``3. ``) of each list item in a heading, a table
    cell or a term, by the item's backend node id, where it shows: not hidden, nor off the
    page's left edge (an item outside a list, whose box has no padding for it). The post
    writes these as text (the older ``getSnapshot`` leaves markers out)."""
    snapshot = session.send("DOMSnapshot.captureSnapshot", {"computedStyles": ["visibility"]})
    strings, document = snapshot["strings"], snapshot["documents"][0]
    nodes, layout = document["nodes"], document["layout"]
    markers = {}
    for node, text, style, (left, _, width, _) in zip(
            layout["nodeIndex"], layout["text"], layout["styles"], layout["bounds"], strict=True):
        item = nodes["parentIndex"][node]
        if text != -1 and strings[nodes["nodeName"][node]] == "::marker" and left + width > 0 \
                and strings[style[0]] != "hidden" and _in_one_line(nodes, strings, item):
            markers[nodes["backendNodeId"][item]] = strings[text]
    return markers


def _in_one_line(nodes: dict[str, Any], strings: list[str], index: int) -> bool:
    """Whether the node ``index`` of a ``captureSnapshot`` is in a heading, a cell or a term."""
    while (index := nodes["parentIndex"][index]) != -1:
        if strings[nodes["nodeName"][index]] in _ONE_LINE:
            return True
    return False


# What is laid out but not drawn made ``visibility: hidden`` for a snapshot (and put back
# after it): what is transparent (``opacity: 0``), and an SVG's text or foreignObject that
# lies wholly outside an SVG viewport that clips it or outside its clip path (a text of no
# extent, a bidi control alone, lies at a point: drawn in them, its character laid out, as
# HTML's text is). A clip path is
# read as the box of its shapes (each shape's box, as a rectangle's); one without a shape
# draws nothing, one that does not exist nothing away.
_UNDRAWN_HIDDEN = r"""() => {
  const isSvg = e => e.namespaceURI === 'http://www.w3.org/2000/svg';
  const meet = (a, b) => { const left = Math.max(a.left, b.left), top = Math.max(a.top, b.top);
    return {left, top, right: Math.min(a.right, b.right), bottom: Math.min(a.bottom, b.bottom)}; };
  const empty = r => !(r.right > r.left && r.bottom > r.top);
  const mapped = (matrix, box) => {
    const points = [[box.x, box.y], [box.x + box.width, box.y], [box.x, box.y + box.height],
                    [box.x + box.width, box.y + box.height]].map(([x, y]) => new DOMPoint(x, y).matrixTransform(matrix));
    return {left: Math.min(...points.map(p => p.x)), right: Math.max(...points.map(p => p.x)),
            top: Math.min(...points.map(p => p.y)), bottom: Math.max(...points.map(p => p.y))};
  };
  const own = e => e.transform ? (e.transform.baseVal.consolidate()?.matrix ?? new DOMMatrix()) : new DOMMatrix();
  const clipRegion = (element, clip) => {
    let matrix = DOMMatrix.fromMatrix(element.getScreenCTM());
    if (clip.clipPathUnits.baseVal === SVGUnitTypes.SVG_UNIT_TYPE_OBJECTBOUNDINGBOX) {
      const box = element.getBBox();
      matrix = matrix.translate(box.x, box.y).scale(box.width, box.height, 1);
    }
    matrix = matrix.multiply(own(clip));
    const boxes = [...clip.children].filter(c => c.getBBox && getComputedStyle(c).display !== 'none')
      .map(c => mapped(matrix.multiply(own(c)), c.getBBox()));
    if (!boxes.length) return {left: 0, top: 0, right: 0, bottom: 0};
    return {left: Math.min(...boxes.map(b => b.left)), top: Math.min(...boxes.map(b => b.top)),
            right: Math.max(...boxes.map(b => b.right)), bottom: Math.max(...boxes.map(b => b.bottom))};
  };
  const drawnArea = element => {
    let area = element.getBoundingClientRect();
    for (let e = element; e && isSvg(e); e = e.parentElement) {
      if (e !== element && e.localName === 'svg' && getComputedStyle(e).overflow !== 'visible')
        area = meet(area, e.getBoundingClientRect());
      const id = /url\(["']?#([^"')]+)/.exec(getComputedStyle(e).clipPath)?.[1];
      const clip = id && document.getElementById(id);
      if (clip && clip.localName === 'clipPath') area = meet(area, clipRegion(e, clip));
    }
    return area;
  };
  // a text shown of no extent (a bidi control alone) lies at a point, drawn where it stands
  const displayed = e => { for (; e && isSvg(e); e = e.parentElement)
    if (getComputedStyle(e).display === 'none') return false; return true; };
  const off = e => { const area = drawnArea(e);
    return e.localName === 'text' && displayed(e) && empty(e.getBoundingClientRect())
      ? !(area.right >= area.left && area.bottom >= area.top) : empty(area); };
  const undrawn = [...document.querySelectorAll('*')].filter(e => getComputedStyle(e).opacity === '0'
    || (isSvg(e) && ['text', 'foreignObject'].includes(e.localName) && off(e)));
  window.__undrawn = undrawn.flatMap(e => [e, ...e.querySelectorAll('*')]).map(e => [e, e.getAttribute('style')]);
  for (const [e] of window.__undrawn) e.style.setProperty('visibility', 'hidden', 'important');
}"""
_UNDRAWN_RESTORED = """() => {
  for (const [e, style] of window.__undrawn.reverse())
    style === null ? e.removeAttribute('style') : e.setAttribute('style', style);
}"""
# A reader's tap on everything an SVG's animation begins with (``begin="click"``,
# ``begin="id.click"``) once its other animations have run to their ends (a seek), then
# the taps' animations run to theirs, as long as the longest lasts, up to 5 s (a seek now
# would drop them). A tap on a picture in a link follows no link.
_TAPPED = r"""async () => {
  for (const svg of document.querySelectorAll('svg')) svg.setCurrentTime(svg.getCurrentTime() + 3600);
  const tapped = new Set();
  let lasts = 0;
  for (const animation of document.querySelectorAll('animate, set, animateTransform, animateMotion')) {
    for (const begin of (animation.getAttribute('begin') ?? '').split(';')) {
      const id = /^\s*(?:([^\s.]+)\.)?click\b/.exec(begin);
      const target = id && (id[1] ? document.getElementById(id[1]) : animation.targetElement);
      if (!target) continue;
      tapped.add(target);
      try { lasts = Math.max(lasts, animation.getSimpleDuration()); } catch { }  // indefinite
    }
  }
  // a tap to reveal, not to follow a link the picture stands in
  window.addEventListener('click', event => event.preventDefault(), true);
  for (const target of tapped) target.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true}));
  await new Promise(done => setTimeout(done, 1000 * Math.min(lasts, 5) + 50));
}"""


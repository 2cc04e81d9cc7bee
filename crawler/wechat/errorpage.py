"""WeChat's pages that hold no article: the verification page it answers when an IP asks
too often, and the pages of deleted, removed, unavailable or expired articles. The page's
parser asks ``not_an_article`` when it finds no article; the crawl's middleware asks
``is_verification_page`` of every answer, before anything parses it.
"""

from __future__ import annotations

import re

import lxml.html

from crawler.wechat import jsvars
from crawler.wechat.article import NotAnArticle, PageReason
from crawler.wechat.urls import is_article_link, link_as_given

# Checked in order; the first whose marker appears in the page's visible text wins.
_ERROR_MARKERS: tuple[tuple[PageReason, tuple[str, ...]], ...] = (
    (PageReason.VERIFICATION, ("环境异常", "完成验证后即可继续访问", "Environment abnormal")),
    # Worded with 该 or 此, 帐号 or 账号. An account closed by its owner, or moved to another
    # without its articles, has none.
    (PageReason.DELETED, ("内容已被发布者删除", "deleted by the author", "deleted by the publisher",
                          "帐号已自主注销", "账号已自主注销", "未将文章素材同步至新帐号")),
    # taken down by the platform: for its rules, on an infringement complaint, on many complaints;
    # the whole account blocked, or closed on an infringement complaint
    (PageReason.VIOLATION, ("内容因违规无法查看", "违反相关法律法规", "violat", "涉嫌侵权",
                            "此内容被多人投诉", "帐号已被屏蔽", "账号已被屏蔽")),
    (PageReason.UNAVAILABLE, ("该内容暂时无法查看", "temporarily unavailable", "号迁移流程中")),
    (PageReason.EXPIRED, ("链接已过期", "link has expired")),
    (PageReason.BAD_PARAMS, ("参数错误", "Invalid parameter")),
)
# The challenge's pages: "环境异常 … 去验证", and "你的访问过于频繁，需要从微信打开验证身份"
# (with a QR code to scan), whose text only a script writes.
_VERIFY_PAGE = re.compile(rb"secitptpage/verify|wappoc_appmsgcaptcha|" + "访问过于频繁".encode())
_VERIFY_MARKERS = tuple(marker.encode() for marker in _ERROR_MARKERS[0][1])
LARGEST_VERIFICATION_PAGE = 512 * 1024


def is_verification_page(page: bytes) -> bool:
    """Whether ``page`` (as fetched, UTF-8) is WeChat's "环境异常 … 完成验证后即可继续访问"
    challenge (cheap check).

    That page is about 20 KB; article pages are megabytes and are not searched through.
    """
    if len(page) > LARGEST_VERIFICATION_PAGE or b'id="js_content"' in page:
        return False
    return bool(_VERIFY_PAGE.search(page)) or any(m in page for m in _VERIFY_MARKERS)


def not_an_article(page: bytes, doc: lxml.html.HtmlElement) -> NotAnArticle:
    """What a page that holds no article is instead: the verification page, an error page
    (by the first of ``_ERROR_MARKERS`` its visible text shows), an account's move, or
    unknown (then its first visible words, for the log line)."""
    visible = " ".join(doc.xpath("//text()[not(ancestor::script) and not(ancestor::style)]"))
    visible = re.sub(r"\s+", " ", visible).strip()
    if _VERIFY_PAGE.search(page):
        return NotAnArticle.because(PageReason.VERIFICATION)
    for reason, markers in _ERROR_MARKERS:
        if any(marker in visible for marker in markers):
            return NotAnArticle.because(reason)
    # an account moved to another (该公众号已迁移): its button leads to the article there
    moved = link_as_given(jsvars.var(page, "transfer_target_link") or jsvars.var(page, "transferTargetLink"))
    if is_article_link(moved):
        return NotAnArticle.because(PageReason.UNKNOWN, f"its account moved: the article is now at {moved!r}")
    snippet = visible[:80] or "no visible text"
    return NotAnArticle.because(PageReason.UNKNOWN, repr(snippet))

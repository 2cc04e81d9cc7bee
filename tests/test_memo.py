"""``crawler.wechat.memo``: a text's result remembered, a hostile length's not."""

from __future__ import annotations

from crawler.wechat import memo


def test_a_short_text_is_worked_out_once_a_long_one_each_time_and_never_kept() -> None:
    calls: list[str] = []

    @memo.per_text(longest=4)
    def shout(text: str) -> str:
        calls.append(text)
        return text.upper()

    assert [shout("ab"), shout("ab"), shout("abcde"), shout("abcde")] == ["AB", "AB", "ABCDE", "ABCDE"]
    assert calls == ["ab", "abcde", "abcde"]

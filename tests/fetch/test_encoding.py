"""F6: deterministic decoding (valid UTF-8 wins; header; meta after byte 1024; unknown labels; BOMs)."""

from __future__ import annotations

import codecs

import pytest

from necwatch.fetch.encoding import charset_from_content_type, decode

CP1252 = "Labour’s NEC – café".encode("cp1252")
UTF8 = "Labour’s NEC – café".encode()


@pytest.mark.parametrize(
    ("body", "content_type", "text", "encoding"),
    [
        # valid UTF-8 wins over a wrong declaration
        (UTF8, "text/html; charset=iso-8859-1", "Labour’s NEC – café", "utf-8"),
        (
            b'<meta charset="windows-1252">' + UTF8,
            None,
            '<meta charset="windows-1252">Labour’s NEC – café',
            "utf-8",
        ),
        # header says utf-8, bytes are cp1252: invalid UTF-8, so the fallback chain decides
        (CP1252, "text/html; charset=utf-8", "Labour’s NEC – café", "cp1252"),
        # header charset (latin-1 means cp1252, as in browsers)
        (CP1252, "text/html; charset=ISO-8859-1", "Labour’s NEC – café", "cp1252"),
        (b"\xe9", 'text/plain; charset="koi8-r"', "И", "koi8-r"),
        # unknown header label: ignored, falls through to cp1252
        (CP1252, "text/html; charset=x-no-such-thing", "Labour’s NEC – café", "cp1252"),
        # utf-7 is never honoured from a declaration
        (b"+ADw-script+AD4-\xe9", "text/html; charset=utf-7", "+ADw-script+AD4-é", "cp1252"),
        # BOMs beat everything
        (codecs.BOM_UTF8 + UTF8, "text/html; charset=iso-8859-1", "Labour’s NEC – café", "utf-8"),
        (codecs.BOM_UTF16_LE + "é".encode("utf-16-le"), None, "é", "utf-16-le"),
        (codecs.BOM_UTF16_BE + "é".encode("utf-16-be"), None, "é", "utf-16-be"),
        # XML declaration
        (
            b'<?xml version="1.0" encoding="koi8-r"?><a>\xe9</a>',
            None,
            '<?xml version="1.0" encoding="koi8-r"?><a>И</a>',
            "koi8-r",
        ),
        # nothing declared, not UTF-8
        (b"\x93quoted\x94", None, "“quoted”", "cp1252"),
        (b"", None, "", "utf-8"),
    ],
)
def test_decode(body: bytes, content_type: str | None, text: str, encoding: str) -> None:
    assert decode(body, content_type) == (text, encoding)


def test_meta_after_byte_1024_is_found() -> None:
    body = (
        b"<html><head>"
        + b"<!-- padding -->" * 100
        + b'<meta charset="windows-1251">'
        + "Привет".encode("cp1251")
    )
    assert len(body.split(b"<meta")[0]) > 1024
    text, encoding = decode(body, "text/html")
    assert encoding == "cp1251" and text.endswith("Привет")


def test_meta_http_equiv_form() -> None:
    body = b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">' + "Да".encode(
        "cp1251"
    )
    assert decode(body, None) == (body[:-2].decode("ascii") + "Да", "cp1251")


def test_whatwg_labels_python_lacks() -> None:
    assert decode("ไทย".encode("cp874"), "text/html; charset=windows-874")[1] == "cp874"
    assert decode("中文".encode("gbk"), "text/html; charset=gb2312") == ("中文", "gbk")


def test_errors_are_replaced_not_dropped() -> None:
    text, encoding = decode(b"ok \x81 ok", "text/html; charset=utf-8")
    assert encoding == "cp1252" and text.startswith("ok ") and text.endswith(" ok") and len(text) == 7


@pytest.mark.parametrize("body", [CP1252, UTF8, b"\xff\xfe\x00", b"<meta charset=koi8-r>\xe9\xff"])
def test_deterministic(body: bytes) -> None:
    assert len({decode(body, "text/html") for _ in range(3)}) == 1


@pytest.mark.parametrize(
    ("value", "charset"),
    [
        ("text/html; charset=UTF-8", "UTF-8"),
        ('text/html;charset="latin1"', "latin1"),
        ("text/html", None),
        (None, None),
    ],
)
def test_charset_from_content_type(value: str | None, charset: str | None) -> None:
    assert charset_from_content_type(value) == charset

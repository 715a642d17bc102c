# SPDX-License-Identifier: MIT
"""Reports on the wire with Content-Encoding: gzip (issue #17): the real vigie-server
inflates them with a hard cap (MaxBodySize, the same as for plain bodies), refuses corrupt
ones and compression bombs, and still takes plain bodies. SQLite and PostgreSQL."""
import gzip
import json
import zlib

import pytest

from server_util import Device, VigieServer, database, https, postgres, stored_jws  # noqa: F401 (postgres: fixture)

CONF = "[Limits]\nRequestTimeout=5s\nMaxBodySize=64K\n"


@pytest.fixture(params=["sqlite", "postgres"])
def srv(request, tmp_path):
    s = VigieServer(tmp_path, conf=CONF, db=database(request))
    s.start()
    yield s
    if s.running():
        s.stop()


def enrolled(srv):
    dev = Device(srv)
    status, body = dev.enroll(srv.token())
    assert status == 201, body
    return dev


def post(dev, body: bytes, encoding="gzip"):
    headers = {"Content-Type": "application/jose"}
    if encoding:
        headers["Content-Encoding"] = encoding
    status, parsed, _ = https(dev.srv, "POST", "/v1/reports", body, cert=dev.cert_path, key=dev.key_path,
                              headers=headers)
    return status, parsed


def stored(srv, dev):
    return stored_jws(srv, dev.id)


def test_gzip_report_is_stored_as_signed(srv):
    dev = enrolled(srv)
    one = dev.report()
    status, body = post(dev, gzip.compress(one.encode()))
    assert status == 202, body
    assert body["accepted"] == 1
    # A batch, gzip'ed, with the encoding name in another case; then a plain body still works.
    two, three = dev.report(), dev.report()
    status, body = post(dev, gzip.compress(json.dumps([two, three]).encode()), encoding="GZip")
    assert status == 202, body
    assert body["accepted"] == 2
    four = dev.report()
    status, body = post(dev, four.encode(), encoding=None)
    assert status == 202, body
    five = dev.report()  # the old name, which RFC 9110 says to take as gzip
    status, body = post(dev, gzip.compress(five.encode()), encoding="x-gzip")
    assert status == 202, body
    status, body = post(dev, dev.report(advance=False).encode(), encoding="identity")
    assert status == 202, body
    assert stored(srv, dev)[:5] == [one, two, three, four, five]


def test_gzip_report_with_whitespace_is_stored_exactly(srv):
    """The server keeps an inflated body's report in place (no copy): the whitespace around
    it is not part of what is stored, hashed or chained, whichever way it came."""
    dev = enrolled(srv)
    one = dev.report()
    status, body = post(dev, gzip.compress(b" \r\n" + one.encode() + b"\n\t \n"))
    assert status == 202, body
    for wire, encoding in ((gzip.compress(one.encode() + b"\n"), "gzip"), (b"\n" + one.encode() + b" ", None)):
        status, body = post(dev, wire, encoding=encoding)  # the same report: a duplicate
        assert status == 200 and body["duplicates"] == 1, body
    two = dev.report()  # its prev is the hash of one's exact bytes
    status, body = post(dev, gzip.compress(two.encode() + b"\r\n"))
    assert status == 202, body
    assert stored(srv, dev) == [one, two]


def test_corrupt_gzip_is_refused(srv):
    dev = enrolled(srv)
    good = gzip.compress(dev.report(advance=False).encode())
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF
    for bad, what in ((bytes(flipped), "flipped byte"), (good[:-10], "truncated"),
                      (good + b"junk", "trailing bytes"), (b"not gzip at all", "not gzip"),
                      (zlib.compress(b"x"), "zlib, not gzip")):
        status, body = post(dev, bad)
        assert status == 400, (what, body)
        assert body["error"] == "malformed_body", (what, body)
    assert stored(srv, dev) == []
    # An encoding the server does not speak is named in the refusal.
    status, body = post(dev, b"x", encoding="br")
    assert status == 415 and body["error"] == "unsupported_encoding", body
    assert "br" in body["detail"]
    # The device is fine afterwards.
    assert post(dev, good)[0] == 202


def test_compression_bomb_gets_413(srv):
    dev = enrolled(srv)
    # 64 MiB of zeros is ~64 KB compressed: under MaxBodySize on the wire, far over it inflated.
    bomb = gzip.compress(b"0" * (64 << 20), compresslevel=9)
    assert len(bomb) < 64 * 1024
    status, body = post(dev, bomb)
    assert status == 413, body
    assert body["error"] == "body_too_large"
    # Exactly at the cap is fine as far as size goes (then it is not a report: 400).
    status, body = post(dev, gzip.compress(b" " * (64 * 1024)))
    assert status == 400 and body["error"] == "malformed_body", body
    status, body = post(dev, gzip.compress(b" " * (64 * 1024 + 1)))
    assert status == 413, body
    assert stored(srv, dev) == []
    # The server is still serving.
    assert post(dev, gzip.compress(dev.report().encode()))[0] == 202

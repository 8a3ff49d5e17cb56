"""The replay server over real HTTP on 127.0.0.1."""

import json
import urllib.error
import urllib.request

import pytest

from replay.server import ReplayServer


@pytest.fixture
def site(tmp_path):
    page = tmp_path / "shop.example" / "help" / "a"
    page.mkdir(parents=True)
    (page / "2026-01-01.html").write_bytes(b"<p>one</p>")
    (page / "2026-03-01.html").write_bytes(b"<p>two</p>")
    (page / "2026-05-01.gone").write_bytes(b"")
    moved = tmp_path / "shop.example" / "help" / "moved"
    moved.mkdir(parents=True)
    (moved / "2026-01-01.html").write_bytes(b"")
    (moved / "2026-01-01.html.headers").write_text("Status: 302\nLocation: https://shop.example/ap/signin\n")
    return tmp_path


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as fh:
            return fh.status, dict(fh.headers), fh.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.parametrize("as_of,status,body", [
    ("2025-12-31", 404, b"Not Found\n"),
    ("2026-01-01", 200, b"<p>one</p>"),
    ("2026-02-28T23:59:59Z", 200, b"<p>one</p>"),
    ("2026-03-01", 200, b"<p>two</p>"),
    ("2026-06-01", 404, b"Not Found\n"),
])
def test_page_as_of_a_date(site, as_of, status, body):
    with ReplayServer(site, as_of) as server:
        got = get(f"{server.url}/https://shop.example/help/a")
        assert got[0] == status and got[2] == body
        assert got[1]["X-Replay-As-Of"].startswith(as_of[:10])


def test_three_ways_to_name_a_url_and_a_movable_clock(site):
    with ReplayServer(site, "2026-01-01") as server:
        assert get(f"{server.url}/https://shop.example/help/a")[2] == b"<p>one</p>"
        assert get(f"{server.url}/help/a", {"Host": "shop.example"})[2] == b"<p>one</p>"
        req = urllib.request.Request(f"{server.url}/_replay/as-of?date=2026-03-02", method="POST")
        assert json.load(urllib.request.urlopen(req))["as_of"] == "2026-03-02T00:00:00Z"
        assert get(f"{server.url}/https://shop.example/help/a")[2] == b"<p>two</p>"


def test_conditional_requests_get_304(site):
    with ReplayServer(site, "2026-01-01") as server:
        status, headers, _ = get(f"{server.url}/https://shop.example/help/a")
        assert status == 200 and headers["ETag"] and headers["Last-Modified"]
        assert get(f"{server.url}/https://shop.example/help/a", {"If-None-Match": headers["ETag"]})[0] == 304
        assert get(f"{server.url}/https://shop.example/help/a",
                   {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        assert get(f"{server.url}/https://shop.example/help/a", {"If-None-Match": '"other"'})[0] == 200


def test_headers_sidecar_makes_a_redirect(site):
    opener = urllib.request.build_opener(NoRedirect)
    with ReplayServer(site, "2026-01-01") as server:
        with pytest.raises(urllib.error.HTTPError) as err:
            opener.open(f"{server.url}/https://shop.example/help/moved", timeout=5)
        assert err.value.code == 302
        assert err.value.headers["Location"] == "https://shop.example/ap/signin"


def test_no_escape_from_the_site_folder(site, tmp_path):
    (tmp_path / "secret.html").write_text("secret")
    with ReplayServer(site, "2026-01-01") as server:
        assert get(f"{server.url}/https://shop.example/../secret.html")[0] == 404


def test_loopback_only(site):
    with pytest.raises(ValueError, match="loopback"):
        ReplayServer(site, "2026-01-01", host="0.0.0.0")

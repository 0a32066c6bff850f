"""Pre-compressed static files: collectstatic writes .gz/.br/.zst siblings, serve() sends the one accepted."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from duck.cli import main
from duck.conf import settings
from duck.http.response import FileResponse
from duck.staticfiles import collect, serve
from duck.test import Client
from tests.middleware.test_compression import BROWSER, decode
from tests.staticfiles.conftest import body_of, make_request

pytest.importorskip("brotli")
pytest.importorskip("zstandard")

SCRIPT = b"".join(b"function duck%d() { return 'quack number %d'; }\n" % (i, i) for i in range(300))
SUFFIXES = {"gzip": ".gz", "br": ".br", "zstd": ".zst"}


@pytest.fixture
def big_files(static_dirs: tuple[Path, Path]) -> Path:
    first = static_dirs[0]
    (first / "js" / "big.js").write_bytes(SCRIPT)
    (first / "img" / "big.png").write_bytes(b"\x89PNG" + b"\0" * 5000)  # compressible bytes, but an image
    return first


def siblings(root: Path, relative: str) -> dict[str, Path]:
    found = {coding: root / (relative + suffix) for coding, suffix in SUFFIXES.items()}
    return {coding: path for coding, path in found.items() if path.exists()}


# -- collectstatic ---------------------------------------------------------------------------------------
def test_collect_writes_decodable_siblings_stamped_with_the_files_time(big_files: Path, tmp_path: Path):
    result = collect(compress=True)
    root = tmp_path / "collected"
    made = siblings(root, "js/big.js")
    assert set(made) == {"gzip", "br", "zstd"}
    for coding, path in made.items():
        assert decode(path.read_bytes(), coding) == SCRIPT
        assert path.stat().st_mtime_ns == (root / "js" / "big.js").stat().st_mtime_ns
    assert sorted(result.compressed) == ["js/big.js.br", "js/big.js.gz", "js/big.js.zst"]
    # an image, and files below COMPRESSION_MIN_SIZE, are left alone
    assert siblings(root, "img/big.png") == {} and siblings(root, "css/site.css") == {}
    assert not [name for name in os.listdir(root / "js") if name.startswith(".")]  # no temporary left over


def test_second_run_compresses_nothing_and_an_edit_rebuilds(big_files: Path, tmp_path: Path):
    collect(compress=True)
    assert collect(compress=True).compressed == []
    (big_files / "js" / "big.js").write_bytes(SCRIPT + b"// edited\n")
    assert len(collect(compress=True).compressed) == 3
    assert gzip.decompress((tmp_path / "collected" / "js" / "big.js.gz").read_bytes()).endswith(b"// edited\n")


def test_a_file_that_no_longer_compresses_loses_its_stale_siblings(big_files: Path, tmp_path: Path):
    collect(compress=True)
    (big_files / "js" / "big.js").write_bytes(b"tiny();")
    collect(compress=True)
    assert siblings(tmp_path / "collected", "js/big.js") == {}  # nginx's gzip_static would serve them


def test_setting_and_encodings_choose_what_is_written(big_files: Path, tmp_path: Path):
    assert collect().compressed == []  # STATICFILES_COMPRESS is off by default
    with settings.override(STATICFILES_COMPRESS=True, COMPRESSION_ENCODINGS=["gzip"]):
        assert collect().compressed == ["js/big.js.gz"]


def test_a_sibling_shipped_by_the_static_folder_wins(big_files: Path, tmp_path: Path):
    (big_files / "js" / "big.js.gz").write_bytes(gzip.compress(b"the project's own"))
    collect(compress=True)
    assert gzip.decompress((tmp_path / "collected" / "js" / "big.js.gz").read_bytes()) == b"the project's own"


def test_command_line_flag(big_files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["collectstatic", "--noinput", "--compress"]) == 0
    assert "3 pre-compressed files written" in capsys.readouterr().out
    assert set(siblings(tmp_path / "collected", "js/big.js")) == {"gzip", "br", "zstd"}
    with settings.override(STATICFILES_COMPRESS=True):
        assert main(["collectstatic", "--noinput", "--no-compress", "--clear"]) == 0
    assert siblings(tmp_path / "collected", "js/big.js") == {}


# -- serving ----------------------------------------------------------------------------------------------
@pytest.fixture
def collected(big_files: Path, tmp_path: Path) -> Path:
    collect(compress=True)
    return tmp_path / "collected"


def get(root: Path, path: str, method: str = "GET", **headers: str):
    return serve(make_request("/static/" + path, method, **headers), path, document_root=root)


@pytest.mark.parametrize(("accept", "coding"), [(BROWSER, "zstd"), ("br, gzip", "br"), ("gzip", "gzip")])
def test_the_accepted_variant_is_served(collected: Path, accept: str, coding: str):
    response = get(collected, "js/big.js", accept_encoding=accept)
    assert isinstance(response, FileResponse)
    assert response["content-encoding"] == coding
    assert response["content-type"] == "text/javascript; charset=utf-8"  # the file's, not the archive's
    assert response["vary"] == "Accept-Encoding"
    variant = collected / "js" / ("big.js" + SUFFIXES[coding])
    assert response["content-length"] == str(variant.stat().st_size)
    assert response["etag"].endswith(f'-{coding}"')
    assert decode(body_of(response), coding) == SCRIPT


@pytest.mark.parametrize("accept", [None, "identity", "gzip;q=0, br;q=0, zstd;q=0"])
def test_identity_is_served_with_vary(collected: Path, accept: str | None):
    headers = {"accept_encoding": accept} if accept is not None else {}
    response = get(collected, "js/big.js", **headers)
    assert "content-encoding" not in response.headers and response["vary"] == "Accept-Encoding"
    assert body_of(response) == SCRIPT


def test_a_file_without_siblings_has_no_vary(collected: Path):
    response = get(collected, "css/site.css", accept_encoding=BROWSER)
    assert "vary" not in response.headers and "content-encoding" not in response.headers
    body_of(response)


def test_validators_belong_to_the_variant(collected: Path):
    identity = get(collected, "js/big.js")
    body_of(identity)
    br = get(collected, "js/big.js", accept_encoding="br")
    body_of(br)
    assert identity["etag"] != br["etag"]
    not_modified = get(collected, "js/big.js", accept_encoding="br", if_none_match=br["etag"])
    assert not_modified.status_code == 304 and not_modified["vary"] == "Accept-Encoding"
    changed = get(collected, "js/big.js", accept_encoding="br", if_none_match=identity["etag"])
    assert changed.status_code == 200 and changed["content-encoding"] == "br"
    body_of(changed)


def test_ranges_count_the_variants_bytes(collected: Path):
    variant = (collected / "js" / "big.js.br").read_bytes()
    response = get(collected, "js/big.js", accept_encoding="br", range="bytes=10-19")
    assert response.status_code == 206 and response["content-encoding"] == "br"
    assert response["content-range"] == f"bytes 10-19/{len(variant)}"
    assert body_of(response) == variant[10:20]
    refused = get(collected, "js/big.js", accept_encoding="br", range=f"bytes={len(variant)}-")
    assert refused.status_code == 416 and "content-encoding" not in refused.headers


def test_head_describes_the_variant(collected: Path):
    response = get(collected, "js/big.js", "HEAD", accept_encoding="gzip")
    assert response["content-encoding"] == "gzip"
    assert response["content-length"] == str((collected / "js" / "big.js.gz").stat().st_size)


def test_a_sibling_older_than_the_file_is_ignored(collected: Path):
    script = collected / "js" / "big.js"
    script.write_bytes(SCRIPT + b"// edited after collectstatic\n")
    response = get(collected, "js/big.js", accept_encoding=BROWSER)
    assert "content-encoding" not in response.headers
    assert body_of(response).endswith(b"after collectstatic\n")


def test_encodings_setting_limits_the_variants_served(collected: Path):
    with settings.override(COMPRESSION_ENCODINGS=["gzip"]):
        response = get(collected, "js/big.js", accept_encoding=BROWSER)
    assert response["content-encoding"] == "gzip"
    body_of(response)


def test_development_serving_with_the_middleware_does_not_compress_twice(collected: Path):
    with settings.override(
        STATICFILES_DIRS=[str(collected)], MIDDLEWARE=["duck.middleware.compression.CompressionMiddleware"]
    ):
        response = Client().get("/static/js/big.js", headers={"Accept-Encoding": "br"})
    assert response.status_code == 200 and response.headers["content-encoding"] == "br"
    assert response.headers.getlist("vary") == ["Accept-Encoding"]
    assert decode(response.content, "br") == SCRIPT

"""wss:// against the demo serving a certificate made here (by the
openssl CLI): trusted with ``ca_pem=``, refused with a clear 503 when it is
not trusted."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Iterator, Tuple

import pytest

import swill_client
from conftest import Demo


def self_signed(folder: Path) -> Tuple[str, str]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key
    (PEM files in ``folder``)."""
    if shutil.which("openssl") is None:
        pytest.fail("the openssl CLI is needed (scripts/test-py.sh installs it)")
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec",
            "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext", "basicConstraints=critical,CA:FALSE",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Tuple[str, str]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_demo(certificate: Tuple[str, str]) -> Iterator[Demo]:
    server = Demo(tls=certificate)
    server.start()
    yield server
    server.stop()


async def test_wss_with_ca_pem(tls_demo: Demo, certificate: Tuple[str, str]) -> None:
    assert tls_demo.url.startswith("wss://127.0.0.1:")
    ca = Path(certificate[0]).read_bytes()
    async with await swill_client.connect(tls_demo.url, ca_pem=ca) as client:
        assert await client.call("add", [1, 2]) == 3
        assert [n async for n in client.stream("count", 3)] == [0, 1, 2]
    by_name = tls_demo.url.replace("127.0.0.1", "localhost")
    async with await swill_client.connect(by_name, ca_pem=[ca]) as client:
        assert await client.call("add", [2, 2]) == 4


async def test_an_untrusted_certificate_is_a_clear_503(
    tls_demo: Demo, tmp_path: Path
) -> None:
    with pytest.raises(swill_client.SwillError) as e:
        await swill_client.connect(tls_demo.url)
    assert e.value.code == 503
    assert "certificate is not trusted" in e.value.message
    # Trusting some other certificate does not help.
    other = Path(self_signed(tmp_path)[0]).read_bytes()
    with pytest.raises(swill_client.SwillError) as e:
        await swill_client.connect(tls_demo.url, ca_pem=other)
    assert e.value.code == 503
    assert "certificate is not trusted" in e.value.message

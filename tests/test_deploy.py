"""deploy/nginx.conf, run as shipped in front of the service: what it bounds that uvicorn
cannot (issue 24, finding 12)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fixtures.chroma_server import free_port
from fixtures.live_server import ServerThread
from fixtures.timeouts import HTTP_TIMEOUT
from icc_assistant.settings import Settings

CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[str]:
    """The service behind nginx on loopback; yields nginx's URL."""
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    app = ServerThread(Settings(data_dir=tmp_path / "data", trusted_proxies=["127.0.0.1"]))
    app.start()
    port = free_port()
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    config = CONFIG.read_text(encoding="utf-8")
    for name, value in (
        ("{{PREFIX}}", str(prefix)),
        ("{{LISTEN}}", f"127.0.0.1:{port}"),
        ("{{UPSTREAM}}", f"127.0.0.1:{app.port}"),
    ):
        config = config.replace(name, value)
    (prefix / "nginx.conf").write_text(config, encoding="utf-8")
    command = [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"]
    nginx = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, nginx, prefix)
        yield url
    finally:
        nginx.terminate()
        nginx.wait(10)
        app.stop()


def _wait_until_up(url: str, nginx: subprocess.Popen[bytes], prefix: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if nginx.poll() is not None:
            output = nginx.stdout.read().decode() if nginx.stdout else ""
            log = (prefix / "error.log").read_text() if (prefix / "error.log").exists() else ""
            pytest.fail(f"nginx exited:\n{output}\n{log}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    pytest.fail("nginx did not answer in 20 s")


def test_a_client_dripping_its_headers_is_cut_off(proxied: str) -> None:
    """A client sending one header line every 2 s is disconnected by nginx at
    client_header_timeout (10 s), where uvicorn alone would hold it as long as it likes; the
    service still answers others meanwhile."""
    host, port = proxied.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=5) as slow:
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        closed_after = None
        for n in range(15):
            time.sleep(2)
            assert httpx.get(f"{proxied}/health", timeout=5).status_code == 200
            try:
                slow.sendall(f"X-Slow-{n}: 1\r\n".encode())
                slow.settimeout(0.01)
                if slow.recv(1024) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
            except OSError:
                closed_after = time.monotonic() - started
                break
    assert closed_after is not None and closed_after < 16


def test_requests_pass_through_with_their_id_and_no_nginx_version(proxied: str) -> None:
    """A request through nginx reaches the service and comes back with its request id, and
    nginx does not name its version."""
    response = httpx.get(
        f"{proxied}/health", headers={"X-Request-ID": "via-nginx"}, timeout=HTTP_TIMEOUT
    )
    assert response.status_code == 200 and response.headers["x-request-id"] == "via-nginx"
    assert "server" not in response.headers or "nginx/" not in response.headers["server"]


def test_the_console_origin_survives_the_proxy(proxied: str) -> None:
    """An admin change sent from a page of the proxied service (nginx on a port other than 80)
    passes the Origin check, as the console's calls must; another site's page does not."""
    target = f"{proxied}/api/documents/no-such-document.txt"
    own = httpx.delete(target, headers={"Origin": proxied}, timeout=HTTP_TIMEOUT)
    assert own.status_code == 401, own.text  # past the Origin check, stopped by the key check
    foreign = httpx.delete(target, headers={"Origin": "http://evil.example"}, timeout=HTTP_TIMEOUT)
    assert foreign.status_code == 403, foreign.text

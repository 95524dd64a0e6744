"""deploy/: the shipped Caddyfile is valid for Debian's caddy, and compose.yaml runs what the
Caddyfile expects. Docker is not needed: the compose file is read as YAML."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from testkit.caddy import CADDYFILE, caddy, missing_reason, unavailable, upstreams, validate

DEPLOY = CADDYFILE.parent


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(DEPLOY / "compose.yaml")
    return loaded


@pytest.mark.proxy
def test_caddy_validates_the_shipped_caddyfile(tmp_path: Path) -> None:
    """`caddy validate` on deploy/Caddyfile as shipped, and it is in `caddy fmt`'s layout."""
    reason = missing_reason()
    if reason is not None:
        unavailable(reason)
    result = validate(CADDYFILE, tmp_path, BAKEN_DOMAIN="chat.example.org")
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr
    assert "not formatted" not in result.stderr
    exe = caddy()
    assert exe is not None
    formatted = subprocess.run(
        [exe, "fmt", str(CADDYFILE)], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert formatted == CADDYFILE.read_text(encoding="utf-8")


def test_compose_runs_two_web_workers_behind_caddy() -> None:
    """web1 and web2 run `baken web` on the port the Caddyfile proxies to, with the same
    env_file (one BAKEN_SESSION_SECRET) and Redis as the Telegram workers; only Caddy
    publishes ports to the world (Grafana to this host only)."""
    services = compose()["services"]
    bot, web1, web2 = services["bot1"], services["web1"], services["web2"]
    assert web1 == web2
    assert web1["command"] == ["baken", "web", "--host", "0.0.0.0", "--port", "8080"]
    assert web1["env_file"] == bot["env_file"]
    assert web1["environment"]["BAKEN_REDIS_URL"] == bot["environment"]["BAKEN_REDIS_URL"]
    assert web1["environment"]["BAKEN_WEB_PUBLIC_URL"].startswith("https://${BAKEN_DOMAIN")
    assert web1["read_only"] is True
    assert web1["cap_drop"] == ["ALL"]
    assert [name for name, s in services.items() if "ports" in s] == ["caddy", "grafana"]
    assert all(p.startswith("127.0.0.1:") for p in services["grafana"]["ports"])
    proxied = upstreams(CADDYFILE.read_text(encoding="utf-8"))
    assert sorted(proxied) == ["bot1:8080", "bot2:8080", "web1:8080", "web2:8080"]
    for upstream in proxied:
        name, port = upstream.split(":")
        assert port in services[name]["expose"]
    assert "EXPOSE 8080" in (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


def test_the_caddyfile_keeps_monitoring_internal_and_writes_no_access_log() -> None:
    """Only /telegram and the chat's paths are proxied; there is no `log` directive in the
    site; the error log (it describes each failed request) is excluded."""
    options, _, site = CADDYFILE.read_text(encoding="utf-8").partition("{$BAKEN_DOMAIN} {")
    assert "exclude http.log.error" in options
    lines = [line.strip() for line in site.splitlines() if not line.strip().startswith("#")]
    assert "@chat path / /static/* /ws /favicon.ico /go/*" in lines
    assert "handle /telegram {" in lines
    assert "respond 404" in lines
    assert not [line for line in lines if line.split()[:1] == ["log"]]
    assert not [line for line in lines if line.split()[:1] == ["header"]]

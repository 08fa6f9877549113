"""The URL policy (registry/harvest/urls.py): hosts read as the C resolver reads them, names
resolved and checked, and the harvesters' connections pinned to the address checked."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from harvesters.run import run_harvest
from harvesters.transport import guarded_session
from registry.harvest.urls import (
    UnsafeRepositoryURL,
    UrlPolicy,
    check_repository_url,
    parse_ip_host,
    resolve_public_addresses,
)

from .conftest import add_repository, make_config, reason, sample_repo, stored
from .fakes import FakeGitHub, FakeGitLab
from .gitserver import GitServer, git

LOOPBACK_SPELLINGS = [
    ("0177.0.0.1", "127.0.0.1"),
    ("0x7f.0.0.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"),
    ("2130706433", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("017700000001", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"),
    ("127.0.0.1.", "127.0.0.1"),
    ("[::ffff:127.0.0.1]", "127.0.0.1"),
    ("[::ffff:7f00:1]", "127.0.0.1"),
    ("[64:ff9b::7f00:1]", "127.0.0.1"),
    ("[2002:7f00:1::]", "127.0.0.1"),
    ("0", "0.0.0.0"),
    ("0x0a.1", "10.0.0.1"),
    ("0251.0376.0251.0376", "169.254.169.254"),
    ("[::ffff:169.254.169.254]", "169.254.169.254"),
    ("[fe80::1%25eth0]", "fe80::1%eth0"),
]




@pytest.mark.parametrize(("host", "address"), LOOPBACK_SPELLINGS)
def test_every_spelling_of_an_internal_address_is_refused(host: str, address: str) -> None:
    with pytest.raises(UnsafeRepositoryURL) as caught:
        check_repository_url(f"https://{host}/hdh/pseudo")
    shown = host.strip("[]").lower()
    assert caught.value.detail == f"l'hôte « {shown} » est une adresse locale ou privée ({address})"


@pytest.mark.parametrize("host", ["[::1]", "127.0.0.1", "[::]", "224.0.0.1", "100.64.0.1", "192.168.1.1",
                                  "[fd00::1]", "240.0.0.1", "255.255.255.255"])
def test_canonical_internal_addresses_are_refused(host: str) -> None:
    with pytest.raises(UnsafeRepositoryURL) as caught:
        check_repository_url(f"https://{host}/hdh/pseudo")
    assert caught.value.detail == f"l'hôte « {host.strip('[]')} » est une adresse locale ou privée"


@pytest.mark.parametrize("text", ["0177.0.0.1", "0x7f.0.0.1", "127.1", "2130706433", "0x7f.1", "1.2.3",
                                  "0xffffffff", "4294967296", "256.1.1.1", "1.256.1.1", "1.2.65536",
                                  "08.1.1.1", "0x.1", "0x", "0X7F.1", "00", "1.0x", "01.1",
                                  "0x100000000", "1..2", "1.2.3.4.5", "", "github.com", "12a"])
def test_ipv4_parsing_agrees_with_inet_aton(text: str) -> None:
    try:
        expected = socket.inet_ntoa(socket.inet_aton(text)) if text else None
    except OSError:
        expected = None
    parsed = parse_ip_host(text)
    assert (str(parsed) if parsed is not None else None) == expected


def test_public_addresses_pass_in_any_spelling() -> None:
    assert check_repository_url("https://1.1.1.1/hdh/pseudo").url == "https://1.1.1.1/hdh/pseudo"
    parsed = check_repository_url("https://[2606:4700::1111]/hdh/pseudo.git")
    assert (parsed.url, parsed.host) == ("https://[2606:4700::1111]/hdh/pseudo.git", "2606:4700::1111")
    assert str(parse_ip_host("0x01010101")) == "1.1.1.1"


def test_test_only_setting_lets_every_loopback_spelling_through() -> None:
    parsed = check_repository_url("http://127.1:8080/algo.git", allow_loopback=True)
    assert (parsed.url, parsed.is_loopback) == ("http://127.1:8080/algo.git", True)
    assert UrlPolicy(allow_loopback=True).check("http://[::1]:8080/algo.git").is_loopback


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[str]]:
    """Make socket.getaddrinfo answer `names` (name -> list of answers, one per lookup, the
    last one repeated); address literals go to the real resolver (no network). Returns the log
    of the names looked up."""
    real = socket.getaddrinfo
    looked_up: list[str] = []

    def install(names: dict[str, list[list[str]]]) -> list[str]:
        def fake(host, port, *args, **kwargs):
            if host not in names:
                if parse_ip_host(str(host)) is not None:
                    return real(host, port, *args, **kwargs)
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            looked_up.append(host)
            answers = names[host]
            answer = answers[min(len(looked_up) - 1, len(answers) - 1)]
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                     (a, port or 0)) for a in answer]

        monkeypatch.setattr(socket, "getaddrinfo", fake)
        return looked_up

    return install


def test_policy_refuses_names_that_resolve_to_internal_addresses(resolver) -> None:
    resolver({"forge.example.org": [["127.0.0.1"]], "mixed.example.org": [["8.8.8.8", "10.1.2.3"]],
              "meta.example.org": [["169.254.169.254"]], "six.example.org": [["::1"]],
              "public.example.org": [["8.8.8.8", "2001:4860:4860::8888"]]})
    policy = UrlPolicy()
    expected = {
        "forge.example.org": "l'hôte « forge.example.org » mène à une adresse de bouclage (127.0.0.1)",
        "mixed.example.org": "l'hôte « mixed.example.org » mène à une adresse privée (10.1.2.3)",
        "meta.example.org": "l'hôte « meta.example.org » mène à une adresse de lien local (169.254.169.254)",
        "six.example.org": "l'hôte « six.example.org » mène à une adresse de bouclage (::1)",
        "nowhere.example.org": "l'hôte « nowhere.example.org » est introuvable (DNS)",
    }
    for host, detail in expected.items():
        with pytest.raises(UnsafeRepositoryURL) as caught:
            policy.check(f"https://{host}/team/algo")
        assert caught.value.detail == detail
    assert policy.check("https://public.example.org/team/algo").url == "https://public.example.org/team/algo"
    assert [str(a) for a in resolve_public_addresses("public.example.org", 443)] == [
        "8.8.8.8", "2001:4860:4860::8888"]


def test_policy_with_a_host_list_does_not_look_names_up(resolver) -> None:
    looked_up = resolver({"github.com": [["127.0.0.1"]]})
    policy = UrlPolicy(allowed_hosts=("github.com",))
    assert policy.check("https://github.com/hdh/pseudo").path == "hdh/pseudo"
    with pytest.raises(UnsafeRepositoryURL) as caught:
        policy.check("https://0x7f.1/hdh/pseudo")
    assert caught.value.detail == "l'hôte « 0x7f.1 » est une adresse locale ou privée (127.0.0.1)"
    assert looked_up == []  # the harvest checks the addresses when it connects


@pytest.fixture
def local_forge() -> Iterator[FakeGitLab]:
    forge = FakeGitLab().start()
    forge.add(sample_repo(owner="hdh", name="pseudo", id=7))
    yield forge
    forge.stop()


def test_connection_to_a_name_resolving_to_loopback_is_refused(resolver, local_forge: FakeGitLab) -> None:
    resolver({"forge.example.org": [["127.0.0.1"]]})
    port = local_forge.server.server_address[1]
    with pytest.raises(UnsafeRepositoryURL) as caught:
        guarded_session(allow_loopback=False).get(f"http://forge.example.org:{port}/api/v4/projects/7")
    assert caught.value.detail == "l'hôte « forge.example.org » mène à une adresse de bouclage (127.0.0.1)"
    with pytest.raises(UnsafeRepositoryURL):
        guarded_session(allow_loopback=False).get(f"http://0x7f.1:{port}/api/v4/projects/7")
    assert local_forge.request_headers == []


def test_dns_rebinding_after_the_check_does_not_reach_loopback(resolver, local_forge: FakeGitLab) -> None:
    """The form's check sees a public address; the name then answers 127.0.0.1: the connection,
    which resolves and checks in one go, is refused."""
    looked_up = resolver({"forge.example.org": [["8.8.8.8"], ["127.0.0.1"]]})
    assert UrlPolicy().check("https://forge.example.org/hdh/pseudo").host == "forge.example.org"
    port = local_forge.server.server_address[1]
    with pytest.raises(UnsafeRepositoryURL) as caught:
        guarded_session(allow_loopback=False).get(f"http://forge.example.org:{port}/api/v4/projects/7")
    assert "(127.0.0.1)" in caught.value.detail
    assert (looked_up, local_forge.request_headers) == (["forge.example.org"] * 2, [])


def test_connection_goes_to_the_address_checked_and_keeps_the_name(resolver, local_forge: FakeGitLab) -> None:
    """One lookup per connection, and the socket goes to its answer (a second lookup would
    answer an unroutable address); the Host header still names the forge."""
    looked_up = resolver({"forge.example.org": [["127.0.0.1"], ["10.255.255.1"]]})
    port = local_forge.server.server_address[1]
    response = guarded_session(allow_loopback=True).get(f"http://forge.example.org:{port}/api/v4/projects/7",
                                                        timeout=2)
    assert (response.status_code, response.json()["path_with_namespace"]) == (200, "hdh/pseudo")
    assert local_forge.request_headers[0][1]["host"] == f"forge.example.org:{port}"
    assert looked_up == ["forge.example.org"]


def test_unresolvable_name_is_a_connection_error(resolver) -> None:
    resolver({})
    with pytest.raises(requests.exceptions.ConnectionError):
        guarded_session(allow_loopback=False).get("http://nowhere.example.org/", timeout=2)


async def test_github_api_host_resolving_to_loopback_is_refused(db, resolver, fake_github: FakeGitHub) -> None:
    resolver({"api.forge.example.org": [["127.0.0.1"]]})
    fake_github.add(sample_repo())
    port = fake_github.server.server_address[1]
    repo_id = await add_repository("https://github.com/hdh/pseudo")

    await run_harvest(make_config(github_api_url=f"http://api.forge.example.org:{port}", allow_loopback=False),
                      everything=True)

    assert fake_github.request_headers == []
    assert reason(await stored(repo_id)) == (
        "adresse refusée : l'hôte « api.forge.example.org » mène à une adresse de bouclage (127.0.0.1)")


async def test_gitlab_api_host_is_pinned_to_its_checked_address(db, resolver, fake_gitlab: FakeGitLab) -> None:
    """With the test-only setting a name answering 127.0.0.1 is allowed: the connection goes to
    that answer, with the forge's name in the Host header; without it, it is refused."""
    looked_up = resolver({"gitlab.forge.example.org": [["127.0.0.1"], ["10.255.255.1"]]})
    fake_gitlab.add(sample_repo(owner="healthdatahub", name="pseudo", id=4242))
    port = fake_gitlab.server.server_address[1]
    api = {"gitlab.com": f"http://gitlab.forge.example.org:{port}/api/v4"}
    repo_id = await add_repository("https://gitlab.com/healthdatahub/pseudo", forge="gitlab")

    await run_harvest(make_config(gitlab_api_urls=api), everything=True)

    row = await stored(repo_id)
    assert (row["last_error"], row["forge_id"]) == ("", "4242")
    assert {h["host"] for _, h in fake_gitlab.request_headers} == {f"gitlab.forge.example.org:{port}"}
    assert looked_up == ["gitlab.forge.example.org"]  # one connection, kept alive

    fake_gitlab.request_headers.clear()
    looked_up.clear()
    resolver({"gitlab.forge.example.org": [["127.0.0.1"]]})
    await run_harvest(make_config(gitlab_api_urls=api, allow_loopback=False), everything=True)
    assert fake_gitlab.request_headers == []
    assert reason(await stored(repo_id)) == (
        "adresse refusée : l'hôte « gitlab.forge.example.org » mène à une adresse de bouclage (127.0.0.1)")



async def test_plain_git_refuses_a_name_resolving_to_loopback(db, resolver, git_server: GitServer) -> None:
    resolver({"git.example.org": [["127.0.0.1"]]})
    repo_id = await add_repository("https://git.example.org/team/algo.git", forge="git")
    await run_harvest(make_config(allow_loopback=False), everything=True)
    assert reason(await stored(repo_id)) == (
        "adresse refusée : l'hôte « git.example.org » mène à une adresse de bouclage (127.0.0.1)")


@pytest.mark.parametrize("host", ["0x7f.1", "2130706433", "[::ffff:127.0.0.1]"])
async def test_plain_git_refuses_loopback_spellings(db, git_server: GitServer, host: str) -> None:
    repo_id = await add_repository(f"https://{host}/team/algo.git", forge="git")
    await run_harvest(make_config(allow_loopback=False), everything=True)
    assert reason(await stored(repo_id)) == (
        f"adresse refusée : l'hôte « {host.strip('[]')} » est une adresse locale ou privée (127.0.0.1)")


async def test_plain_git_connects_to_the_address_checked(db, resolver, git_server: GitServer) -> None:
    """git cannot resolve forge.internal itself: the harvest works only because git connects to
    the address the harvester resolved and checked (http.curloptResolve), Host kept."""
    work = git_server.create("algo", {"README.md": "# Algo\n"})
    git(work, "push", "-q", "origin", "main")
    looked_up = resolver({"forge.internal": [["127.0.0.1"], ["10.255.255.1"]]})
    repo_id = await add_repository(git_server.url("algo", host="forge.internal"), forge="git")

    await run_harvest(make_config(), everything=True)

    row = await stored(repo_id)
    assert (row["last_error"], row["head_sha"]) == ("", git(work, "rev-parse", "HEAD"))
    assert row["readme_html"] == "<h1>Algo</h1>\n"
    assert {h["host"] for _, h in git_server.requests} == {f"forge.internal:{git_server.port}"}
    assert looked_up == ["forge.internal"]


def test_https_connection_to_the_checked_address_keeps_sni_and_certificate(
        resolver, tmp_path: Path) -> None:
    """TLS to the pinned address: SNI and the certificate check still use the forge's name."""
    import ssl
    import subprocess
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=forge.example.org", "-addext", "subjectAltName=DNS:forge.example.org",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    seen: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen["host"] = self.headers["Host"]
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: seen.__setitem__("sni", name or "")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        resolver({"forge.example.org": [["127.0.0.1"]], "other.example.org": [["127.0.0.1"]]})
        session = guarded_session(allow_loopback=True)
        response = session.get(f"https://forge.example.org:{port}/", verify=str(cert), timeout=5)
        assert (response.status_code, response.text) == (200, "ok")
        assert seen == {"sni": "forge.example.org", "host": f"forge.example.org:{port}"}
        with pytest.raises(requests.exceptions.SSLError):  # the name is still what is verified
            session.get(f"https://other.example.org:{port}/", verify=str(cert), timeout=5)
    finally:
        server.shutdown()
        server.server_close()

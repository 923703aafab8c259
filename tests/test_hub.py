"""ember.hub: downloads from a local HTTP server, the cache, and hubconf entry points."""
import hashlib
import io
import os
import urllib.error
import zipfile

import numpy as np
import pytest

import ember
import ember.hub as hub
from tests.file_server import FileServer

_Server = FileServer


@pytest.fixture
def hub_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "_hub_dir", None)
    d = tmp_path / "hub"
    hub.set_dir(str(d))
    return d


def _checkpoint_bytes():
    buf = io.BytesIO()
    ember.save({"weight": ember.arange(6.0).reshape(2, 3), "step": ember.tensor(7)}, buf)
    return buf.getvalue()


def test_get_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setattr(hub, "_hub_dir", None)
    for var in ("TORCH_HOME", "EMBER_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    assert hub.get_dir() == os.path.expanduser("~/.cache/torch/hub")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.get_dir() == str(tmp_path / "xdg" / "torch" / "hub")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert hub.get_dir() == str(tmp_path / "th" / "hub")
    torch = pytest.importorskip("torch")
    if torch.hub._hub_dir is None:  # same answer as PyTorch under the same environment
        assert hub.get_dir() == torch.hub.get_dir()
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "eh"))
    assert hub.get_dir() == str(tmp_path / "eh" / "hub")
    hub.set_dir(str(tmp_path / "explicit"))
    assert hub.get_dir() == str(tmp_path / "explicit")
    assert ember.hub is hub


def test_download_url_to_file_hash_and_atomicity(tmp_path):
    body = os.urandom(300_000)  # several read chunks
    digest = hashlib.sha256(body).hexdigest()
    with _Server({"/blob.bin": body}) as srv:
        dst = tmp_path / "out.bin"
        hub.download_url_to_file(srv.url + "/blob.bin", str(dst), hash_prefix=digest[:10],
                                 progress=False)
        assert dst.read_bytes() == body
        bad = tmp_path / "bad.bin"
        with pytest.raises(RuntimeError, match=f'invalid hash value \\(expected "0000", got '
                                               f'"{digest}"\\)'):
            hub.download_url_to_file(srv.url + "/blob.bin", str(bad), hash_prefix="0000",
                                     progress=False)
        with pytest.raises(urllib.error.HTTPError):
            hub.download_url_to_file(srv.url + "/missing", str(bad), progress=False)
        # nothing half-written is left behind: no destination, no .partial file
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]
        hub.download_url_to_file(srv.url + "/blob.bin", str(dst), progress=True)  # tqdm bar
        assert dst.read_bytes() == body


def test_unreachable_host_names_the_url(tmp_path):
    with _Server({}) as srv:
        url = srv.url + "/x.pth"
    # the server is shut down and its socket closed: connection refused
    with pytest.raises(urllib.error.URLError, match="could not download " + url):
        hub.download_url_to_file(url, str(tmp_path / "x.pth"), progress=False)


def test_load_state_dict_from_url_caches_and_checks_hash(hub_dir, capsys):
    body = _checkpoint_bytes()
    prefix = hashlib.sha256(body).hexdigest()[:8]
    good, bad = f"/net-{prefix}.pth", "/net-deadbeef.pth"
    with _Server({good: body, bad: body}) as srv:
        sd = hub.load_state_dict_from_url(srv.url + good, check_hash=True, progress=False)
        assert sd["weight"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
        assert int(sd["step"]) == 7
        cached = hub_dir / "checkpoints" / f"net-{prefix}.pth"
        assert cached.read_bytes() == body
        assert f'Downloading: "{srv.url + good}" to {cached}' in capsys.readouterr().err
        # second call: from the cache, no request
        n = len(srv.requests)
        again = hub.load_state_dict_from_url(srv.url + good, check_hash=True)
        assert len(srv.requests) == n and ember.equal(again["weight"], sd["weight"])
        with pytest.raises(RuntimeError, match='invalid hash value \\(expected "deadbeef"'):
            hub.load_state_dict_from_url(srv.url + bad, check_hash=True, progress=False)
        assert not (hub_dir / "checkpoints" / "net-deadbeef.pth").exists()
        # without check_hash the name's hash is not looked at; file_name and model_dir apply
        other = hub_dir / "elsewhere"
        sd2 = hub.load_state_dict_from_url(srv.url + bad, model_dir=str(other),
                                           file_name="renamed.pth", progress=False,
                                           map_location="cpu", weights_only=True)
        assert (other / "renamed.pth").exists() and ember.equal(sd2["weight"], sd["weight"])


def test_checkpoint_shared_with_torch_hub(hub_dir):
    torch = pytest.importorskip("torch")
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2, 2)}, buf)
    legacy = io.BytesIO()  # PyTorch's legacy layout: a zip holding one checkpoint file
    with zipfile.ZipFile(legacy, "w") as z:
        z.writestr("inner.pth", buf.getvalue())
    with _Server({"/t.pth": buf.getvalue(), "/old.zip": legacy.getvalue()}) as srv:
        sd = hub.load_state_dict_from_url(srv.url + "/t.pth", progress=False)
        assert sd["w"].tolist() == [[1.0, 1.0], [1.0, 1.0]]
        old = hub.load_state_dict_from_url(srv.url + "/old.zip", progress=False)
        assert old["w"].shape == (2, 2)
        # torch.hub reads the file ember cached (same cache layout)
        tsd = torch.hub.load_state_dict_from_url(srv.url + "/t.pth",
                                                 model_dir=str(hub_dir / "checkpoints"),
                                                 progress=False)
        assert srv.paths.count("/t.pth") == 1 and tsd["w"].sum().item() == 4.0


HUBCONF = '''
"""A tiny hub repository."""
import ember
from helper_mod import WIDTH

dependencies = ["numpy"]


def mlp(hidden=WIDTH, pretrained=False):
    """A two-layer perceptron; pretrained fills the weights with ones."""
    model = ember.nn.Sequential(ember.nn.Linear(2, hidden), ember.nn.ReLU(),
                                ember.nn.Linear(hidden, 1))
    if pretrained:
        with ember.no_grad():
            for p in model.parameters():
                p.fill_(1.0)
    return model


def scale(x, factor=2):
    """Multiply by factor."""
    return x * factor


def _private():
    pass


not_callable = 3
'''


def _write_repo(d, hubconf=HUBCONF):
    d.mkdir(parents=True, exist_ok=True)
    (d / "hubconf.py").write_text(hubconf)
    (d / "helper_mod.py").write_text("WIDTH = 4\n")
    return d


def test_local_load_list_help(tmp_path):
    repo = str(_write_repo(tmp_path / "repo"))
    model = hub.load(repo, "mlp", source="local", pretrained=True)
    assert isinstance(model, ember.nn.Sequential) and model[0].out_features == 4
    out = model(ember.ones(3, 2))
    np.testing.assert_allclose(out.detach().numpy(), np.full((3, 1), 13.0))  # 4*(2+1)+1
    assert hub.load(repo, "mlp", 8, source="local")[0].out_features == 8
    assert hub.load(repo, "scale", ember.tensor([1.5]), source="LOCAL", factor=4).tolist() == [6.0]
    assert hub.list(repo, source="local") == ["mlp", "scale"]
    assert hub.help(repo, "scale", source="local") == "Multiply by factor."
    assert repo not in __import__("sys").path  # the repo is on sys.path only while loading
    with pytest.raises(RuntimeError, match="Cannot find callable nope in hubconf"):
        hub.load(repo, "nope", source="local")
    with pytest.raises(RuntimeError, match="Cannot find callable not_callable in hubconf"):
        hub.load(repo, "not_callable", source="local")
    with pytest.raises(ValueError, match="model should be a string of function name"):
        hub.load(repo, 3, source="local")
    with pytest.raises(ValueError, match='Unknown source: "ftp". Allowed values: "github" | '
                                         '"local".'):
        hub.load(repo, "mlp", source="ftp")
    deps = _write_repo(tmp_path / "deps", HUBCONF.replace('["numpy"]',
                                                          '["numpy", "no_such_pkg_xyz"]'))
    with pytest.raises(RuntimeError, match="Missing dependencies: no_such_pkg_xyz"):
        hub.load(str(deps), "mlp", source="local")
    with pytest.raises(FileNotFoundError, match="hubconf.py"):
        hub.load(str(tmp_path), "mlp", source="local")


def test_unknown_source_message_matches_torch(tmp_path):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as te:
        torch.hub.load(str(tmp_path), "m", source="ftp")
    with pytest.raises(ValueError) as ee:
        hub.load(str(tmp_path), "m", source="ftp")
    assert str(ee.value) == str(te.value)


def _zipball(top):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"{top}/", "")
        # NOTE: a sibling module stays in sys.modules once imported (as with torch.hub), so
        # this repository's helper has its own name
        z.writestr(f"{top}/hubconf.py", HUBCONF.replace("helper_mod", "helper_gh"))
        z.writestr(f"{top}/helper_gh.py", "WIDTH = 5\n")
    return buf.getvalue()


def test_github_source_download_cache_and_trust(hub_dir, monkeypatch):
    files = {"/owner/repo/zipball/v1": _zipball("owner-repo-abc123"),
             "/owner/repo/zipball/master": _zipball("owner-repo-def456")}
    with _Server(files) as srv:
        monkeypatch.setattr(hub, "GITHUB_ARCHIVE", srv.url + "/{owner}/{name}/zipball/{ref}")
        m = hub.load("owner/repo:v1", "mlp", trust_repo=True)
        assert m[0].out_features == 5
        assert (hub_dir / "owner_repo_v1" / "hubconf.py").exists()
        assert "owner_repo" in (hub_dir / "trusted_list").read_text().split()
        n = len(srv.requests)
        assert hub.list("owner/repo:v1", trust_repo="check") == ["mlp", "scale"]
        assert hub.help("owner/repo:v1", "mlp").startswith("A two-layer perceptron")
        assert len(srv.requests) == n  # served from the cache
        hub.load("owner/repo:v1", "mlp", force_reload=True, trust_repo=True)
        assert len(srv.requests) == n + 1
        # no ref: main is tried first, then master
        hub.load("owner/repo", "scale", ember.ones(1), trust_repo=True)
        assert srv.paths[-2:] == ["/owner/repo/zipball/main", "/owner/repo/zipball/master"]
        assert (hub_dir / "owner_repo_master").is_dir()
        # an untrusted repository: trust_repo=None warns, 'check' asks
        files["/other/thing/zipball/x"] = _zipball("other-thing-1")
        with pytest.warns(UserWarning, match=r"untrusted.*list\(\.\.\., trust_repo=True\)"):
            hub.list("other/thing:x", trust_repo=None)
        files["/third/r/zipball/x"] = _zipball("third-r-1")
        monkeypatch.setattr("builtins.input", lambda prompt: "n")
        with pytest.raises(Exception, match="Untrusted repository"):
            hub.load("third/r:x", "mlp", trust_repo="check")
        monkeypatch.setattr("builtins.input", lambda prompt: "yes")
        assert hub.load("third/r:x", "mlp", trust_repo="check")[2].out_features == 1
        with pytest.raises(urllib.error.URLError, match="could not download .*/no/repo/zipball/x"):
            hub.load("no/repo:x", "mlp", trust_repo=True)
    with pytest.raises(ValueError, match="repo_owner/repo_name"):
        hub.load("justaname", "mlp", trust_repo=True)

"""Pretrained weights and model entry points from URLs and repositories (PyTorch's torch.hub).

The cache is PyTorch's: ``$TORCH_HOME/hub`` (``~/.cache/torch/hub`` by default; ``EMBER_HOME``
takes precedence when set), so checkpoints downloaded by either library are shared.

    sd = ember.hub.load_state_dict_from_url("https://.../resnet18-f37072fd.pth")
    model = ember.hub.load("path/to/repo", "resnet18", source="local", pretrained=False)

``source='github'`` downloads ``https://github.com/<owner>/<name>/zipball/<ref>`` with urllib;
without network access it fails with an error naming that URL.
"""
import contextlib
import errno
import hashlib
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import urllib.error
import uuid
import warnings
import zipfile
from urllib.parse import urlparse
from urllib.request import Request, urlopen

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load",
           "load_state_dict_from_url", "set_dir"]

ENV_TORCH_HOME = "TORCH_HOME"
ENV_EMBER_HOME = "EMBER_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
VAR_DEPENDENCY = "dependencies"
MODULE_HUBCONF = "hubconf.py"
READ_DATA_CHUNK = 128 * 1024
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
# where source='github' fetches a repository (a module attribute so tests can point it at a
# local server)
GITHUB_ARCHIVE = "https://github.com/{owner}/{name}/zipball/{ref}"
_TRUSTED_REPO_OWNERS = ("facebookresearch", "facebookincubator", "pytorch", "fairinternal")

_hub_dir = None


def _get_torch_home():
    home = os.getenv(ENV_EMBER_HOME) or os.getenv(
        ENV_TORCH_HOME, os.path.join(os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "torch"))
    return os.path.expanduser(home)


def get_dir():
    """The hub cache directory: set_dir()'s value, else ``$TORCH_HOME/hub``."""
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead", stacklevel=2)
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d):
    """Use `d` as the hub cache directory from now on."""
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


# ---------------------------------------------------------------- downloads


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Download `url` to `dst` atomically (a temporary file in the same directory, renamed
    when complete). With `hash_prefix`, the file's SHA-256 hex digest must start with it."""
    req = Request(url, headers={"User-Agent": "torch.hub"})
    try:
        u = urlopen(req)
    except urllib.error.HTTPError:
        raise
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise urllib.error.URLError(f"could not download {url}: {reason}") from e
    meta = u.info()
    length = meta.get_all("Content-Length") if hasattr(meta, "get_all") else None
    file_size = int(length[0]) if length else None
    dst = os.path.expanduser(dst)
    tmp_dst = dst + "." + uuid.uuid4().hex + ".partial"
    f = None
    try:
        f = open(tmp_dst, "w+b")  # noqa: SIM115 (closed in finally, removed on failure)
        sha256 = hashlib.sha256() if hash_prefix is not None else None
        bar = _progress(file_size, progress)
        with u:
            while True:
                chunk = u.read(READ_DATA_CHUNK)
                if not chunk:
                    break
                f.write(chunk)
                if sha256 is not None:
                    sha256.update(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        if bar is not None:
            bar.close()
        f.close()
        if sha256 is not None:
            digest = sha256.hexdigest()
            if digest[:len(hash_prefix)] != hash_prefix:
                raise RuntimeError(
                    f'invalid hash value (expected "{hash_prefix}", got "{digest}")')
        shutil.move(tmp_dst, dst)
    finally:
        if f is not None:
            f.close()
        if os.path.exists(tmp_dst):
            os.remove(tmp_dst)


def _progress(total, enabled):
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, disable=not enabled, unit="B", unit_scale=True,
                unit_divisor=1024)


def _is_legacy_zip_format(filename):
    if zipfile.is_zipfile(filename):
        infolist = zipfile.ZipFile(filename).infolist()
        return len(infolist) == 1 and not infolist[0].is_dir()
    return False


def _legacy_zip_load(filename, model_dir, map_location, weights_only):
    from ember.serialization import load as _load

    with zipfile.ZipFile(filename) as f:
        members = f.infolist()
        if len(members) != 1:
            raise RuntimeError("Only one file(not dir) is allowed in the zipfile")
        f.extractall(model_dir)
        extracted = os.path.join(model_dir, members[0].filename)
    return _load(extracted, map_location=map_location, weights_only=weights_only)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=False):
    """Download a checkpoint into ``get_dir()/checkpoints`` (once) and `ember.load` it.

    With `check_hash`, the file name's ``-<hex>.`` part must prefix the file's SHA-256.
    """
    if os.getenv("TORCH_MODEL_ZOO"):
        warnings.warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead",
                      stacklevel=2)
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    try:
        os.makedirs(model_dir)
    except OSError as e:
        if e.errno != errno.EEXIST:
            raise
    filename = file_name or os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stderr.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            r = HASH_REGEX.search(filename)
            hash_prefix = r.group(1) if r else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    if _is_legacy_zip_format(cached_file):
        return _legacy_zip_load(cached_file, model_dir, map_location, weights_only)
    from ember.serialization import load as _load

    return _load(cached_file, map_location=map_location, weights_only=weights_only)


# ---------------------------------------------------------------- repositories


@contextlib.contextmanager
def _add_to_sys_path(path):
    sys.path.insert(0, path)
    try:
        yield
    finally:
        try:
            sys.path.remove(path)
        except ValueError:
            pass


def _import_hubconf(repo_dir):
    path = os.path.join(repo_dir, MODULE_HUBCONF)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"[Errno 2] No such file or directory: '{path}'")
    spec = importlib.util.spec_from_file_location(MODULE_HUBCONF[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check_dependencies(m):
    deps = getattr(m, VAR_DEPENDENCY, None)
    if deps is not None:
        missing = [pkg for pkg in deps if importlib.util.find_spec(pkg) is None]
        if missing:
            raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")


def _load_entry_from_hubconf(m, model):
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    _check_dependencies(m)
    func = getattr(m, model, None)
    if func is None or not callable(func):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return func


def _parse_repo_info(github):
    if ":" in github:
        owner_name, ref = github.split(":", 1)
    else:
        owner_name, ref = github, None
    if owner_name.count("/") != 1 or not all(owner_name.split("/")):
        raise ValueError(f'Invalid input: repo_or_dir should be of the form "repo_owner/'
                         f'repo_name[:ref]", got "{github}"')
    owner, name = owner_name.split("/")
    return owner, name, ref


def _check_repo_is_trusted(owner, name, owner_name_branch, trust_repo, calling_fn="load"):
    hub_dir = get_dir()
    filepath = os.path.join(hub_dir, "trusted_list")
    if not os.path.exists(filepath):
        open(filepath, "a").close()
    with open(filepath) as f:
        trusted = tuple(line.strip() for line in f)
    legacy = next(os.walk(hub_dir))[1]  # repositories already in the cache
    owner_name = f"{owner}_{name}"
    is_trusted = (owner_name in trusted or owner_name_branch in legacy
                  or owner in _TRUSTED_REPO_OWNERS)
    if trust_repo is None:
        if not is_trusted:
            warnings.warn(
                "You are about to download and run code from an untrusted repository. In a "
                "future release, this won't be allowed. To add the repository to your trusted "
                f"list, change the command to {calling_fn}(..., trust_repo=False) and a command "
                "prompt will appear asking for an explicit confirmation of trust, or "
                f"{calling_fn}(..., trust_repo=True), which will assume that the prompt is to be "
                f"answered with 'yes'. You can also use {calling_fn}(..., trust_repo='check') "
                "which will only prompt for confirmation if the repo is not already trusted. "
                "This will eventually be the default behaviour", stacklevel=4)
        return
    if trust_repo is False or (trust_repo == "check" and not is_trusted):
        response = input(
            f"The repository {owner_name} does not belong to the list of trusted repositories "
            "and as such cannot be downloaded. Do you trust this repository and wish to add it "
            "to the trusted list of repositories (y/N)?")
        if response.lower() in ("y", "yes"):
            if is_trusted:
                print("The repository is already trusted.")
        elif response.lower() in ("n", "no", ""):
            raise Exception("Untrusted repository.")  # PyTorch raises a bare Exception here
        else:
            raise ValueError(f"Unrecognized response {response}.")
    if not is_trusted:
        with open(filepath, "a") as f:
            f.write(owner_name + "\n")


def _download_repo_zip(owner, name, ref, cached_file):
    """Fetch the zipball of `ref` (``main`` then ``master`` when no ref was given)."""
    refs = [ref] if ref is not None else ["main", "master"]
    for i, r in enumerate(refs):
        url = GITHUB_ARCHIVE.format(owner=owner, name=name, ref=r)
        sys.stderr.write(f'Downloading: "{url}" to {cached_file}\n')
        try:
            download_url_to_file(url, cached_file, progress=False)
            return r
        except urllib.error.HTTPError as e:
            if e.code != 404 or i == len(refs) - 1:
                raise urllib.error.URLError(
                    f"could not download {url}: HTTP Error {e.code}: {e.reason}") from e


def _get_cache_or_reload(github, force_reload, trust_repo, calling_fn, verbose=True):
    hub_dir = get_dir()
    os.makedirs(hub_dir, exist_ok=True)
    owner, name, ref = _parse_repo_info(github)
    branch = (ref or "main").replace("/", "_")
    owner_name_branch = "_".join([owner, name, branch])
    repo_dir = os.path.join(hub_dir, owner_name_branch)
    if ref is None and not os.path.exists(repo_dir):
        legacy = os.path.join(hub_dir, f"{owner}_{name}_master")
        if os.path.exists(legacy):
            repo_dir, owner_name_branch = legacy, f"{owner}_{name}_master"
    _check_repo_is_trusted(owner, name, owner_name_branch, trust_repo, calling_fn)
    if not force_reload and os.path.exists(repo_dir):
        if verbose:
            sys.stderr.write(f"Using cache found in {repo_dir}\n")
        return repo_dir
    with tempfile.TemporaryDirectory(dir=hub_dir) as tmp:
        cached_file = os.path.join(tmp, branch + ".zip")
        got = _download_repo_zip(owner, name, ref, cached_file)
        repo_dir = os.path.join(hub_dir, "_".join([owner, name, got.replace("/", "_")]))
        with zipfile.ZipFile(cached_file) as z:
            top = z.infolist()[0].filename.split("/")[0]
            z.extractall(tmp)
        if os.path.exists(repo_dir):
            shutil.rmtree(repo_dir)
        shutil.move(os.path.join(tmp, top), repo_dir)
    return repo_dir


def _repo_dir(repo_or_dir, source, force_reload, trust_repo, calling_fn, verbose=True):
    source = source.lower()
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "local":
        return repo_or_dir
    return _get_cache_or_reload(repo_or_dir, force_reload, trust_repo, calling_fn, verbose)


def list(github, force_reload=False, skip_validation=False, trust_repo="check", verbose=True,
         source="github"):
    """Names of the callable entry points in the repository's hubconf.py (``source='local'``
    reads a directory, an ember extension)."""
    repo_dir = _repo_dir(github, source, force_reload, trust_repo, "list", verbose)
    with _add_to_sys_path(repo_dir):
        m = _import_hubconf(repo_dir)
    return [f for f in dir(m) if callable(getattr(m, f)) and not f.startswith("_")]


def help(github, model, force_reload=False, skip_validation=False, trust_repo="check",
         source="github"):
    """The docstring of entry point `model`."""
    repo_dir = _repo_dir(github, source, force_reload, trust_repo, "help")
    with _add_to_sys_path(repo_dir):
        m = _import_hubconf(repo_dir)
    return _load_entry_from_hubconf(m, model).__doc__


def load(repo_or_dir, model, *args, source="github", trust_repo="check", force_reload=False,
         verbose=True, skip_validation=False, **kwargs):
    """Call entry point `model` of a repository's hubconf.py with `*args, **kwargs`.

    ``source='github'``: `repo_or_dir` is ``owner/name[:ref]``, downloaded into get_dir()
    once; ``source='local'``: a directory holding hubconf.py.
    """
    repo_dir = _repo_dir(repo_or_dir, source, force_reload, trust_repo, "load", verbose)
    return _load_local(repo_dir, model, *args, **kwargs)


def _load_local(hubconf_dir, model, *args, **kwargs):
    with _add_to_sys_path(hubconf_dir):
        m = _import_hubconf(hubconf_dir)
        entry = _load_entry_from_hubconf(m, model)
        return entry(*args, **kwargs)


"""Download, checksum and archive helpers (torchvision.datasets.utils)."""
import bz2
import gzip
import hashlib
import lzma
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile

USER_AGENT = "ember/vision"


def calculate_md5(fpath, chunk_size=1024 * 1024):
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5, **kwargs):
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath, md5=None):
    """True when `fpath` exists and (if `md5` is given) its MD5 matches."""
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


def _urlretrieve(url, fpath, chunk_size=1024 * 32, timeout=30):
    # Download into a .part file and resume it with a Range request when one is left over
    # from an interrupted download; rename only once complete.
    part = fpath + ".part"
    start = os.path.getsize(part) if os.path.exists(part) else 0
    headers = {"User-Agent": USER_AGENT}
    if start:
        headers["Range"] = f"bytes={start}-"
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        mode = "ab" if start and resp.status == 206 else "wb"
        with open(part, mode) as fh:
            while True:
                chunk = resp.read(chunk_size)
                if not chunk:
                    break
                fh.write(chunk)
    os.replace(part, fpath)


def download_url(url, root, filename=None, md5=None, max_redirect_hops=3):
    """Download `url` into `root/filename`, skipping the download when the file is intact.

    Raises RuntimeError when the downloaded file's MD5 differs from `md5`, naming both.
    """
    root = os.path.expanduser(root)
    filename = filename or os.path.basename(url)
    fpath = os.fspath(os.path.join(root, filename))
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return fpath
    print(f"Downloading {url} to {fpath}")
    _urlretrieve(url, fpath)
    if md5 is not None:
        actual = calculate_md5(fpath)
        if actual != md5:
            raise RuntimeError(
                f"File {fpath} downloaded from {url} is corrupted: MD5 mismatch "
                f"(expected {md5}, got {actual}).")
    return fpath


def _detect_archive(path):
    lower = str(path).lower()
    for suffix in (".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".zip"):
        if lower.endswith(suffix):
            return "archive", suffix
    for suffix in (".gz", ".bz2", ".xz"):
        if lower.endswith(suffix):
            return "compressed", suffix
    raise RuntimeError(f"Unsupported archive type for {path}: expected .tar(.gz/.bz2/.xz), "
                       ".tgz, .zip, .gz, .bz2 or .xz")


def _safe_members(tar, to_path):
    base = os.path.realpath(to_path)
    for m in tar.getmembers():
        target = os.path.realpath(os.path.join(to_path, m.name))
        if not (target == base or target.startswith(base + os.sep)):
            raise RuntimeError(f"Archive member {m.name!r} would extract outside {to_path}")
        yield m


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Extract a tar/zip archive, or decompress a .gz/.bz2/.xz file; returns the target."""
    from_path = os.fspath(from_path)
    if to_path is None:
        to_path = os.path.dirname(from_path)
    kind, suffix = _detect_archive(from_path)
    try:
        if kind == "compressed":
            opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}[suffix]
            name = os.path.basename(from_path)[: -len(suffix)]
            out = os.path.join(to_path, name)
            with opener(from_path, "rb") as rf, open(out, "wb") as wf:
                shutil.copyfileobj(rf, wf)
        elif suffix == ".zip":
            with zipfile.ZipFile(from_path) as zf:
                zf.extractall(to_path)
            out = to_path
        else:
            with tarfile.open(from_path) as tar:
                tar.extractall(to_path, members=list(_safe_members(tar, to_path)))
            out = to_path
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, lzma.LZMAError) as e:
        raise RuntimeError(f"Could not extract {from_path}: {e}") from e
    if remove_finished:
        os.remove(from_path)
    return out


def download_and_extract_archive(url, download_root, extract_root=None, filename=None,
                                 md5=None, remove_finished=False):
    download_root = os.path.expanduser(download_root)
    extract_root = extract_root or download_root
    filename = filename or os.path.basename(url)
    download_url(url, download_root, filename, md5)
    archive = os.path.join(download_root, filename)
    print(f"Extracting {archive} to {extract_root}")
    extract_archive(archive, extract_root, remove_finished)


def download_from_mirrors(mirrors, filename, root, md5=None):
    """Try each mirror in turn; raise RuntimeError listing every failure."""
    errors = []
    for mirror in mirrors:
        url = mirror + filename
        try:
            return download_url(url, root, filename, md5)
        except (urllib.error.URLError, OSError) as e:
            errors.append(f"{url}: {e}")
    raise RuntimeError(f"Error downloading {filename}:\n" + "\n".join(errors))


def verify_str_arg(value, arg=None, valid_values=None, custom_msg=None):
    if not isinstance(value, str):
        raise ValueError(f"Expected type str for argument {arg}, but got type {type(value)}.")
    if valid_values is not None and value not in valid_values:
        msg = custom_msg or (f"Unknown value '{value}' for argument {arg}. "
                             f"Valid values are {{{', '.join(map(repr, valid_values))}}}.")
        raise ValueError(msg)
    return value


def missing_file_error(path, name):
    return RuntimeError(
        f"Dataset not found or corrupted: {path} is missing. "
        f"You can use download=True to download {name}.")

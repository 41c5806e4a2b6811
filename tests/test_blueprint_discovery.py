"""A new blueprint is a folder: `chartgen new --type`, its help and prompt, the schema and verify all find it.

The blueprints are copied to a temporary folder, a copy of service/clusterip is added under a new name, and the
chartgen command (a real process, $CHARTGEN_BLUEPRINTS pointing at the copy) scaffolds and verifies a chart with
the real helm.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support import KUBE_VERSION, REPO

CHARTGEN = str(Path(sys.executable).with_name("chartgen"))


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "blueprints"
    shutil.copytree(REPO / "blueprints", root)
    new = root / "service" / "internal-api"
    shutil.copytree(root / "service" / "clusterip", new)
    manifest = (new / "blueprint.yaml").read_text().replace("name: clusterip", "name: internal-api")
    (new / "blueprint.yaml").write_text(manifest.replace("order: 10", "order: 15"))
    return root


def run(args: list[str], library: Path, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CHARTGEN_BLUEPRINTS=str(library))
    return subprocess.run([CHARTGEN, *args], cwd=cwd, env=env, input=stdin, text=True, capture_output=True,
                          timeout=300)


def test_new_and_verify_a_blueprint_added_as_a_folder(library, tmp_path, helm):
    res = run(["new", "orders", "--type", "internal-api", "--image", "ghcr.io/acme/orders:1.2.3", "--port", "80",
               "--target-port", "8080", "--no-input", "--output", str(tmp_path / "charts")], library, tmp_path)
    assert res.returncode == 0, res.stderr
    chart = tmp_path / "charts" / "orders"
    assert yaml.safe_load((chart / "chartgen.yaml").read_text())["blueprint"] == "internal-api"
    assert (chart / "templates" / "deployment.yaml").is_file()
    res = run(["verify", str(chart), "--helm", helm.path, "--kube-version", KUBE_VERSION], library, tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr


def test_help_prompt_and_schema_list_the_new_blueprint(library, tmp_path):
    res = run(["new", "--help"], library, tmp_path)
    assert "internal-api" in res.stdout.replace("\n", " ").replace("│", " ")
    schema = json.loads(run(["schema"], library, tmp_path).stdout)
    assert "internal-api" in schema["properties"]["blueprint"]["enum"]
    # the prompt offers the blueprints in their `order:`; internal-api (15) is choice 2
    answers = "\n".join(["shop", "2", "ghcr.io/acme/shop:2.0.0", "8080", "8081", "n"]) + "\n"
    res = run(["new", "--output", str(tmp_path / "out")], library, tmp_path, stdin=answers)
    assert res.returncode == 0, res.stderr
    assert yaml.safe_load((tmp_path / "out" / "shop" / "chartgen.yaml").read_text())["blueprint"] == "internal-api"


@pytest.mark.parametrize("no_input", [["--no-input"], []], ids=["no-input", "before-any-prompt"])
def test_an_unknown_type_is_one_line_naming_the_choices(library, tmp_path, no_input):
    res = run(["new", "x", "--type", "banana", "--image", "r/x:1", *no_input, "--output", str(tmp_path / "o")],
              library, tmp_path, stdin="")
    assert res.returncode == 2
    assert res.stdout == ""  # nothing was asked
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "type:" in lines[0] and "internal-api" in lines[0], res.stderr
    assert not (tmp_path / "o").exists()


def test_the_cheap_help_scan_agrees_with_the_library(library, monkeypatch):
    from chartgen.core.blueprint_root import quick_choices
    from chartgen.spec.blueprints import BlueprintLibrary

    assert quick_choices() == BlueprintLibrary.default().choices()
    monkeypatch.setenv("CHARTGEN_BLUEPRINTS", str(library))
    assert quick_choices() == BlueprintLibrary.default().choices()
    assert quick_choices()[:2] == ["clusterip", "internal-api"]


def test_parts_are_found_at_any_depth_in_path_order_and_symlinked_folders_are_skipped(library):
    from chartgen.spec.blueprints import BlueprintLibrary

    nested = library / "istio" / "extra" / "deeper"
    nested.mkdir(parents=True)
    (nested / "blueprint.yaml").write_text("description: a part two folders down\n")
    (library / "linked").symlink_to(library / "service", target_is_directory=True)
    ids = [part.id for part in BlueprintLibrary(library)._parts.values()]
    assert "istio/extra/deeper" in ids and "service/internal-api" in ids
    assert not any(i.startswith("linked") for i in ids)  # a link is not walked into (one part, one id)
    manifests = sorted(p.parent for p in library.rglob("blueprint.yaml"))  # pathlib's own walk, as before
    assert ids == [p.relative_to(library).as_posix() for p in manifests]


def test_a_parts_files_are_listed_in_path_order_below_any_depth(library):
    from chartgen.spec.blueprints import BlueprintLibrary

    files = library / "base" / "files"
    (files / "templates" / "a").mkdir()
    (files / "templates" / "a" / "b.yaml.j2").write_text("kind: B\n")
    (files / "templates" / "a-c.yaml").write_text("kind: C\n")
    (files / "templates" / "linked").symlink_to(files / "templates" / "a", target_is_directory=True)
    (files / "templates" / "dangling.yaml").symlink_to(files / "no-such-file")
    listed = BlueprintLibrary(library).part("base").files()
    rels = [rel for rel, _ in listed]
    assert rels.index("templates/a/b.yaml") < rels.index("templates/a-c.yaml")  # by component, as Path sorts
    assert not any(r.startswith("templates/linked") for r in rels) and "templates/dangling.yaml" not in rels
    walked = sorted(p for p in files.rglob("*") if p.is_file())  # pathlib's own listing, as before
    assert [path for _, path in listed] == walked
    assert all(path.name.removesuffix(".j2") == rel.rsplit("/", 1)[-1] for rel, path in listed)


def test_profile_names_are_listed_once_per_library(library):
    from chartgen.spec.blueprints import BlueprintLibrary

    lib = BlueprintLibrary(library)
    names = lib.profile_names()
    assert {"dev", "staging", "prod"} <= set(names) and "base" not in names
    names.append("mutated")  # a caller's list is its own
    (library / "profiles" / "qa.yaml").write_text("replicas: 1\n")
    assert lib.profile_names() == sorted(set(names) - {"mutated"})  # the library's folder, as loaded
    assert "qa" in BlueprintLibrary(library).profile_names()

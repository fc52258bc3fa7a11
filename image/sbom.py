"""The image's software bill of materials: CycloneDX 1.6 JSON.

The Python side comes from cyclonedx-py (CycloneDX's own generator,
``cyclonedx-bom`` on PyPI) run over the pinned lock file, so every wheel has
its version, its PyPI purl and its sha256. The Debian side is the root's dpkg
database (``/var/lib/dpkg/status``), one component per installed package with
a ``pkg:deb/debian/...`` purl; packages built on the host from source
(sdnotify) and the appliance itself are taken from the venv's ``.dist-info``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
LOCK = HERE / "requirements-aarch64.txt"
CYCLONEDX_BOM = "cyclonedx-bom==7.5.0"


def _tool(cache: Path) -> Path:
    env = cache / "tools-venv"
    exe = env / "bin" / "cyclonedx-py"
    if not exe.exists():
        venv.create(env, with_pip=True)
        subprocess.run([str(env / "bin" / "pip"), "install", "-q", CYCLONEDX_BOM], check=True)
    return exe


def dpkg_packages(root: Path) -> list[dict[str, str]]:
    """Installed packages from the root's dpkg status file (Package, Version, Architecture, Source)."""
    packages = []
    for stanza in (root / "var" / "lib" / "dpkg" / "status").read_text().split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line and not line[0].isspace() and ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        if fields.get("Status", "").endswith(" installed"):
            packages.append(fields)
    return sorted(packages, key=lambda f: f["Package"])


def _deb_component(fields: dict[str, str]) -> dict[str, object]:
    name, version, arch = fields["Package"], fields["Version"], fields.get("Architecture", "arm64")
    purl = f"pkg:deb/debian/{name}@{quote(version, safe='')}?arch={arch}&distro=debian-13"
    component: dict[str, object] = {
        "type": "library" if name.startswith("lib") else "application",
        "bom-ref": purl,
        "name": name,
        "version": version,
        "purl": purl,
    }
    if "Source" in fields:
        component["properties"] = [{"name": "debian:source", "value": fields["Source"]}]
    return component


def _dist_infos(root: Path) -> dict[str, str]:
    found = {}
    for meta in (root / "opt" / "appliance" / "venv" / "lib").glob(
        "python3*/site-packages/*.dist-info/METADATA"
    ):
        fields = dict(
            line.split(": ", 1) for line in meta.read_text().split("\n\n")[0].splitlines() if ": " in line
        )
        found[fields["Name"].lower().replace("_", "-")] = fields["Version"]
    return found


def write(root: Path, dest: Path, version: str, cache: Path, epoch: int) -> Path:
    """The SBOM at ``dest``; ``--output-reproducible`` with SOURCE_DATE_EPOCH: same inputs, same bytes."""
    wheels_bom = dest.with_suffix(".wheels.json")
    subprocess.run(
        [
            str(_tool(cache)),
            "requirements",
            str(LOCK),
            "--of",
            "JSON",
            "--sv",
            "1.6",
            "--output-reproducible",
            "-o",
            str(wheels_bom),
        ],
        check=True,
        env=dict(os.environ, SOURCE_DATE_EPOCH=str(epoch)),
    )
    bom = json.loads(wheels_bom.read_text())
    wheels_bom.unlink()
    listed = {c["name"].lower().replace("_", "-") for c in bom.get("components", [])}
    for name, ver in sorted(_dist_infos(root).items()):
        if name not in listed:
            purl = f"pkg:pypi/{name}@{ver}"
            bom.setdefault("components", []).append(
                {"type": "library", "bom-ref": purl, "name": name, "version": ver, "purl": purl}
            )
    bom["components"].extend(_deb_component(p) for p in dpkg_packages(root))
    bom.setdefault("metadata", {})["component"] = {
        "type": "operating-system",
        "bom-ref": f"appliance-image@{version}",
        "name": "appliance-image",
        "version": version,
        "description": "Debian 13 arm64 SD-card image of the room appliance",
    }
    dest.write_text(json.dumps(bom, indent=1) + "\n")
    return dest


if __name__ == "__main__":
    print(len(dpkg_packages(Path(sys.argv[1]))))

"""A small kustomize renderer for the features deploy/k8s uses (no kustomize binary here).

Supported: `resources` (files and directories with a kustomization), `namespace`, `labels`
(pairs, added to metadata.labels), `images` (newName/newTag), `patches` with a `path` to a
strategic-merge patch (maps merged key by key, lists replaced) matched by kind and name, and
`configMapGenerator` with `behavior: merge` and `literals`. Anything else fails loudly.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

KNOWN = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "labels",
    "images",
    "patches",
    "configMapGenerator",
}


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = _merge(base.get(key), value) if key in base else value
        return out
    return copy.deepcopy(patch)


def render(directory: Path) -> list[dict[str, Any]]:
    """The objects `kustomize build directory` would print, for the supported features."""
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(spec) - KNOWN
    if unknown:
        raise ValueError(f"{directory}: unsupported kustomization fields {sorted(unknown)}")
    objects: list[dict[str, Any]] = []
    for resource in spec.get("resources", []):
        path = directory / resource
        if path.is_dir():
            objects.extend(render(path))
        else:
            objects.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    for patch_ref in spec.get("patches", []):
        for patch in yaml.safe_load_all((directory / patch_ref["path"]).read_text()):
            matches = [
                o
                for o in objects
                if (o["kind"], o["metadata"]["name"]) == (patch["kind"], patch["metadata"]["name"])
            ]
            if len(matches) != 1:
                raise ValueError(
                    f"patch {patch['kind']}/{patch['metadata']['name']} matches "
                    f"{len(matches)} objects"
                )
            index = objects.index(matches[0])
            objects[index] = _merge(matches[0], patch)
    for generator in spec.get("configMapGenerator", []):
        if generator.get("behavior") != "merge":
            raise ValueError("only configMapGenerator behavior: merge is supported")
        target = next(
            o
            for o in objects
            if o["kind"] == "ConfigMap" and o["metadata"]["name"] == generator["name"]
        )
        for literal in generator.get("literals", []):
            key, _, value = literal.partition("=")
            target.setdefault("data", {})[key] = value
    for entry in spec.get("labels", []):
        for obj in objects:
            obj["metadata"].setdefault("labels", {}).update(entry["pairs"])
    for image in spec.get("images", []):
        for obj in objects:
            for container in _containers(obj):
                name, _, _ = container["image"].partition(":")
                if name == image["name"]:
                    container["image"] = f"{image.get('newName', name)}:{image['newTag']}"
    if "namespace" in spec:
        for obj in objects:
            obj["metadata"]["namespace"] = spec["namespace"]
    return objects


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    pod = obj.get("spec", {}).get("template", {}).get("spec", {})
    return list(pod.get("containers", [])) + list(pod.get("initContainers", []))

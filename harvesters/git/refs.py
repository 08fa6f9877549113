"""`git ls-remote --symref` output -> default branch, HEAD and tags (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RemoteRefs:
    default_branch: str
    head: str
    tags: dict[str, str] = field(default_factory=dict)  # tag -> commit sha (peeled)


def parse_ls_remote(output: str) -> RemoteRefs:
    branch = ""
    head = ""
    tags: dict[str, str] = {}
    peeled: dict[str, str] = {}
    for line in output.splitlines():
        left, _, ref = line.partition("\t")
        if left.startswith("ref: ") and ref == "HEAD":
            branch = left[len("ref: "):].removeprefix("refs/heads/")
        elif ref == "HEAD":
            head = left
        elif ref.startswith("refs/tags/"):
            name = ref[len("refs/tags/"):]
            if name.endswith("^{}"):
                peeled[name[:-3]] = left
            else:
                tags[name] = left
    tags.update(peeled)  # annotated tags: the commit, not the tag object
    return RemoteRefs(default_branch=branch, head=head, tags=tags)

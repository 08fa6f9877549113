"""pyld without network: the schema.org and CodeMeta contexts served from here.

These are local stand-ins (schema.org as @vocab, link-valued terms typed @id), enough for pyld to
expand and convert to RDF and to show that no property is dropped.
"""

from __future__ import annotations

from typing import Any

_LINKS = ("codeRepository", "license", "url", "citation", "sameAs", "identifier_url")
SCHEMA_CONTEXT = {
    "@context": {
        "@vocab": "https://schema.org/",
        "schema": "https://schema.org/",
        **{name: {"@type": "@id"} for name in _LINKS},
    },
}
CODEMETA_CONTEXT = {
    "@context": {
        "@vocab": "https://schema.org/",
        "schema": "https://schema.org/",
        "codemeta": "https://codemeta.github.io/terms/",
        **{name: {"@type": "@id"} for name in _LINKS},
    },
}
DOCUMENTS = {
    "https://schema.org": SCHEMA_CONTEXT,
    "https://schema.org/": SCHEMA_CONTEXT,
    "http://schema.org": SCHEMA_CONTEXT,
    "https://w3id.org/codemeta/3.0": CODEMETA_CONTEXT,
}


def offline_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    if url not in DOCUMENTS:
        raise RuntimeError(f"no network in tests: {url}")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": DOCUMENTS[url]}


def expand_and_rdf(document: dict[str, Any]) -> tuple[list[dict[str, Any]], list[tuple[str, str, str]]]:
    from pyld import jsonld

    options = {"documentLoader": offline_loader}
    expanded = jsonld.expand(document, options)
    dataset = jsonld.to_rdf(document, options)
    triples = [(t["subject"]["value"], t["predicate"]["value"], t["object"]["value"]) for t in dataset["@default"]]
    return expanded, triples

"""IMS QTI 2.1 items (single files, folders, or IMS content packages) into bank items.

Taken: an assessmentItem with exactly one choiceInteraction whose responseDeclaration has
cardinality="single" and a correctResponse. Anything else is listed as skipped with the reason.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from .. import media
from ..bank_files import LoadedBank, Skipped, item_from_dict
from ..bank_format import MAX_CHOICES, MIN_CHOICES, BankError, check_bank
from . import Defaults, as_item, file_prefix, item_code, language_of, normalise, start_load

_SPACES = re.compile(r"\s+")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
MAX_MEMBER_BYTES = 5 * 1024 * 1024
# Elements whose text is not part of the question a candidate reads.
NOT_SHOWN = {
    "feedbackInline",
    "feedbackBlock",
    "modalFeedback",
    "rubricBlock",
    "templateBlock",
    "templateInline",
    "printedVariable",
}
NOT_TEXT = {"img", "object", "math", "audio", "video", "svg"}
# Kept with the item (app/exams/media.py): the package's own image and audio files.
MEDIA = {"img", "object", "audio"}
BLOCKS = {
    "p",
    "div",
    "prompt",
    "blockquote",
    "li",
    "ul",
    "ol",
    "table",
    "tr",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "dl",
    "dt",
    "dd",
    "br",
    "hr",
    "simpleChoice",
}


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _find_all(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if _local(e.tag) == name]


def load_qti(path, defaults: Defaults) -> LoadedBank:
    """Read a QTI item file, a content package (.zip with imsmanifest.xml) or a folder of them."""
    loaded, root = start_load(path, defaults)
    if root is None:
        return loaded
    if root.is_dir():
        files = sorted(
            p
            for p in root.rglob("*")
            if p.is_file() and p.suffix.lower() in (".xml", ".zip") and p.name != "imsmanifest.xml"
        )
        if (root / "imsmanifest.xml").is_file():
            files = [root / "imsmanifest.xml"]
    else:
        files = [root]
    if not files:
        loaded.errors.append(BankError(str(path), "no .xml or .zip files here"))
    position = 0
    for file in files:
        if file.suffix.lower() == ".zip":
            sources = _package_members(file, loaded)
        elif file.name == "imsmanifest.xml":
            sources = _folder_package(file, loaded)
        else:
            sources = [(str(file), file.read_bytes)]
        for name, read in sources:
            position += 1
            loaded.files.append(name)
            _read_item(name, read, defaults, position, loaded)
    check_bank(loaded)
    return loaded


def _item_hrefs(manifest: ET.Element) -> list[str]:
    """The item files a manifest lists, in its order (xml:base on resources/resource honoured)."""
    hrefs = []
    for resources in _find_all(manifest, "resources"):
        base = resources.get(XML_BASE, "")
        for res in resources:
            if _local(res.tag) != "resource" or not res.get("type", "").startswith("imsqti_item"):
                continue
            href = res.get("href")
            if href:
                hrefs.append(posixpath.normpath(posixpath.join(base, res.get(XML_BASE, ""), href)))
    return hrefs


def _parse_manifest(data: bytes, name: str, loaded: LoadedBank) -> list[str] | None:
    try:
        manifest = ET.fromstring(data)
    except ET.ParseError as exc:
        loaded.errors.append(BankError(name, f"XML syntax error: {exc}"))
        return None
    hrefs = _item_hrefs(manifest)
    if not hrefs:
        loaded.errors.append(
            BankError(name, 'lists no QTI item resources (resource type="imsqti_item_xmlv2p1")')
        )
    return hrefs


def _package_members(file: Path, loaded: LoadedBank):
    name = str(file)
    try:
        package = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        loaded.errors.append(BankError(name, "not a zip file"))
        return []
    with package:
        members = {info.filename: info for info in package.infolist()}
        if "imsmanifest.xml" not in members:
            loaded.errors.append(
                BankError(name, "not an IMS content package: no imsmanifest.xml at the top of the zip")
            )
            return []
        hrefs = _parse_manifest(package.read("imsmanifest.xml"), f"{name}!imsmanifest.xml", loaded) or []
        sources = []
        for href in hrefs:
            info = members.get(href)
            if info is None:
                loaded.errors.append(
                    BankError(f"{name}!imsmanifest.xml", f"lists {href}, which is not in the package")
                )
                continue
            if info.file_size > MAX_MEMBER_BYTES:
                loaded.errors.append(BankError(f"{name}!{href}", "larger than 5 MB"))
                continue
            data = package.read(info)
            sources.append((f"{name}!{href}", lambda data=data: data))
        return sources


def _folder_package(manifest: Path, loaded: LoadedBank):
    """An unzipped content package: a folder with imsmanifest.xml and its item files."""
    hrefs = _parse_manifest(manifest.read_bytes(), str(manifest), loaded) or []
    sources = []
    for href in hrefs:
        file = manifest.parent / href
        if not file.is_file():
            loaded.errors.append(BankError(str(manifest), f"lists {href}, which is not in the folder"))
            continue
        sources.append((str(file), file.read_bytes))
    return sources


def _read_item(name: str, read, defaults: Defaults, position: int, loaded: LoadedBank) -> None:
    try:
        root = ET.fromstring(read())
    except ET.ParseError as exc:
        loaded.errors.append(BankError(name, f"XML syntax error: {exc}"))
        return
    if _local(root.tag) != "assessmentItem":
        loaded.skipped.append(Skipped(name, f"<{_local(root.tag)}>", "not a QTI 2.x assessmentItem"))
        return
    identifier = root.get("identifier", "")
    ref = f"item {identifier}" if identifier else "item"

    def skip(reason: str) -> None:
        loaded.skipped.append(Skipped(name, ref, reason))

    def error(message: str) -> None:
        loaded.errors.append(BankError(name, message, ref))

    body = next((e for e in root if _local(e.tag) == "itemBody"), None)
    if body is None:
        return error("has no itemBody")
    interactions = [e for e in body.iter() if _local(e.tag).endswith("Interaction")]
    if len(interactions) != 1:
        kinds = ", ".join(sorted({_local(e.tag) for e in interactions})) or "none"
        return skip(
            f"has {len(interactions)} interactions ({kinds}); only items with one "
            "choiceInteraction are imported"
        )
    interaction = interactions[0]
    if _local(interaction.tag) != "choiceInteraction":
        return skip(f"{_local(interaction.tag)} is not single-answer multiple choice")
    embedded = sorted({_local(e.tag) for e in body.iter() if _local(e.tag) in NOT_TEXT - MEDIA})
    if embedded:
        return skip(f"contains {', '.join('<' + t + '>' for t in embedded)}; the bank holds text only")
    response_id = interaction.get("responseIdentifier", "")
    declaration = next(
        (e for e in root if _local(e.tag) == "responseDeclaration" and e.get("identifier") == response_id),
        None,
    )
    if declaration is None:
        return error(f'no responseDeclaration for responseIdentifier "{response_id}"')
    cardinality = declaration.get("cardinality", "")
    if cardinality != "single":
        return skip(
            f'responseDeclaration has cardinality="{cardinality}"; only single-answer '
            "multiple choice is imported"
        )
    correct = next((e for e in declaration if _local(e.tag) == "correctResponse"), None)
    values = (
        [(v.text or "").strip() for v in correct if _local(v.tag) == "value"] if correct is not None else []
    )
    if len(values) != 1:
        return skip("has no correctResponse with one value (scoring by mapping only is not supported)")

    simple = [e for e in interaction if _local(e.tag) == "simpleChoice"]
    qti_ids = [c.get("identifier", "") for c in simple]
    if values[0] not in qti_ids:
        return error(
            f'correctResponse "{values[0]}" is not the identifier of a simpleChoice ({", ".join(qti_ids)})'
        )
    if not MIN_CHOICES <= len(simple) <= MAX_CHOICES:
        return skip(f"has {len(simple)} choices; an item has {MIN_CHOICES} to {MAX_CHOICES}")

    before: list[str] = []
    _text_until(body, interaction, before)
    prompt = next((e for e in interaction if _local(e.tag) == "prompt"), None)
    parts = [normalise("".join(before))]
    if prompt is not None:
        parts.append(_plain(prompt))
    stem = "\n".join(p for p in parts if p)
    choices = [_plain(c) for c in simple]
    declared = root.get(XML_LANG) or body.get(XML_LANG)
    lang = language_of(stem, declared)
    code = item_code(identifier, file_prefix(name), f"{name}#{position}")
    mapping = " ".join(f"{chr(ord('a') + i)}={qid}" for i, qid in enumerate(qti_ids))
    raw = as_item(
        code=code,
        topic=defaults.topic,
        difficulty=defaults.difficulty,
        lang=lang,
        stem=stem,
        choices=choices,
        key_index=qti_ids.index(values[0]),
        fixed_order=any(c.get("fixed") == "true" for c in simple),
    )
    item = item_from_dict(
        raw,
        loaded,
        file=name,
        bank=defaults.bank,
        section=defaults.section,
        position=position,
        source=f"qti {name} {identifier}: {mapping}",
    )
    if item is not None:
        loaded.items.append(item)


def _text_until(elem: ET.Element, stop: ET.Element, out: list[str]) -> bool:
    """Append the text shown before `stop` (in document order); True once `stop` is reached."""
    if elem is stop:
        return True
    local = _local(elem.tag)
    if local in NOT_SHOWN:
        return False
    if local in MEDIA:  # the file, named as the package names it, kept with the item
        src = elem.get("src") or elem.get("data") or ""
        out.append(" " + media.reference(src, elem.get("alt") or " ".join(elem.itertext())) + " ")
        return False
    block = local in BLOCKS
    if block:
        out.append("\n")
    # As in HTML, a line break in the source is a space; only blocks and <br> break lines.
    if elem.text:
        out.append(_SPACES.sub(" ", elem.text))
    for child in elem:
        if _text_until(child, stop, out):
            return True
        if child.tail:
            out.append(_SPACES.sub(" ", child.tail))
    if block:
        out.append("\n")
    return False


def _plain(elem: ET.Element) -> str:
    out: list[str] = []
    _text_until(elem, None, out)
    return normalise("".join(out))

"""IMS QTI 2.1 items (single files, folders, or IMS content packages) into bank items.

Taken: an assessmentItem with exactly one interaction that is a choiceInteraction (cardinality
single: single choice, or true/false when its two choices say so; cardinality multiple:
multiple response, at most maxChoices right) or a textEntryInteraction (baseType float or
integer: numeric, the tolerance from responseProcessing's <equal tolerance>, else 0; string:
short text, the correctResponse and the mapping's positive mapKeys accepted). Anything else is
listed as skipped with the reason. XML is parsed with defusedxml (no entities, no external
references); each file is read in the encoding its XML declaration names. In a content package
the manifest's resource identifier names the item (several item files may share an
assessmentItem identifier: they are different items).
"""

from __future__ import annotations

import codecs
import posixpath
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .. import media
from ..bank_files import Limits, LoadedBank, Skipped, item_from_dict
from ..bank_format import MAX_CHOICES, MIN_CHOICES, BankError, check_bank
from ..bank_messages import N_
from .shared import Defaults, as_item, choice_ids, file_prefix, item_code, language_of, normalise, start_load

_SPACES = re.compile(r"\s+")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_DECLARATION = re.compile(rb"^(\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
# Encodings expat reads itself; any other declared one is decoded here first.
_EXPAT = {"utf-8", "utf-16", "iso8859-1", "ascii"}
TRUE_WORDS = {"true", "ถูก", "จริง", "ใช่", "yes"}
FALSE_WORDS = {"false", "ผิด", "ไม่จริง", "เท็จ", "ไม่ใช่", "no"}
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


def _find_all(root: Element, name: str) -> list[Element]:
    return [e for e in root.iter() if _local(e.tag) == name]


@dataclass
class Source:
    """One item file to read: its name in messages, how to read its bytes, and the identity the
    source gives it (a package's resource identifier, or nothing for a loose file)."""

    name: str
    read: object
    container: str  # the package (or the file itself) named in the item's origin
    resource: str = ""


def load_qti(path, defaults: Defaults, bounds: Limits | None = None) -> LoadedBank:
    """Read a QTI item file, a content package (.zip with imsmanifest.xml) or a folder of them."""
    loaded, root = start_load(path, defaults, bounds)
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
        loaded.errors.append(BankError(str(path), N_("no .xml or .zip files here")))
    position = 0
    for file in files:
        if file.suffix.lower() == ".zip":
            sources = _package_members(file, loaded)
        elif file.name == "imsmanifest.xml":
            sources = _folder_package(file, loaded)
        elif loaded.fits(str(file), file.stat().st_size):
            sources = [Source(str(file), file.read_bytes, file.name)]
        else:
            sources = []
        for source in sources:
            position += 1
            loaded.files.append(source.name)
            _read_item(source, defaults, position, loaded)
    check_bank(loaded)
    return loaded


def parse_xml(data: bytes, name: str, loaded: LoadedBank) -> Element | None:
    """The document, read in the encoding it declares, by a parser that refuses entities and
    external references; None with the error recorded."""
    try:
        data = _as_utf8(data)
    except LookupError as exc:
        loaded.errors.append(
            BankError(name, N_("declares the encoding %(encoding)s, which is not known", encoding=str(exc)))
        )
        return None
    except UnicodeDecodeError as exc:
        loaded.errors.append(
            BankError(
                name,
                N_(
                    "is not in the encoding it declares (%(encoding)s): byte %(n)d",
                    encoding=exc.encoding,
                    n=exc.start,
                ),
            )
        )
        return None
    try:
        return fromstring(data)
    except ParseError as exc:
        loaded.errors.append(BankError(name, N_("XML syntax error: %(problem)s", problem=str(exc))))
    except DefusedXmlException as exc:
        loaded.errors.append(
            BankError(
                name,
                N_("refused: %(problem)s (entities and external references are not read)", problem=str(exc)),
            )
        )
    return None


def _as_utf8(data: bytes) -> bytes:
    """Bytes expat can read: a document declared in an encoding expat does not know (TIS-620,
    windows-874, ...) is decoded here and its declaration made UTF-8."""
    match = _DECLARATION.match(data)
    if match is None:
        return data
    declared = match.group(2).decode("ascii")
    codec = codecs.lookup(declared)  # LookupError: unknown
    if codec.name in _EXPAT:
        return data
    text = data[len(match.group(1) or b"") :].decode(codec.name)
    text = re.sub(r"encoding\s*=\s*[\"'][A-Za-z0-9._-]+[\"']", 'encoding="UTF-8"', text, count=1)
    return text.encode("utf-8")


def _item_resources(manifest: Element) -> list[tuple[str, str]]:
    """(href, resource identifier) of the item files a manifest lists, in its order (xml:base
    on resources/resource honoured)."""
    found = []
    for resources in _find_all(manifest, "resources"):
        base = resources.get(XML_BASE, "")
        for res in resources:
            if _local(res.tag) != "resource" or not res.get("type", "").startswith("imsqti_item"):
                continue
            href = res.get("href")
            if href:
                found.append(
                    (
                        posixpath.normpath(posixpath.join(base, res.get(XML_BASE, ""), href)),
                        res.get("identifier", ""),
                    )
                )
    return found


def _parse_manifest(data: bytes, name: str, loaded: LoadedBank) -> list[tuple[str, str]]:
    manifest = parse_xml(data, name, loaded)
    if manifest is None:
        return []
    found = _item_resources(manifest)
    if not found:
        loaded.errors.append(
            BankError(name, N_('lists no QTI item resources (resource type="imsqti_item_xmlv2p1")'))
        )
    return found


def _package_members(file: Path, loaded: LoadedBank) -> list[Source]:
    name = str(file)
    if not loaded.fits(name, file.stat().st_size):
        return []
    try:
        package = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        loaded.errors.append(BankError(name, N_("not a zip file")))
        return []
    with package:
        members = {info.filename: info for info in package.infolist()}
        if "imsmanifest.xml" not in members:
            loaded.errors.append(
                BankError(name, N_("not an IMS content package: no imsmanifest.xml at the top of the zip"))
            )
            return []
        if not loaded.fits(f"{name}!imsmanifest.xml", members["imsmanifest.xml"].file_size):
            return []
        listed = _parse_manifest(package.read("imsmanifest.xml"), f"{name}!imsmanifest.xml", loaded)
        sources = []
        for href, resource in listed:
            info = members.get(href)
            if info is None:
                loaded.errors.append(
                    BankError(
                        f"{name}!imsmanifest.xml",
                        N_(
                            "resource %(resource)s names the file %(file)s, which is not in the package",
                            resource=resource,
                            file=href,
                        ),
                    )
                )
                continue
            if not loaded.fits(f"{name}!{href}", info.file_size):
                continue
            data = package.read(info)
            sources.append(Source(f"{name}!{href}", lambda data=data: data, file.name, resource))
        return sources


def _folder_package(manifest: Path, loaded: LoadedBank) -> list[Source]:
    """An unzipped content package: a folder with imsmanifest.xml and its item files."""
    if not loaded.fits(str(manifest), manifest.stat().st_size):
        return []
    listed = _parse_manifest(manifest.read_bytes(), str(manifest), loaded)
    sources = []
    for href, resource in listed:
        file = manifest.parent / href
        if not file.is_file():
            loaded.errors.append(
                BankError(
                    str(manifest),
                    N_(
                        "resource %(resource)s names the file %(file)s, which is not in the folder",
                        resource=resource,
                        file=href,
                    ),
                )
            )
            continue
        if loaded.fits(str(file), file.stat().st_size):
            sources.append(Source(str(file), file.read_bytes, manifest.parent.name, resource))
    return sources


def _read_item(source: Source, defaults: Defaults, position: int, loaded: LoadedBank) -> None:
    name = source.name
    root = parse_xml(source.read(), name, loaded)
    if root is None:
        return
    if _local(root.tag) != "assessmentItem":
        loaded.skipped.append(Skipped(name, f"<{_local(root.tag)}>", N_("not a QTI 2.x assessmentItem")))
        return
    identifier = root.get("identifier", "")
    ref = N_("item %(code)s", code=identifier) if identifier else N_("item")
    if source.resource:
        ref = N_("resource %(resource)s (%(item)s)", resource=source.resource, item=ref)

    def skip(reason: str) -> None:
        loaded.skipped.append(Skipped(name, ref, reason))

    def error(message: str) -> None:
        loaded.errors.append(BankError(name, message, ref))

    body = next((e for e in root if _local(e.tag) == "itemBody"), None)
    if body is None:
        return error(N_("has no itemBody"))
    interactions = [e for e in body.iter() if _local(e.tag).endswith("Interaction")]
    if len(interactions) != 1:
        kinds = ", ".join(sorted({_local(e.tag) for e in interactions})) or "none"
        return skip(
            N_(
                "has %(n)d interactions (%(kinds)s); only items with one choiceInteraction or "
                "textEntryInteraction are imported",
                n=len(interactions),
                kinds=kinds,
            )
        )
    interaction = interactions[0]
    kind = _local(interaction.tag)
    if kind not in ("choiceInteraction", "textEntryInteraction"):
        return skip(
            N_("%(kind)s is not imported (choiceInteraction and textEntryInteraction are)", kind=kind)
        )
    embedded = sorted({_local(e.tag) for e in body.iter() if _local(e.tag) in NOT_TEXT - MEDIA})
    if embedded:
        return skip(
            N_("contains %(tags)s; the bank holds text only", tags=", ".join("<" + t + ">" for t in embedded))
        )
    response_id = interaction.get("responseIdentifier", "")
    declaration = next(
        (e for e in root if _local(e.tag) == "responseDeclaration" and e.get("identifier") == response_id),
        None,
    )
    if declaration is None:
        return error(N_('no responseDeclaration for responseIdentifier "%(id)s"', id=response_id))
    cardinality = declaration.get("cardinality", "")
    correct = next((e for e in declaration if _local(e.tag) == "correctResponse"), None)
    values = (
        [(v.text or "").strip() for v in correct if _local(v.tag) == "value"] if correct is not None else []
    )
    declared = root.get(XML_LANG) or body.get(XML_LANG)
    fixed = False
    choices = None
    limits: dict = {}
    if kind == "choiceInteraction":
        simple = [e for e in interaction if _local(e.tag) == "simpleChoice"]
        qti_ids = [c.get("identifier", "") for c in simple]
        unknown = [v for v in values if v not in qti_ids]
        if unknown:
            return error(
                N_(
                    'correctResponse "%(value)s" is not the identifier of a simpleChoice (%(ids)s)',
                    value=unknown[0],
                    ids=", ".join(qti_ids),
                )
            )
        if not MIN_CHOICES <= len(simple) <= MAX_CHOICES:
            return skip(
                N_(
                    "has %(n)d choices; an item has %(min)d to %(max)d",
                    n=len(simple),
                    min=MIN_CHOICES,
                    max=MAX_CHOICES,
                )
            )
        before: list[str] = []
        _text_until(body, interaction, before)
        prompt = next((e for e in interaction if _local(e.tag) == "prompt"), None)
        parts = [_lines(normalise("".join(before)))]
        if prompt is not None:
            parts.append(_plain(prompt))
        stem = _joined([p for p in parts if p])
        choices = [_plain(c) for c in simple]
        fixed = any(c.get("fixed") == "true" for c in simple)
        ids = choice_ids(len(simple))
        mapping = " ".join(f"{cid}={qid}" for cid, qid in zip(ids, qti_ids))
        if cardinality == "single":
            if len(values) != 1:
                return skip(
                    N_("has no correctResponse with one value (scoring by mapping only is not supported)")
                )
            right = qti_ids.index(values[0])
            words = [c.casefold() for c in choices]
            if (
                len(choices) == 2
                and words[right] in TRUE_WORDS | FALSE_WORDS
                and ({words[0], words[1]} & TRUE_WORDS and {words[0], words[1]} & FALSE_WORDS)
            ):
                item_type, key, choices = "true_false", words[right] in TRUE_WORDS, None
            else:
                item_type, key = "single", ids[right]
        elif cardinality == "multiple":
            if not values:
                return skip(N_("has no correctResponse (scoring by mapping only is not supported)"))
            try:  # (QTI 2.1: maxChoices 0 is no limit, minChoices 0 is no minimum)
                most = int(interaction.get("maxChoices", "0") or 0)
                least = int(interaction.get("minChoices", "0") or 0)
            except ValueError:
                return error(N_("maxChoices and minChoices must be whole numbers"))
            if most and len(values) > most:
                return error(
                    N_(
                        "correctResponse has %(n)d values but maxChoices is %(most)d",
                        n=len(values),
                        most=most,
                    )
                )
            item_type, key = "multiple", [ids[qti_ids.index(v)] for v in values]
            # (a maximum of every choice, or a minimum of one, is no limit at all)
            limits = {
                "max_choices": most if 0 < most < len(simple) else None,
                "min_choices": least if least > 1 else None,
            }
        else:
            return skip(
                N_(
                    'responseDeclaration has cardinality="%(value)s"; single and multiple are imported',
                    value=cardinality,
                )
            )
    else:
        base_type = declaration.get("baseType", "")
        stem = _plain_with_blank(body, interaction)
        mapping = f"textEntry {base_type}"
        if cardinality != "single":
            return skip(
                N_(
                    'a textEntryInteraction with cardinality="%(value)s"; single is imported',
                    value=cardinality,
                )
            )
        if base_type in ("float", "integer"):
            tolerance = _tolerance(root, response_id)
            numbers = values or _mapped_keys(declaration)
            if not numbers:
                return skip(N_("has no correctResponse or mapping to score the number by"))
            try:
                key = [{"value": str(Decimal(v)), "tolerance": str(tolerance(Decimal(v)))} for v in numbers]
            except InvalidOperation:
                return error(
                    N_(
                        "correctResponse %(values)s is not a number (%(type)s)",
                        values=str(numbers),
                        type=base_type,
                    )
                )
            item_type = "numeric"
        elif base_type == "string":
            accepted = list(dict.fromkeys(values + _mapped_keys(declaration)))
            if not accepted:
                return skip(N_("has no correctResponse or mapping with the accepted answers"))
            item_type, key = "text", accepted
        else:
            return skip(
                N_(
                    'a textEntryInteraction with baseType="%(value)s"; float, integer and string are '
                    "imported",
                    value=base_type,
                )
            )
    lang = language_of(stem, declared)
    if source.resource:
        seed = f"{source.container}#{source.resource}"
        code = item_code(source.resource, file_prefix(source.container), seed)
    else:
        code = item_code(identifier, file_prefix(name), f"{name}#{position}")
    raw = as_item(
        code=code,
        topic=defaults.topic,
        difficulty=defaults.difficulty,
        lang=lang,
        stem=stem,
        choices=choices,
        fixed_order=fixed,
        item_type=item_type,
        key=key,
        **limits,
    )
    item = item_from_dict(
        raw,
        loaded,
        file=name,
        bank=defaults.bank,
        section=defaults.section,
        position=position,
        source=f"qti {name} {identifier}: {mapping}",
        origin=f"qti {source.container} "
        + (f"resource {source.resource}" if source.resource else f"item {identifier}"),
    )
    if item is not None:
        loaded.items.append(item)


def _mapped_keys(declaration: Element) -> list[str]:
    """The mapKeys a <mapping> gives a positive value: answers that earn points."""
    keys = []
    for mapping in (e for e in declaration if _local(e.tag) == "mapping"):
        for entry in mapping:
            if _local(entry.tag) != "mapEntry":
                continue
            try:
                earns = Decimal(entry.get("mappedValue", "0")) > 0
            except InvalidOperation:
                earns = False
            if earns and entry.get("mapKey", "").strip():
                keys.append(entry.get("mapKey").strip())
    return keys


def _tolerance(root: Element, response_id: str):
    """value -> tolerance, from responseProcessing's <equal toleranceMode tolerance> comparing
    the response (absolute: the larger of its two bounds; relative: that percent of the value);
    0 (an exact answer) when the item has none."""
    processing = next((e for e in root if _local(e.tag) == "responseProcessing"), None)
    for equal in _find_all(processing, "equal") if processing is not None else []:
        compared = [v.get("identifier") for v in equal if _local(v.tag) == "variable"]
        if response_id not in compared:
            continue
        mode = equal.get("toleranceMode", "exact")
        try:
            bounds = [Decimal(t) for t in equal.get("tolerance", "0").split()] or [Decimal(0)]
        except InvalidOperation:
            bounds = [Decimal(0)]
        widest = max(bounds)
        if mode == "absolute":
            return lambda _value: widest
        if mode == "relative":
            return lambda value: abs(value) * widest / 100
    return lambda _value: Decimal(0)


def _plain_with_blank(body: Element, interaction: Element) -> str:
    """The item body's text with a blank where the text entry is."""
    marker = "\ue010"
    out: list[str] = []
    _text_until(body, None, out, blank=(interaction, marker))
    return _lines(normalise("".join(out))).replace(marker, "_____")


def _text_until(elem: Element, stop: Element | None, out: list[str], blank=None) -> bool:
    """Append the text shown before `stop` (in document order); True once `stop` is reached.
    `blank` (element, text) writes the text in place of that element."""
    if elem is stop:
        return True
    if blank is not None and elem is blank[0]:
        out.append(f" {blank[1]} ")
        return False
    local = _local(elem.tag)
    if local in NOT_SHOWN:
        return False
    if local in MEDIA:  # the file, named as the package names it, kept with the item
        src = elem.get("src") or elem.get("data") or ""
        out.append(" " + media.reference(src, elem.get("alt") or " ".join(elem.itertext())) + " ")
        return False
    if local == "table":  # an XHTML table becomes a Markdown table (content.py renders it)
        out.append(f"\n{BLANK}\n{_markdown_table(elem)}\n{BLANK}\n")
        return False
    block = local in BLOCKS
    if block:
        out.append("\n")
    # As in HTML, a line break in the source is a space; only blocks and <br> break lines.
    if elem.text:
        out.append(_SPACES.sub(" ", elem.text))
    for child in elem:
        if _text_until(child, stop, out, blank):
            return True
        if child.tail:
            out.append(_SPACES.sub(" ", child.tail))
    if block:
        out.append("\n")
    return False


def _plain(elem: Element) -> str:
    out: list[str] = []
    _text_until(elem, None, out)
    return _lines(normalise("".join(out)))


# A line that must stay empty (around a table) survives `normalise` as this, then is emptied.
BLANK = "\ue011"


def _joined(parts: list[str]) -> str:
    """Parts of a stem one per line; a blank line after a table, or the next line would be read
    as one of its rows."""
    out = ""
    for part in parts:
        if out:
            out += "\n\n" if out.rsplit("\n", 1)[-1].startswith("|") else "\n"
        out += part
    return out


def _lines(text: str) -> str:
    return text.replace(BLANK, "").strip("\n")


def _markdown_table(table: Element) -> str:
    """The rows of an XHTML <table> (QTI 2.1 embeds XHTML tables) as a Markdown table: the first
    row is the header; a cell's text on one line, its pipes escaped."""
    rows = []
    for row in (e for e in table.iter() if _local(e.tag) == "tr"):
        cells = [e for e in row if _local(e.tag) in ("th", "td")]
        texts = []
        for cell in cells:
            out: list[str] = []
            _text_until(cell, None, out)
            texts.append(" ".join(normalise("".join(out)).split()).replace("|", "\\|") or " ")
        if texts:
            rows.append(texts)
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [" "] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)

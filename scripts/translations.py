"""The gettext catalogues (``hotline/translations/``): extract, update, check, compile.

    python scripts/translations.py update    # re-extract, merge into every .po, compile .mo
    python scripts/translations.py check     # fail when a language misses a text or a .mo is stale

Msgids are the German texts of the pages and of the SMS, spoken and e-mail texts to one
person. They come from the templates (``_("…")``), the code (``gettext``, ``_``, ``N_``,
``Text``, ``_text``, ``registry.nav``, ``text_in``'s second argument; the tables of SMS and
voice texts mark each text with ``N_``, the IVR's system prompts in ``ivr_flows/messages.py``
too, every domain error's text in ``hotline/core/errors.py`` as well) and the labels and
choices of the WTForms classes (built once at import, translated when shown). The German
catalogue translates each text to itself, so a text missing there shows as missing, not as
silently German. The compiled ``.mo`` files are committed: a fresh clone needs no build step.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "hotline" / "translations"
LANGUAGES = ("de", "en", "tr", "ar", "uk", "ru")
#: Every language translates every text: a new text needs all six before it lands.
COMPLETE = LANGUAGES
KEYWORDS = {
    "_": None,
    "gettext": None,
    "N_": None,
    "Text": None,
    "_text": None,
    "nav": None,
    "text_in": (2,),
    "ngettext": (1, 2),
}
#: Where the texts live: feature code and templates, and the IVR's system prompts.
SOURCES = (ROOT / "hotline", ROOT / "dispatch", ROOT / "ivr_flows")
METHODS = [
    ("**/templates/**.html", "jinja2"),
    ("**.py", "python"),
]


def form_texts() -> set[str]:
    """Labels and choice texts of the page forms."""
    sys.path.insert(0, str(ROOT))
    from wtforms import Form

    import dispatch.forms
    import dispatch.profile_forms
    import hotline.rosters.forms

    texts: set[str] = set()
    for module in (dispatch.forms, dispatch.profile_forms, hotline.rosters.forms):
        for value in vars(module).values():
            if not (isinstance(value, type) and issubclass(value, Form)) or value is Form:
                continue
            for name in dir(value):
                unbound = getattr(value, name)
                if not hasattr(unbound, "field_class"):
                    continue
                label = unbound.args[0] if unbound.args else unbound.kwargs.get("label")
                if isinstance(label, str) and label:
                    texts.add(label)
                choices = unbound.kwargs.get("choices")
                if callable(choices):
                    choices = choices()
                if isinstance(choices, list | tuple):
                    for choice in choices:
                        label = getattr(choice, "label", None)
                        if label is None and isinstance(choice, tuple):
                            label = choice[1]
                        if isinstance(label, str) and label:
                            texts.add(label)
    return texts


def extract() -> set[str]:
    """Every msgid the pages use."""
    msgids: set[str] = set()
    for source in SOURCES:
        for _file, _line, message, _comments, _context in extract_from_dir(
            source, METHODS, keywords=KEYWORDS, options_map={"**.html": {}}
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                msgids.add(msgid)
    return msgids | form_texts()


def po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def load(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain="messages", project="Rufbereit")
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def update(seed: dict[str, dict[str, str]] | None = None) -> None:
    """Merge the extracted msgids into every catalogue (obsolete ones dropped), then compile."""
    msgids = extract()
    for lang in LANGUAGES:
        old = load(lang)
        new = Catalog(locale=lang, domain="messages", project="Rufbereit")
        for msgid in sorted(msgids):
            kept = old.get(msgid)
            text = kept.string if kept is not None and kept.string else ""
            if seed and msgid in seed.get(lang, {}):
                text = seed[lang][msgid]
            if lang == "de":
                text = msgid
            new.add(msgid, text, flags=("python-brace-format",) if "{" in msgid else ())
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, new, width=100, sort_output=True, omit_header=False)
    compile_all()


def compiled(lang: str) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, load(lang))
    return buffer.getvalue()


def compile_all() -> None:
    for lang in LANGUAGES:
        (po_path(lang).with_suffix(".mo")).write_bytes(compiled(lang))


def problems() -> list[str]:
    """What keeps the catalogues from being complete and compiled."""
    found = []
    msgids = extract()
    for lang in LANGUAGES:
        if not po_path(lang).exists():
            found.append(f"{lang}: no catalogue")
            continue
        catalog = load(lang)
        for msgid in sorted(msgids):
            message = catalog.get(msgid)
            if lang in COMPLETE and (message is None or not message.string):
                found.append(f"{lang}: no translation for {msgid!r}")
            elif message is None:
                found.append(f"{lang}: {msgid!r} missing (run update)")
        mo = po_path(lang).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != compiled(lang):
            found.append(f"{lang}: messages.mo is not compiled from messages.po (run update)")
    return found


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
        return 0
    found = problems()
    print("\n".join(found) or "catalogues complete")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
